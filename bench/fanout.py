"""Fan-out: 1, 50 and 200 websocket clients of one `runserver` at 100 order records/s: the share of records that
reached every client, latency (record timestamp → frame received, p50/p99 over every client's frames), and the web
process's memory; the baseline is a raw kafka-python consumer's record timestamp → polled on the same records.

    .venv/bin/python -m bench.fanout [--clients 1 50 200] [--rate 100] [--seconds 15] [--warmup 3]

A producer process sends the records at a fixed rate (acks=all and idempotence, as the publisher) to a throwaway
broker; the websocket clients run in this process (asyncio), the raw consumer in its own. Only the web process runs
(DEBUG off). RSS is VmRSS from /proc/<pid>/status, sampled every 0.2 s; CPU is of one core.
"""

from __future__ import annotations

import argparse
import asyncio
import os

from bench.report import Figure, print_table
from bench.ws import (CpuMeter, delivered_latencies, fixed_rate_producer, measured, open_sockets, raw_consumer,
                      raw_latencies, rss_mib, running_stack, stream)


async def sample_rss(pid: int, peak: list[float]) -> None:
    while True:
        peak[0] = max(peak[0], rss_mib(pid))
        await asyncio.sleep(0.2)


async def measure(stack, clients: int, rate: float, seconds: float, warmup: float) -> None:
    web = stack.processes["web"].pid
    idle = rss_mib(web)
    sockets = await open_sockets(stack.web_port, clients)
    connected = rss_mib(web)
    peak = [connected]
    sampler = asyncio.create_task(sample_rss(web, peak))
    count = int(rate * (warmup + seconds))
    consumer = raw_consumer(stack.bootstrap_servers, stack.topic)
    producer = fixed_rate_producer(stack.bootstrap_servers, stack.topic, rate, count)
    web_cpu, own_cpu = CpuMeter(web), CpuMeter(os.getpid())
    keys = await stream(sockets, lambda: producer.result(count / rate + 60, stop=False), grace=15)
    web_share, own_share = web_cpu.share(), own_cpu.share()
    sampler.cancel()
    raw = consumer.result(30)
    await asyncio.gather(*(socket.close() for socket in sockets))
    await asyncio.sleep(1)

    window = measured(keys, rate, warmup)
    ours = [ms for socket in sockets for ms in delivered_latencies(window, socket.received, socket.timestamps)]
    floor = raw_latencies(window, raw)
    everywhere = sum(all(key in socket.received for socket in sockets) for key in window)
    print_table(f"Fan-out to {clients} websocket client(s) at {rate:g} records/s (record timestamp → received)",
                Figure(f"{clients} websocket(s), every client's frames", len(ours) / clients / seconds, ours),
                Figure("raw kafka-python consumer (poll)", len(floor) / seconds, floor), unit="rec/s/clnt")
    print(f"  delivered to every client: {everywhere} / {len(window)} = {everywhere / len(window):.1%}"
          f" (frames {len(ours)} / {len(window) * clients}, duplicates {sum(s.duplicates for s in sockets)});"
          f" raw consumer polled {len(floor)} / {len(window)}")
    print(f"  web process RSS: {idle:.1f} MiB idle, {connected:.1f} MiB with {clients} open, {peak[0]:.1f} MiB peak"
          f" while streaming, {rss_mib(web):.1f} MiB after close; CPU: web {web_share:.0%},"
          f" clients (this process) {own_share:.0%} of a core")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 50, 200])
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds per client count")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per client count not counted")
    options = parser.parse_args()
    with running_stack(("web",)) as stack:
        for clients in options.clients:
            asyncio.run(measure(stack, clients, options.rate, options.seconds, options.warmup))


if __name__ == "__main__":
    main()
