"""Tracing's cost: REST create/s, gRPC Create/s and the relay's p50 with tracing on against off, in one run.

    .venv/bin/python -m bench.tracing_cost [--rounds 3] [--requests 1000] [--concurrency 8] [--rate 200]
        [--seconds 15]

Two stacks of the same processes (web, rungrpc, publisher) on one throwaway broker, each on a topic and a SQLite
file of its own, one with TRACING=1 (as `make run`: spans into the database, batched) and one with TRACING=0.
Each round measures both sides, and the side that goes first alternates from round to round, so a machine that
gets busier or quieter during the run weighs on both; the summary takes each figure's median over the rounds.
The target (docs/tracing.md): on within 10% and +1 ms of off. Beside each ratio, the server's CPU milliseconds per
call. The relay's figure that compares like with like is what it adds to a raw consumer's p50 on the same records
(bench.relay_latency): the consumer's own wait for the broker, and whatever else the machine runs, cancel out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

from bench.broker import throwaway_broker
from bench.grpc_create import measure as measure_grpc
from bench.load import post_json
from bench.relay_latency import measure as measure_relay
from bench.report import print_table
from bench.ws import cpu_seconds
from harness.processes import Stack
from harness.topics import create_topic

BODY = {"created_by": "bench", "equipment": ["KEYBOARD", "MOUSE"]}


@contextlib.contextmanager
def stack_with_tracing(bootstrap: str, tracing: bool):
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
            "TRACING": str(int(tracing)),
        },
        # As the Procfile starts them: without it rungrpc opened a database connection per call, a quarter of its CPU.
        service_env={name: {"DATABASE_CONN_MAX_AGE": "60"} for name in ("grpc", "publisher")},
    ).start()
    try:
        yield stack
    finally:
        stack.stop()


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
    """Each figure's median over the rounds, on against off, and whether on is within 10% and +1 ms of off."""
    median = statistics.median
    print(f"\nSummary: medians over {len(runs['on']['rest'])} rounds (load now {os.getloadavg()[0]:.2f})")
    print(f"{'figure':<46} {'on':>10} {'off':>10} {'on/off':>8} {'on-off':>8}")

    def row(name: str, on: float, off: float) -> None:
        print(f"{name:<46} {on:>10.2f} {off:>10.2f} {on / off:>8.2f} {on - off:>8.2f}")

    for transport in ("rest", "grpc"):
        figures = {side: [figure for figure, _ in runs[side][transport]] for side in ("on", "off")}
        cpu = {side: [ms for _, ms in runs[side][transport]] for side in ("on", "off")}
        label = "REST create" if transport == "rest" else "gRPC Create"
        row(f"{label}/s", *(median(f.per_second for f in figures[side]) for side in ("on", "off")))
        row(f"{label} p50 ms", *(median(f.p50 for f in figures[side]) for side in ("on", "off")))
        row(f"{label} server CPU ms per call", *(median(cpu[side]) for side in ("on", "off")))
    relays = {side: runs[side]["relay"] for side in ("on", "off")}
    row("relay p50 ms (record time → websocket)", *(median(r.websocket.p50 for r in relays[s]) for s in relays))
    row("relay p99 ms", *(median(r.websocket.p99 for r in relays[s]) for s in relays))
    row("raw consumer p50 ms (same records)", *(median(r.raw.p50 for r in relays[s]) for s in relays))
    row("relay's own p50 ms (websocket - raw)", *(median(r.added_p50_ms for r in relays[s]) for s in relays))
    row("web process CPU, % of a core", *(100 * median(r.web_cpu_share for r in relays[s]) for s in relays))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3, help="rounds, each measuring both sides")
    parser.add_argument("--requests", type=int, default=1000, help="REST creates and gRPC Creates per side")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200, help="records/s for the relay's latency")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds of relay latency per side")
    options = parser.parse_args()
    runs = {side: defaultdict(list) for side in ("on", "off")}
    with (
        throwaway_broker() as broker,
        stack_with_tracing(broker.bootstrap_servers, True) as on,
        stack_with_tracing(broker.bootstrap_servers, False) as off,
    ):
        stacks = {"on": on, "off": off}
        for index in range(options.rounds):
            order = ("on", "off") if index % 2 == 0 else ("off", "on")
            print(f"\n=== round {index + 1} of {options.rounds}: {order[0]} first")
            for name, measure in (("rest", rest), ("grpc", grpc), ("relay", relay)):
                for side in order:
                    runs[side][name].append(measure(stacks[side], side, options))
            rest_round = [runs[side]["rest"][-1][0] for side in ("on", "off")]
            print_table(f"REST create, round {index + 1}", *rest_round, unit="orders/s")
            grpc_round = [runs[side]["grpc"][-1][0] for side in ("on", "off")]
            print_table(f"gRPC Create, round {index + 1}", *grpc_round, unit="orders/s")
    summarise(runs)


if __name__ == "__main__":
    main()
