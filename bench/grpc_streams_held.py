"""gRPC Create while idle streams hold every stream slot of rungrpc, against Create on an idle server.

    .venv/bin/python -m bench.grpc_streams_held [--calls 2000] [--concurrency 8] [--database sqlite|postgres]

One `manage.py rungrpc` process (10 threads, so 5 stream slots), started as bench/grpc_create.py starts it, with a
throwaway local broker for Watch. Create is measured on the idle server, then with every slot held by idle streams of
one kind: reflection streams that asked once and say nothing more, health Watches, order Watches on a quiet topic;
then by the three kinds together. In each held phase one stream more (a health Watch) must be refused at once with
RESOURCE_EXHAUSTED. Printed per phase: the table of bench/grpc_create.py against the idle run (its ratio row is
held / idle; the target is a p99 ratio of at most 2) and the CPU time per call.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from bench import databases
from bench.broker import throwaway_broker
from bench.grpc_create import measure, rungrpc_env, start
from bench.report import print_table
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from harness.topics import create_topic
from localkafka import free_port

MAX_WORKERS = 10
SLOTS = MAX_WORKERS // 2  # grpc_bridge.stream_limits.max_streams_for, without importing Django's settings here
PHASES = {
    "reflection": ["reflection"] * SLOTS,
    "health Watch": ["health Watch"] * SLOTS,
    "Watch": ["Watch"] * SLOTS,
    "every kind": ["reflection", "reflection", "health Watch", "health Watch", "Watch"],
}


def open_stream(kind: str, channel: grpc.Channel, quiet: threading.Event):
    """A stream of `kind` that the server has taken a slot for, and that stays quiet until `quiet` is set."""
    if kind == "reflection":

        def one_question():
            yield reflection_pb2.ServerReflectionRequest(list_services="")
            quiet.wait()

        call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(one_question())
        next(call)
    elif kind == "health Watch":
        call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest())
        next(call)
    else:
        call = orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest())  # says nothing on a quiet topic
    return call


def one_more_is_refused(channel: grpc.Channel) -> bool:
    try:
        probe = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=5)
        next(probe)
    except grpc.RpcError as error:
        return error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    probe.cancel()
    return False


@contextlib.contextmanager
def held(target: str, kinds: list[str]) -> Iterator[None]:
    """Every slot held by streams of `kinds`; the server refusing one more says that each holds its slot."""
    quiet = threading.Event()
    with grpc.insecure_channel(target) as channel:
        calls = [open_stream(kind, channel, quiet) for kind in kinds]
        try:
            deadline = time.monotonic() + 30
            while not one_more_is_refused(channel):  # an order Watch takes its slot without a word
                for index, call in enumerate(calls):
                    if not call.done():
                        continue
                    if call.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                        sys.exit(f"a held {kinds[index]} ended: {call.code().name}: {call.details()}")
                    calls[index] = open_stream(kinds[index], channel, quiet)  # a probe had its slot for a moment
                if time.monotonic() > deadline:
                    sys.exit("the held streams never took every slot: is the stream limit on?")
                time.sleep(0.2)
            print(f"\n{len(calls)} streams held ({', '.join(kinds)}); one more: refused with RESOURCE_EXHAUSTED")
            yield
        finally:
            for call in calls:
                call.cancel()
            quiet.set()


def main() -> None:
    databases.run_create_bench("--calls", run)


def run(options: argparse.Namespace, database_url: str, label: str) -> None:
    with throwaway_broker() as broker:
        topic = f"orders-bench-{uuid.uuid4().hex[:8]}"
        create_topic(broker.bootstrap_servers, topic)
        env = rungrpc_env(database_url, KAFKA_BOOTSTRAP_SERVERS=broker.bootstrap_servers, KAFKA_ORDERS_TOPIC=topic)
        port = free_port()
        target = f"127.0.0.1:{port}"
        server = start([sys.executable, "manage.py", "rungrpc", target, "--max-workers", str(MAX_WORKERS)], env, port)

        def measured(name):
            return measure(name, port, server.pid, options.calls, options.concurrency, options.warmup)

        try:
            idle, idle_cpu = measured(f"Create, idle server ({label})")
            ratios = {}
            for phase, kinds in PHASES.items():
                with held(target, kinds):
                    busy, busy_cpu = measured(f"Create, {phase} streams held")
                print_table(
                    f"gRPC Create with {phase} streams in all {SLOTS} slots vs idle, concurrency {options.concurrency}",
                    busy,
                    idle,
                    unit="orders/s",
                )
                print(f"  CPU ms per call: held {busy_cpu}; idle {idle_cpu}")
                ratios[phase] = busy.p99 / idle.p99
            print(
                "\np99 held / p99 idle (target at most 2): "
                + ", ".join(f"{phase} {ratio:.2f}" for phase, ratio in ratios.items())
            )
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)


if __name__ == "__main__":
    main()
