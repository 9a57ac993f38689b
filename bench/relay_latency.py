"""Relay latency: Kafka record timestamp → frame received on `runserver`'s /ws/orders/, vs a raw kafka-python
consumer's record timestamp → record polled, on the same records in the same run.

    .venv/bin/python -m bench.relay_latency [--rates 50 200] [--seconds 20] [--warmup 3]

A producer process sends order.created records at a fixed rate (acks=all and idempotence, as the publisher) to a
throwaway broker; one websocket client and one raw observer consumer, each in a process of its own, read them. Only
the web process runs (DEBUG off). The first `--warmup` seconds are not counted.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from bench.report import Figure, print_table
from bench.ws import (
    ClientProcesses,
    CpuMeter,
    delivered_latencies,
    fixed_rate_producer,
    measured,
    raw_consumer,
    raw_latencies,
    running_stack,
)


@dataclass
class RelayRun:
    """One run's figures: the websocket's, the raw consumer's on the same records, the web process's CPU share."""

    websocket: Figure
    raw: Figure
    web_cpu_share: float

    @property
    def added_p50_ms(self) -> float:
        """What the relay adds to a plain consumer's p50: the like-for-like figure, whatever else loads the cores."""
        return self.websocket.p50 - self.raw.p50


def measure(stack, rate: float, seconds: float, warmup: float) -> RelayRun:
    count = int(rate * (warmup + seconds))
    client = ClientProcesses(stack.web_port, 1, grace=10).start()
    consumer = raw_consumer(stack.bootstrap_servers, stack.topic)
    producer = fixed_rate_producer(stack.bootstrap_servers, stack.topic, rate, count)
    web_cpu = CpuMeter(stack.processes["web"].pid)
    keys = producer.result(count / rate + 60, stop=False)
    cpu = web_cpu.share()
    [socket] = client.collect(keys)
    raw = consumer.result(30)

    window = measured(keys, rate, warmup)
    ours = delivered_latencies(window, socket.received, socket.timestamps)
    floor = raw_latencies(window, raw)
    run = RelayRun(
        Figure("websocket /ws/orders/ (runserver relay)", len(ours) / seconds, ours),
        Figure("raw kafka-python consumer (poll)", len(floor) / seconds, floor),
        cpu,
    )
    print_table(
        f"Relay latency at {rate:g} records/s (record timestamp → received)", run.websocket, run.raw, "records/s"
    )
    print(
        f"  received {len(ours)} / {len(window)} on the websocket ({socket.duplicates} duplicates), "
        f"{len(floor)} / {len(window)} by the raw consumer; web process CPU {cpu:.0%} of a core"
    )
    return run


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", type=float, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=20, help="measured seconds per rate")
    parser.add_argument("--warmup", type=float, default=3, help="seconds per rate not counted")
    options = parser.parse_args()
    with running_stack(("web",)) as stack:
        for rate in options.rates:
            measure(stack, rate, options.seconds, options.warmup)


if __name__ == "__main__":
    main()
