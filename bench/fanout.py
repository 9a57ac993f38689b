"""Fan-out: 1, 50 and 200 websocket clients of one `runserver` at 100 order records/s: the share of records that
reached every client, latency (record timestamp → frame received, p50/p99 over every client's frames), the web
process's memory per socket and CPU; the baseline is a raw kafka-python consumer's record timestamp → polled on the
same records.

    .venv/bin/python -m bench.fanout [--clients 1 50 200] [--rate 100] [--seconds 15] [--warmup 3]

A producer process sends the records at a fixed rate (acks=all and idempotence, as the publisher) to a throwaway
broker; the websocket clients run in processes of their own (50 sockets each, asyncio), the raw consumer in
another. Only the web process runs (DEBUG off). RSS is VmRSS from /proc/<pid>/status, sampled every 0.2 s; CPU is
the share of one core, the web process's and the client processes' together.
"""

from __future__ import annotations

import argparse
import threading

from bench.report import Figure, print_table
from bench.ws import (
    ClientProcesses,
    CpuMeter,
    delivered_latencies,
    fixed_rate_producer,
    measured,
    raw_consumer,
    raw_latencies,
    rss_mib,
    running_stack,
)


class PeakRss:
    """The highest VmRSS of a process while it runs, sampled every 0.2 s in a thread."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.done = pid, rss_mib(pid), threading.Event()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.done.wait(0.2):
            self.peak = max(self.peak, rss_mib(self.pid))

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return self.peak


def measure(stack, clients: int, rate: float, seconds: float, warmup: float) -> None:
    web = stack.processes["web"].pid
    idle = rss_mib(web)
    sockets = ClientProcesses(stack.web_port, clients).start()
    connected = rss_mib(web)
    peak = PeakRss(web)
    count = int(rate * (warmup + seconds))
    consumer = raw_consumer(stack.bootstrap_servers, stack.topic)
    producer = fixed_rate_producer(stack.bootstrap_servers, stack.topic, rate, count)
    web_cpu, client_cpu = CpuMeter(web), CpuMeter(*sockets.pids)
    keys = producer.result(count / rate + 60, stop=False)
    web_share, client_share = web_cpu.share(), client_cpu.share()
    received = sockets.collect(keys)
    streaming = peak.stop()
    raw = consumer.result(30)

    window = measured(keys, rate, warmup)
    ours = [ms for socket in received for ms in delivered_latencies(window, socket.received, socket.timestamps)]
    floor = raw_latencies(window, raw)
    everywhere = sum(all(key in socket.received for socket in received) for key in window)
    print_table(
        f"Fan-out to {clients} websocket client(s) at {rate:g} records/s (record timestamp → received)",
        Figure(f"{clients} websocket(s), every client's frames", len(ours) / clients / seconds, ours),
        Figure("raw kafka-python consumer (poll)", len(floor) / seconds, floor),
        unit="rec/s/clnt",
    )
    print(
        f"  delivered to every client: {everywhere} / {len(window)} = {everywhere / len(window):.1%}"
        f" (frames {len(ours)} / {len(window) * clients}, duplicates {sum(s.duplicates for s in received)});"
        f" raw consumer polled {len(floor)} / {len(window)}"
    )
    print(
        f"  web process RSS: {idle:.1f} MiB idle, {connected:.1f} MiB with {clients} open"
        f" ({(connected - idle) * 1024 / clients:.0f} KiB per idle socket), {streaming:.1f} MiB peak while streaming"
        f" ({(streaming - idle) * 1024 / clients:.0f} KiB per streaming socket), {rss_mib(web):.1f} MiB after close"
    )
    print(
        f"  CPU while streaming: web process {web_share:.0%}, the {len(sockets.pids)} client process(es)"
        f" {client_share:.0%} of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per client count")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per client count not counted")
    options = parser.parse_args()
    with running_stack(("web",)) as stack:
        for clients in options.clients:
            measure(stack, clients, options.rate, options.seconds, options.warmup)


if __name__ == "__main__":
    main()
