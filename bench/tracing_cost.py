"""Tracing's cost: REST create/s, gRPC Create/s and the relay's p50 with tracing on, with every trace kept,
and off, in one run.

    .venv/bin/python -m bench.tracing_cost [--rounds 3] [--requests 1000] [--concurrency 8] [--rate 200]
        [--seconds 15]

Three stacks of the same processes (web, rungrpc, publisher) on one throwaway broker, each on a topic and a SQLite
file of its own: "on" with TRACING=1 as `make run` starts it (spans into the database, batched; of the traces no
caller sampled, TRACING_NEW_TRACES_PER_SECOND a second kept: tracing/sampling.py), "every" with every trace kept
(OTEL_TRACES_SAMPLER=parentbased_always_on: what a trace costs), and "off" with TRACING=0. The bench's clients send
no `traceparent`, as a load test's do. Each round measures every side, and the side that goes first rotates from
round to round, so a machine that gets busier or quieter during the run weighs on all; after each measurement the
bench waits for that side's processes to go idle (its publisher sending what the measurement wrote), so no side's
aftermath runs during the next one's measurement; the summary takes each figure's median over the rounds. The
target (docs/tracing.md): on within 10% and +1 ms of off. Beside each ratio, the server's CPU milliseconds per
call. The relay's figure that compares like with like is what it adds to a raw
consumer's p50 on the same records (bench.relay_latency): the consumer's own wait for the broker, and whatever else
the machine runs, cancel out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path

from bench.broker import throwaway_broker
from bench.grpc_create import measure as measure_grpc
from bench.load import post_json
from bench.relay_latency import measure as measure_relay
from bench.report import print_table
from bench.ws import CpuMeter, cpu_seconds
from harness.processes import Stack
from harness.topics import create_topic

BODY = {"created_by": "bench", "equipment": ["KEYBOARD", "MOUSE"]}


SIDES = {
    "on": {"TRACING": "1"},
    "every": {"TRACING": "1", "OTEL_TRACES_SAMPLER": "parentbased_always_on"},
    "off": {"TRACING": "0"},
}


@contextlib.contextmanager
def stack_with_tracing(bootstrap: str, tracing: dict[str, str]):
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    create_topic(bootstrap, topic)
    stack = Stack(
        bootstrap_servers=bootstrap,
        topic=topic,
        services=("web", "grpc", "publisher"),
        log_dir=Path(tempfile.mkdtemp(prefix="bench-tracing-")),
        extra_env={
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "ORDERS_LOG_LEVEL": "WARNING",
            **tracing,
        },
        # As the Procfile starts them: without it rungrpc opened a database connection per call, a quarter of its CPU.
        service_env={name: {"DATABASE_CONN_MAX_AGE": "60"} for name in ("grpc", "publisher")},
    ).start()
    try:
        yield stack
    finally:
        stack.stop()


def settle(stack: Stack, timeout: float = 30.0) -> None:
    """Wait until the stack's processes are idle (under 10% of a core over half a second): what a measurement left
    behind (the publisher sending its orders, the relay reading them, spans exported) must not run during the next
    side's measurement."""
    pids = [process.pid for process in stack.processes.values()]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        meter = CpuMeter(*pids)
        time.sleep(0.5)
        if meter.share() < 0.10:
            return


def rest(stack: Stack, label: str, options):
    """The REST figure, and the web process's CPU milliseconds per create."""
    before = cpu_seconds(stack.processes["web"].pid)
    figure = post_json(
        f"POST /api/orders/computers, tracing {label}",
        stack.web_port,
        "/api/orders/computers",
        BODY,
        requests=options.requests,
        concurrency=options.concurrency,
        warmup=50,
    )
    return figure, (cpu_seconds(stack.processes["web"].pid) - before) * 1000 / (options.requests + 50)


def grpc(stack: Stack, label: str, options):
    """The gRPC figure, and rungrpc's CPU milliseconds per Create."""
    figure, cpu = measure_grpc(
        f"rungrpc Create, tracing {label}",
        stack.grpc_port,
        stack.processes["grpc"].pid,
        options.requests,
        options.concurrency,
        50,
    )
    return figure, cpu.server


def relay(stack: Stack, label: str, options):
    print(f"\nRelay, tracing {label}:")
    return measure_relay(stack, options.rate, options.seconds, warmup=3)


def summarise(runs: dict[str, dict[str, list]]) -> None:
    """Each figure's median over the rounds, for each side, and each tracing side against off: the target is on
    within 10% and +1 ms of off."""
    median = statistics.median
    sides = tuple(SIDES)
    print(f"\nSummary: medians over {len(runs['on']['rest'])} rounds (load now {os.getloadavg()[0]:.2f})")
    print(f"{'figure':<46} {'on':>9} {'every':>9} {'off':>9} {'on/off':>7} {'on-off':>7} {'every/off':>9}")

    def row(name: str, values: list[float]) -> None:
        on, every, off = values
        print(f"{name:<46} {on:>9.2f} {every:>9.2f} {off:>9.2f} {on / off:>7.2f} {on - off:>7.2f} {every / off:>9.2f}")

    for transport in ("rest", "grpc"):
        label = "REST create" if transport == "rest" else "gRPC Create"
        row(f"{label}/s", [median(figure.per_second for figure, _ in runs[side][transport]) for side in sides])
        row(f"{label} p50 ms", [median(figure.p50 for figure, _ in runs[side][transport]) for side in sides])
        row(f"{label} server CPU ms per call", [median(ms for _, ms in runs[side][transport]) for side in sides])
    relays = [runs[side]["relay"] for side in sides]
    row("relay p50 ms (record time → websocket)", [median(r.websocket.p50 for r in side) for side in relays])
    row("relay p99 ms", [median(r.websocket.p99 for r in side) for side in relays])
    row("raw consumer p50 ms (same records)", [median(r.raw.p50 for r in side) for side in relays])
    row("relay's own p50 ms (websocket - raw)", [median(r.added_p50_ms for r in side) for side in relays])
    row("web process CPU, % of a core", [100 * median(r.web_cpu_share for r in side) for side in relays])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each measuring both sides")
    parser.add_argument("--requests", type=int, default=1000, help="REST creates and gRPC Creates per side")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200, help="records/s for the relay's latency")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds of relay latency per side")
    options = parser.parse_args()
    runs = {side: defaultdict(list) for side in SIDES}
    with throwaway_broker() as broker, contextlib.ExitStack() as started:
        stacks = {
            side: started.enter_context(stack_with_tracing(broker.bootstrap_servers, env))
            for side, env in SIDES.items()
        }
        for index in range(options.rounds):
            order = [*SIDES][index % len(SIDES) :] + [*SIDES][: index % len(SIDES)]
            print(f"\n=== round {index + 1} of {options.rounds}: {', '.join(order)}")
            for name, measure in (("rest", rest), ("grpc", grpc), ("relay", relay)):
                for side in order:
                    runs[side][name].append(measure(stacks[side], side, options))
                    settle(stacks[side])
            rest_round = [runs[side]["rest"][-1][0] for side in ("on", "off")]
            print_table(f"REST create, round {index + 1}", *rest_round, unit="orders/s")
            grpc_round = [runs[side]["grpc"][-1][0] for side in ("on", "off")]
            print_table(f"gRPC Create, round {index + 1}", *grpc_round, unit="orders/s")
    summarise(runs)


if __name__ == "__main__":
    main()
