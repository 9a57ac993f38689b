"""Tracing's cost: REST create/s, gRPC Create/s and the relay's p50 with tracing on against off, in one run.

    .venv/bin/python -m bench.tracing_cost [--requests 1000] [--concurrency 8] [--rate 200] [--seconds 15]

Two stacks of the same processes (web, rungrpc, publisher) on one throwaway broker, each on a topic and a SQLite
file of its own, one with TRACING=1 (as `make run`: spans into the database, batched) and one with TRACING=0;
the measurements alternate between them. The target (docs/tracing.md): on within 10% and +1 ms of off. Beside
each ratio, the CPU milliseconds per call of the server process, on and off.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import uuid
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000, help="REST creates and gRPC Creates per side")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200, help="records/s for the relay's latency")
    parser.add_argument("--seconds", type=float, default=15, help="measured seconds of relay latency per side")
    options = parser.parse_args()
    with (
        throwaway_broker() as broker,
        stack_with_tracing(broker.bootstrap_servers, True) as on,
        stack_with_tracing(broker.bootstrap_servers, False) as off,
    ):
        (rest_on, cpu_on), (rest_off, cpu_off) = rest(on, "on", options), rest(off, "off", options)
        print_table(f"REST create, concurrency {options.concurrency}", rest_on, rest_off, unit="orders/s")
        print(f"  web process CPU ms per create: on {cpu_on:.2f}, off {cpu_off:.2f}")

        grpc_figures = [
            measure_grpc(
                f"rungrpc Create, tracing {label}",
                stack.grpc_port,
                stack.processes["grpc"].pid,
                options.requests,
                options.concurrency,
                50,
            )
            for label, stack in (("on", on), ("off", off))
        ]
        (grpc_on, grpc_cpu_on), (grpc_off, grpc_cpu_off) = grpc_figures
        print_table(f"gRPC Create, concurrency {options.concurrency}", grpc_on, grpc_off, unit="orders/s")
        print(f"  CPU ms per call, tracing on: {grpc_cpu_on}; off: {grpc_cpu_off}")

        for label, stack in (("on", on), ("off", off)):
            print(f"\nRelay, tracing {label}:")
            measure_relay(stack, options.rate, options.seconds, warmup=3)


if __name__ == "__main__":
    main()
