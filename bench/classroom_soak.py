"""A classroom for half an hour: 200 live sockets, orders over REST and gRPC, the worker, and a chaos schedule; the
RSS slope of every process after the warm-up, and whether anything was lost.

    .venv/bin/python -m bench.classroom_soak [--minutes 30] [--sockets 200] [--rate 10] [--chaos-every 150]
        [--warmup-minutes 5]

One throwaway broker and one stack (web, rungrpc, the publisher, the worker with 2 members and a 20 ms step, as
`make run` starts them but with the benchmark settings). Orders go in at `--rate` per second, half over REST and half
over gRPC, on a fixed schedule from two threads. The sockets read from "latest" in processes of their own and keep
every record's (partition, offset). Every `--chaos-every` seconds the next of: a member killed mid-order
(`manage.py fulfilment kill`), the broker stopped for 20 s and started again, a reader that never reads held for
60 s, hostile records (random bytes, and a forged event that jumps an order to COMPLETED) written to the topic.

Printed at the end:
- each process's RSS at the start and the end, and its slope (least squares, MiB/min) after the warm-up; the
  worker's figure counts its members (child processes) too;
- the orders: accepted, refused or timed out at the client, and how many of the accepted are COMPLETED, FAILED or
  CANCELLED once the load has stopped (waited for up to 5 minutes); any other is lost;
- the sockets: each one's records against the topic's (every offset from the first it saw to the end, once): gaps,
  duplicates, and the records missing at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import grpc
import requests
from kafka import KafkaProducer

from bench.broker import throwaway_broker
from bench.relay_slow_client import connect_not_reading
from bench.ws import SPAWN, LiveSocket, Worker, rss_mib
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from harness.order_events import order_event
from harness.processes import ROOT, Stack
from harness.topics import create_topic, end_offsets

BODY = {"created_by": "classroom", "equipment": ["KEYBOARD", "MOUSE"]}
FINAL = ("COMPLETED", "FAILED", "CANCELLED")
SAMPLE_SECONDS = 10


# ---- the sockets, in processes of their own ---------------------------------------------------------------------


def _sockets(ready, stop, results, port: int, count: int, ends) -> None:
    asyncio.run(_read_sockets(ready, results, port, count, ends))


async def _read_sockets(ready, results, port: int, count: int, ends) -> None:
    """Open `count` live sockets and keep each record's (partition, offset) until the parent sends the topic's end
    offsets; then, once every socket has reached them (or 120 s), one summary per socket."""
    sockets = []
    for start in range(0, count, 20):
        sockets += await asyncio.gather(*(LiveSocket(port).open(timeout=120) for _ in range(min(20, count - start))))
    seen = [{} for _ in sockets]  # partition -> set of offsets
    duplicates = [0] * len(sockets)
    closed = [""] * len(sockets)

    async def read(index: int) -> None:
        try:
            while True:
                frame = json.loads(await sockets[index].connection.recv())
                for record in frame["records"] if frame["type"] == "records" else [frame]:
                    if record.get("type") != "record":
                        continue
                    offsets = seen[index].setdefault(record["partition"], set())
                    if record["offset"] in offsets:
                        duplicates[index] += 1
                    offsets.add(record["offset"])
        except Exception as error:  # noqa: BLE001 - a socket the server closed is a finding, not a crash
            closed[index] = repr(error)[:200]

    readers = [asyncio.create_task(read(index)) for index in range(len(sockets))]
    ready.set()
    wanted = await asyncio.to_thread(ends.get)
    deadline = time.monotonic() + 120

    def complete(index: int) -> bool:
        return all(max(seen[index].get(p, {-1}), default=-1) >= end - 1 for p, end in wanted.items() if end)

    while time.monotonic() < deadline and not all(complete(index) for index in range(len(sockets))):
        await asyncio.sleep(0.5)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    summaries = []
    for index in range(len(sockets)):
        gaps = missing = 0
        for partition, end in wanted.items():
            offsets = seen[index].get(partition, set())
            first = min(offsets) if offsets else end
            gaps += len(set(range(first, max(offsets, default=first - 1) + 1)) - offsets)
            missing += max(0, end - 1 - max(offsets, default=first - 1))
        summaries.append({"gaps": gaps, "missing": missing, "duplicates": duplicates[index], "closed": closed[index]})
    with contextlib.suppress(Exception):
        await asyncio.gather(*(socket.close() for socket in sockets))
    results.put(summaries)


# ---- orders in ---------------------------------------------------------------------------------------------------


class Orders:
    """Orders at `rate`/s, half over REST and half over gRPC, each on a fixed schedule from a thread of its own."""

    def __init__(self, stack: Stack, rate: float):
        self.stack, self.interval = stack, 2 / rate
        self.accepted: list[str] = []
        self.outcomes: Counter = Counter()
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=run, daemon=True) for run in (self._rest, self._grpc)]

    def start(self) -> Orders:
        for thread in self.threads:
            thread.start()
        return self

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)

    def _paced(self, call) -> None:
        began, index = time.monotonic(), 0
        while not self.stop.is_set():
            outcome, order_id = call()
            with self.lock:
                self.outcomes[outcome] += 1
                if order_id:
                    self.accepted.append(order_id)
            index += 1
            self.stop.wait(max(0.0, began + index * self.interval - time.monotonic()))

    def _rest(self) -> None:
        session, url = requests.Session(), f"{self.stack.base_url}/api/orders/computers"

        def call():
            try:
                answer = session.post(url, json=BODY, timeout=10)
            except requests.RequestException as error:
                return f"REST {type(error).__name__}", None
            return f"REST {answer.status_code}", answer.json()["order_id"] if answer.status_code == 201 else None

        self._paced(call)

    def _grpc(self) -> None:
        with grpc.insecure_channel(self.stack.grpc_target) as channel:
            stub = orders_pb2_grpc.OrderServiceStub(channel)
            request = pb.OrderMessage(created_by="classroom", equipment=[pb.OrderMessage.KEYBOARD])

            def call():
                try:
                    return "gRPC OK", stub.Create(request, timeout=10).id
                except grpc.RpcError as error:
                    return f"gRPC {error.code().name}", None

            self._paced(call)


# ---- chaos -------------------------------------------------------------------------------------------------------


def manage(stack: Stack, *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        check=False,
        cwd=ROOT,
        env=stack.env(),
        capture_output=True,
        text=True,
        timeout=90,
    )
    return " ".join((done.stdout + done.stderr).strip().splitlines()[:1])[:120]


def chaos_events(stack: Stack, broker, topic: str):
    """The schedule, in turn; each returns what it did, in a line."""

    def kill_member():
        return "member killed: " + manage(stack, "fulfilment", "kill")

    def stop_broker():
        broker.stop()
        time.sleep(20)
        broker.start()
        return "broker stopped for 20 s and started again"

    def slow_reader():
        sock = connect_not_reading(stack.web_port)
        time.sleep(60)
        sock.close()
        return "a reader that never read, held 60 s"

    def hostile_records():
        producer = KafkaProducer(bootstrap_servers=broker.bootstrap_servers, acks="all")
        producer.send(topic, key=os.urandom(12), value=os.urandom(300))
        forged = order_event(str(uuid.uuid4()), "order.status_changed", "COMPLETED", source="forged")
        producer.send(topic, key=forged.key.encode(), value=forged.to_value(), headers=forged.headers())
        producer.flush(30)
        producer.close(10)
        return "hostile records: random bytes and a forged COMPLETED"

    return [kill_member, stop_broker, slow_reader, hostile_records]


# ---- the run -----------------------------------------------------------------------------------------------------


def process_tree_rss(pid: int) -> float:
    """RSS of `pid` and its children (a worker's members), MiB."""
    total = rss_mib(pid)
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as children:
                for child in children.read().split():
                    with contextlib.suppress(OSError, RuntimeError):
                        total += process_tree_rss(int(child))
    return total


def slope(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) samples, in MiB per minute."""
    n = len(samples)
    if n < 2:
        return float("nan")
    mean_t, mean_m = sum(t for t, _ in samples) / n, sum(m for _, m in samples) / n
    spread = sum((t - mean_t) ** 2 for t, _ in samples)
    return 60 * sum((t - mean_t) * (m - mean_m) for t, m in samples) / spread if spread else float("nan")


def statuses(database: Path, order_ids: list[str]) -> Counter:
    with sqlite3.connect(database) as connection:
        rows = dict(connection.execute("SELECT order_id, status FROM orders_order").fetchall())
    return Counter(rows.get(order_id.replace("-", ""), rows.get(order_id, "MISSING")) for order_id in order_ids)


def run(options: argparse.Namespace) -> None:
    topic = f"soak-{uuid.uuid4().hex[:8]}"
    with throwaway_broker() as broker:
        create_topic(broker.bootstrap_servers, topic)
        stack = Stack(
            bootstrap_servers=broker.bootstrap_servers,
            topic=topic,
            services=("web", "grpc", "publisher", "worker"),
            log_dir=Path(tempfile.mkdtemp(prefix="bench-soak-")),
            extra_env={"DJANGO_SETTINGS_MODULE": "bench.settings", "ORDERS_LOG_LEVEL": "WARNING"},
            service_env={name: {"DATABASE_CONN_MAX_AGE": "60"} for name in ("grpc", "publisher", "worker")},
        ).start()
        try:
            manage(stack, "fulfilment", "set", "--members", "2", "--step-delay-ms", "20")
            per_process = 50
            ends = [SPAWN.Queue() for _ in range(0, options.sockets, per_process)]
            readers = [
                Worker(_sockets, stack.web_port, min(per_process, options.sockets - start), ends[index]).start(180)
                for index, start in enumerate(range(0, options.sockets, per_process))
            ]
            pids = {name: process.pid for name, process in stack.processes.items()}
            pids["broker"] = broker.process.pid
            samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in pids}
            orders = Orders(stack, options.rate).start()
            events = chaos_events(stack, broker, topic)
            began, next_chaos, done_chaos = time.monotonic(), options.chaos_every, []
            chaos_thread = None
            while (elapsed := time.monotonic() - began) < options.minutes * 60:
                pids["broker"] = broker.process.pid  # a new JVM after each restart
                for name, pid in pids.items():
                    with contextlib.suppress(OSError, RuntimeError):
                        rss = process_tree_rss(pid) if name == "worker" else rss_mib(pid)
                        samples[name].append((elapsed, rss, pid))
                if elapsed >= next_chaos and (chaos_thread is None or not chaos_thread.is_alive()):
                    event = events[len(done_chaos) % len(events)]
                    chaos_thread = threading.Thread(target=lambda e=event: done_chaos.append(e()), daemon=True)
                    chaos_thread.start()
                    next_chaos += options.chaos_every
                time.sleep(SAMPLE_SECONDS)
            orders.finish()
            if chaos_thread is not None:
                chaos_thread.join(120)
            counts = wait_final(stack, orders.accepted)
            final_ends = end_offsets(broker.bootstrap_servers, topic)
            for queue in ends:
                queue.put(final_ends)
            sockets = [summary for reader in readers for summary in reader.result(300, stop=False)]
            report(options, samples, orders, counts, done_chaos, sockets, final_ends)
        finally:
            stack.stop()


def wait_final(stack: Stack, accepted: list[str]) -> Counter:
    deadline = time.monotonic() + 300
    while True:
        counts = statuses(stack.database, accepted)
        if all(status in FINAL for status in counts) or time.monotonic() > deadline:
            return counts
        time.sleep(5)


def report(options, samples, orders, counts, chaos, sockets, final_ends) -> None:
    warm = options.warmup_minutes * 60
    print(
        f"\nClassroom soak: {options.minutes} min, {options.sockets} sockets, {options.rate} orders/s "
        f"(cores: {os.cpu_count()}, load now {os.getloadavg()[0]:.1f})"
    )
    print(f"{'process':<10} {'RSS start MiB':>14} {'RSS end MiB':>12} {'slope after warm-up MiB/min':>28}")
    for name, points in samples.items():
        # A process started again (the broker after its stop) is measured from its newest start.
        newest = [(at, rss) for at, rss, pid in points if pid == points[-1][2]]
        after = [point for point in newest if point[0] >= warm] if newest[0][0] < warm else newest[3:]
        note = "" if len(newest) == len(points) else f" (its newest process, from {newest[0][0] / 60:.1f} min)"
        print(f"{name:<10} {points[0][1]:>14.1f} {points[-1][1]:>12.1f} {slope(after):>28.3f}{note}")
    print(f"\nchaos ({len(chaos)}): " + "; ".join(chaos))
    print(f"orders sent: {dict(orders.outcomes)}")
    lost = sum(n for status, n in counts.items() if status not in FINAL)
    print(f"accepted: {len(orders.accepted)}, by status once the load stopped: {dict(counts)}; lost: {lost}")
    print(f"topic: {sum(final_ends.values())} records")
    totals = Counter()
    for summary in sockets:
        totals["gaps"] += summary["gaps"]
        totals["missing"] += summary["missing"]
        totals["duplicates"] += summary["duplicates"]
        totals["closed"] += bool(summary["closed"])
    print(
        f"sockets: {len(sockets)}; gaps {totals['gaps']}, missing at the end {totals['missing']}, "
        f"duplicates {totals['duplicates']}, closed by the server {totals['closed']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10, help="orders per second, half REST, half gRPC")
    parser.add_argument("--chaos-every", type=float, default=150, help="seconds between chaos events")
    parser.add_argument("--warmup-minutes", type=float, default=5)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
