"""Order → screen: REST POST sent → the order's record frame received on /ws/orders/ (through the outbox publisher,
Kafka and the relay), vs the sum of (the same POSTs' REST create latency) and (raw kafka-python produce → consume
latency at the same rate, in the same run).

    .venv/bin/python -m bench.order_to_screen [--rate 20] [--seconds 20] [--warmup 3] [--outbox-poll 0.5] [--no-wakeup]

The Stack runs `runserver` (DEBUG off) and `publish_outbox` against a throwaway broker. Orders are POSTed on a fixed
schedule (up to 4 in flight, each thread on a keep-alive connection); meanwhile a producer process sends the same
number of order records at the same rate to a second topic, read by a raw observer consumer in a process of its own.
The baseline pairs the i-th REST latency with the i-th raw Kafka latency. It is a sum of hops that ours partly
overlaps (the publisher may send the record before the client has read the 201), so a ratio below 1 is possible.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from bench.report import Figure, percentile, print_table
from bench.ws import (
    add_publisher_options,
    fixed_rate_producer,
    measured,
    now_ms,
    open_sockets,
    publisher_env,
    raw_consumer,
    raw_latencies,
    running_stack,
    stream,
)
from harness.topics import create_topic

BODY = json.dumps({"created_by": "bench", "equipment": ["KEYBOARD", "MOUSE", "MOUSE", "MONITOR"]}).encode()
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def post_orders(port: int, rate: float, count: int, in_flight: int = 4) -> list[tuple[float, float, str]]:
    """POST `count` orders at `rate`/s on a fixed schedule: [(sent ms, response ms, order id)] in schedule order."""
    local = threading.local()
    began = time.monotonic()

    def one(index: int) -> tuple[float, float, str]:
        time.sleep(max(began + index / rate - time.monotonic(), 0))
        if not hasattr(local, "connection"):
            local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        sent = now_ms()
        local.connection.request("POST", "/api/orders/computers", BODY, HEADERS)
        response = local.connection.getresponse()
        body = response.read()
        responded = now_ms()
        if response.status != 201:
            raise RuntimeError(f"POST answered {response.status}: {body[:200]!r}")
        return sent, responded, json.loads(body)["order_id"]

    with ThreadPoolExecutor(in_flight) as pool:
        return list(pool.map(one, range(count)))


def p50_p99(samples: list[float]) -> str:
    return f"p50 {statistics.median(samples):.1f} / p99 {percentile(samples, 0.99):.1f} ms"


async def measure(stack, rate: float, seconds: float, warmup: float) -> None:
    count = int(rate * (warmup + seconds))
    raw_topic = stack.topic + "-raw"
    create_topic(stack.bootstrap_servers, raw_topic)
    sockets = await open_sockets(stack.web_port, 1)
    consumer = raw_consumer(stack.bootstrap_servers, raw_topic)
    producer = fixed_rate_producer(stack.bootstrap_servers, raw_topic, rate, count)
    posts: list[tuple[float, float, str]] = []

    def send() -> list[str]:
        posts.extend(post_orders(stack.web_port, rate, count))
        return [order_id for _, _, order_id in posts]

    await stream(sockets, send, grace=15)
    raw_keys = producer.result(60, stop=False)
    raw = consumer.result(30)
    [socket] = sockets
    await socket.close()

    window = posts[int(rate * warmup) :]
    ours = [socket.received[key] - sent for sent, _, key in window if key in socket.received]
    rest = [responded - sent for sent, responded, _ in window]
    kafka = raw_latencies(measured(raw_keys, rate, warmup), raw)
    floor = [a + b for a, b in zip(rest, kafka, strict=False)]  # the shorter of the two bounds the pairs
    print_table(
        f"Order → screen at {rate:g} orders/s (POST sent → record frame received)",
        Figure("POST → outbox → Kafka → relay → websocket", len(ours) / seconds, ours),
        Figure("REST create + raw Kafka produce → consume", len(floor) / seconds, floor),
        unit="orders/s",
    )
    print(
        f"  received {len(ours)} / {len(window)} orders' frames on the websocket ({socket.duplicates} duplicates);"
        f" raw Kafka records polled {len(kafka)} / {len(window)}"
    )
    print(f"  baseline parts: REST create {p50_p99(rest)}; raw Kafka produce → consume {p50_p99(kafka)}")
    seen = [(sent, responded, key) for sent, responded, key in window if key in socket.received]
    print(
        f"  our hops: POST → 201 {p50_p99([r - s for s, r, _ in seen])};"
        f" 201 → record timestamp (outbox publisher) {p50_p99([socket.timestamps[k] - r for _, r, k in seen])};"
        f" record timestamp → frame (Kafka + relay)"
        f" {p50_p99([socket.received[k] - socket.timestamps[k] for _, _, k in seen])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20, help="orders (and raw records) per second")
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=3, help="seconds not counted")
    add_publisher_options(parser)
    options = parser.parse_args()
    env = publisher_env(options)
    with running_stack(("web", "publisher"), **env) as stack:
        asyncio.run(measure(stack, options.rate, options.seconds, options.warmup))


if __name__ == "__main__":
    main()
