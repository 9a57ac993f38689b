"""gRPC Create: `manage.py rungrpc` (stores the order and its outbox event) vs a bare grpcio server.

    .venv/bin/python -m bench.grpc_create [--calls 2000] [--concurrency 8] [--database sqlite|postgres]

Both servers run as their own processes on 127.0.0.1 with the same proto; the client warms each up first.
rungrpc runs with DEBUG off (bench.settings, as the REST bench: no query log, no debug cursor).
rungrpc stores into a fresh SQLite file, or with `--database postgres` into a throwaway PostgreSQL that localpg
starts for the run (bench/databases.py); the bare server stores nothing either way.

Under each table, the CPU time each side spent per call (from /proc, all threads): the server, this client, and
PostgreSQL's processes. On two cores shared by all of them, their sum bounds the rate either server can reach.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import grpc

from bench import databases
from bench.report import Figure, print_table
from bench.ws import cpu_seconds
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from harness.processes import migrate
from localkafka import free_port

ROOT = Path(__file__).resolve().parent.parent
REQUEST = pb.OrderMessage(created_by="bench", equipment=[0, 1, 1, 3])


def start(command: list[str], env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL)
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        grpc.channel_ready_future(channel).result(timeout=60)
    return process


def postgres_cpu_seconds() -> float:
    """CPU time of every running process named postgres (the server and its backends; 0 on SQLite)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except OSError:
            continue  # gone meanwhile
    return total


@dataclass
class CpuPerCall:
    """Milliseconds of CPU per call: the server process, this client process, PostgreSQL."""

    server: float
    client: float
    database: float

    def __str__(self) -> str:
        return f"server {self.server:.2f}, client {self.client:.2f}, PostgreSQL {self.database:.2f}"


def measure(
    name: str, port: int, server_pid: int, calls: int, concurrency: int, warmup: int
) -> tuple[Figure, CpuPerCall]:
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        for _ in range(warmup):
            stub.Create(REQUEST, timeout=10)

        def one(_):
            started = time.perf_counter()
            stub.Create(REQUEST, timeout=10)
            return (time.perf_counter() - started) * 1000

        cpu = cpu_seconds(server_pid), time.process_time(), postgres_cpu_seconds()
        began = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            latencies = list(pool.map(one, range(calls)))
        elapsed = time.perf_counter() - began
        used = [
            after - before
            for before, after in zip(
                cpu, (cpu_seconds(server_pid), time.process_time(), postgres_cpu_seconds()), strict=True
            )
        ]
        return Figure(name, calls / elapsed, latencies), CpuPerCall(*(seconds * 1000 / calls for seconds in used))


def main() -> None:
    databases.run_create_bench("--calls", run)


def rungrpc_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment rungrpc runs in for a benchmark, with its database migrated.

    DEBUG off, as the REST bench; the commit nudge still goes out (its cost is part of a create), to a port of this
    run's own rather than to a playground that may be running here."""
    env = {
        "DATABASE_URL": database_url,
        "ORDERS_LOG_LEVEL": "WARNING",
        "DATABASE_CONN_MAX_AGE": "60",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "OUTBOX_WAKEUP_ADDR": f"127.0.0.1:{free_port()}",
        **extra,
    }
    migrate({**os.environ, **env})
    return env


def run(options: argparse.Namespace, database_url: str, label: str) -> None:
    env = rungrpc_env(database_url)
    ours_port, bare_port = free_port(), free_port()
    processes = [
        start([sys.executable, "manage.py", "rungrpc", f"127.0.0.1:{ours_port}"], env, ours_port),
        start([sys.executable, "-m", "bench.bare_grpc_server", f"127.0.0.1:{bare_port}"], {}, bare_port),
    ]
    try:
        ours_pid, bare_pid = (process.pid for process in processes)
        for concurrency in (1, options.concurrency):
            ours, ours_cpu = measure(
                f"rungrpc Create ({label} + outbox)", ours_port, ours_pid, options.calls, concurrency, options.warmup
            )
            bare, bare_cpu = measure(
                "bare grpcio Create (no storage)", bare_port, bare_pid, options.calls, concurrency, options.warmup
            )
            print_table(f"gRPC unary Create, concurrency {concurrency}", ours, bare, unit="orders/s")
            print(f"  CPU ms per call: rungrpc side {ours_cpu}; bare side {bare_cpu}")
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            process.wait(30)


if __name__ == "__main__":
    main()
