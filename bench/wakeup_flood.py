"""Wake-up flood: the outbox publisher's CPU while other local processes send it wake-up datagrams as fast as they
can, and one order's create → published latency before and during the flood.

    .venv/bin/python -m bench.wakeup_flood [--seconds 10] [--senders 1] [--orders 20]

The Stack runs `runserver` (DEBUG off) and `publish_outbox` against a throwaway broker. Each phase lasts `--seconds`:
first quiet, then with `--senders` processes sending one-byte datagrams to the publisher's OUTBOX_WAKEUP_ADDR in a
tight loop. In both phases `--orders` orders are POSTed one at a time, evenly spaced; an order's latency is POST
sent → its record's timestamp (kafka-python stamps it when the publisher sends it), read by a raw consumer. The
publisher's CPU (user + system, all threads, from /proc) is its share of one core over the phase.
"""

from __future__ import annotations

import argparse
import http.client
import json
import socket
import statistics
import time

from bench.report import percentile
from bench.ws import SPAWN, CpuMeter, now_ms, raw_consumer, running_stack

BODY = json.dumps({"created_by": "bench", "equipment": ["KEYBOARD", "MOUSE"]}).encode()
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def _flood(port: int, seconds: float, counts) -> None:
    """Send wake-up datagrams to 127.0.0.1:`port` as fast as one process can for `seconds`; report how many."""
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender.setblocking(False)
    address, sent, deadline = ("127.0.0.1", port), 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        for _ in range(1000):
            try:
                sender.sendto(b"!", address)
                sent += 1
            except OSError:
                pass  # a full send buffer: try again
    counts.put(sent)


def post_spaced(port: int, count: int, seconds: float) -> list[tuple[float, str]]:
    """POST `count` orders one at a time, evenly spread over `seconds`: [(sent ms, order id)]."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    began, posts = time.monotonic(), []
    for index in range(count):
        time.sleep(max(began + index * seconds / count - time.monotonic(), 0))
        sent = now_ms()
        connection.request("POST", "/api/orders/computers", BODY, HEADERS)
        response = connection.getresponse()
        body = response.read()
        if response.status != 201:
            raise RuntimeError(f"POST answered {response.status}: {body[:200]!r}")
        posts.append((sent, json.loads(body)["order_id"]))
    time.sleep(max(began + seconds - time.monotonic(), 0))
    connection.close()
    return posts


def phase(stack, publisher_pid: int, options, senders: int) -> tuple[float, list[tuple[float, str]], int]:
    """One phase: (publisher's CPU share of one core, the orders posted, datagrams the senders sent)."""
    counts = SPAWN.Queue()
    floods = [SPAWN.Process(target=_flood, args=(stack.wakeup_port, options.seconds, counts)) for _ in range(senders)]
    for flood in floods:
        flood.start()
    meter = CpuMeter(publisher_pid)
    posts = post_spaced(stack.web_port, options.orders, options.seconds)
    share = meter.share()
    sent = sum(counts.get(timeout=30) for _ in floods)
    for flood in floods:
        flood.join(10)
    return share, posts, sent


def describe(name: str, share: float, posts, records: dict, sent: int, seconds: float) -> None:
    latencies = [records[key][0] - sent_ms for sent_ms, key in posts if key in records]
    flood = f"{sent / seconds:,.0f} datagrams/s" if sent else "no flood"
    print(
        f"{name:<8} {flood:>22}  publisher CPU {share * 100:5.1f}% of a core;"
        f"  create → published p50 {statistics.median(latencies):6.1f} ms, max {percentile(latencies, 1):6.1f} ms"
        f"  ({len(latencies)} / {len(posts)} orders published)"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10, help="length of each phase")
    parser.add_argument("--senders", type=int, default=1, help="flooding processes")
    parser.add_argument("--orders", type=int, default=20, help="orders POSTed one at a time in each phase")
    options = parser.parse_args()
    with running_stack(("web", "publisher")) as stack:
        consumer = raw_consumer(stack.bootstrap_servers, stack.topic)
        publisher_pid = stack.processes["publisher"].pid
        post_spaced(stack.web_port, 3, 1)  # warm-up: connections, the topic's metadata
        quiet = phase(stack, publisher_pid, options, senders=0)
        flooded = phase(stack, publisher_pid, options, senders=options.senders)
        records = consumer.result(30)
    print(f"\nWake-up flood ({options.seconds:g} s a phase, {options.senders} sender(s))")
    describe("quiet", *quiet[:2], records, quiet[2], options.seconds)
    describe("flooded", *flooded[:2], records, flooded[2], options.seconds)


if __name__ == "__main__":
    main()
