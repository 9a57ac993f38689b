"""Shared by the relay benchmarks: a /ws/orders/ client, a fixed-rate producer of order-event records, a raw
kafka-python consumer (each Kafka client in a process of its own), /proc readings, and the measurement window.

Every time here is wall-clock milliseconds (``time.time()``), comparable across processes on one machine and with
a Kafka record's CreateTime, which kafka-python stamps at ``send()``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing
import os
import queue
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import websockets
from kafka import KafkaProducer

from bench.broker import throwaway_broker
from harness.processes import Stack
from harness.topics import create_topic
from messaging.readers import open_reader
from orders.events import ORDER_CREATED, OrderEvent

# The outbox publisher's durability settings (messaging.clients.build_producer: acks=all, idempotence). Its linger of
# 5 ms never delays a record, as the publisher flushes right after its sends; linger 0 does the same for one-at-a-time
# sends.
PRODUCER_OPTIONS = {"acks": "all", "enable_idempotence": True, "linger_ms": 0}
SPAWN = multiprocessing.get_context("spawn")  # no fork: kafka-python runs threads


def now_ms() -> float:
    return time.time() * 1000


def order_record(source: str = "rest") -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """(key, value, headers) of a fresh order.created event, exactly as the publisher puts it on the topic."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    event = OrderEvent(
        event_id=str(uuid.uuid4()),
        type=ORDER_CREATED,
        occurred_at=stamp,
        source=source,
        order={
            "order_id": str(uuid.uuid4()),
            "created_by": "bench",
            "status": "QUEUED",
            "created_at": stamp,
            "equipment": ["KEYBOARD", "MOUSE", "MOUSE", "MONITOR"],
        },
    )
    return event.key.encode(), event.to_value(), event.headers()


def add_publisher_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--outbox-poll", help="OUTBOX_POLL_SECONDS for the publisher (default: the setting's 0.5)")
    parser.add_argument(
        "--no-wakeup",
        action="store_true",
        help="turn the commit nudge off (OUTBOX_WAKEUP_ADDR empty): the publisher only polls",
    )


def publisher_env(options: argparse.Namespace) -> dict[str, str]:
    env = {"OUTBOX_POLL_SECONDS": options.outbox_poll} if options.outbox_poll else {}
    if options.no_wakeup:
        env["OUTBOX_WAKEUP_ADDR"] = ""
    return env


@contextlib.contextmanager
def running_stack(services: tuple[str, ...], **env: str) -> Iterator[Stack]:
    """A throwaway broker, a fresh 3-partition topic on it, and a Stack of `services` on that topic with the
    benchmark settings (DEBUG off unless `env` says DJANGO_DEBUG="1"); all stopped afterwards."""
    topic = f"bench-{uuid.uuid4().hex[:8]}"
    with throwaway_broker() as broker:
        create_topic(broker.bootstrap_servers, topic)
        stack = Stack(
            bootstrap_servers=broker.bootstrap_servers,
            topic=topic,
            services=services,
            log_dir=Path(tempfile.mkdtemp(prefix="bench-stack-")),
            extra_env={"DJANGO_SETTINGS_MODULE": "bench.settings", "ORDERS_LOG_LEVEL": "WARNING", **env},
        )
        stack.start()
        try:
            yield stack
        finally:
            stack.stop()


# ---- Kafka clients, each in a spawned process -------------------------------------------------------------


class Worker:
    """``target(ready, stop, results, *args)`` in a spawned process: it sets `ready`, works until done or `stop`,
    then puts one result on `results`."""

    def __init__(self, target: Callable, *args: Any):
        self.ready, self.stop_event, self.results = SPAWN.Event(), SPAWN.Event(), SPAWN.Queue()
        self.process = SPAWN.Process(
            target=target, args=(self.ready, self.stop_event, self.results, *args), daemon=True
        )

    def start(self, timeout: float = 60.0) -> Worker:
        self.process.start()
        if not self.ready.wait(timeout):
            self.process.kill()
            raise RuntimeError(f"{self.process.name} was not ready within {timeout} s")
        return self

    def result(self, timeout: float, *, stop: bool = True) -> Any:
        """Its result: asked to stop now (`stop`), or when it finishes by itself within `timeout` seconds."""
        if stop:
            self.stop_event.set()
        deadline = time.monotonic() + timeout
        try:
            while True:
                alive = self.process.is_alive()
                with contextlib.suppress(queue.Empty):
                    return self.results.get(timeout=0.5)
                if not alive or time.monotonic() > deadline:
                    raise RuntimeError(f"{self.process.name} gave no result (exit code {self.process.exitcode})")
        finally:
            self.stop_event.set()
            self.process.join(10)
            if self.process.is_alive():
                self.process.kill()


def _produce(ready, stop, results, bootstrap: str, topic: str, rate: float, count: int) -> None:
    """`count` order records at `rate` per second, on a fixed schedule (a late send does not push the next ones)."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, client_id="bench-producer", **PRODUCER_OPTIONS)
    producer.partitions_for(topic)  # metadata and connection before the clock starts
    ready.set()
    keys, began = [], time.monotonic()
    for index in range(count):
        delay = began + index / rate - time.monotonic()
        if stop.wait(delay) if delay > 0 else stop.is_set():
            break
        key, value, headers = order_record()
        producer.send(topic, key=key, value=value, headers=headers)
        keys.append(key.decode())
    producer.flush(30)
    producer.close(10)
    results.put(keys)


def fixed_rate_producer(bootstrap: str, topic: str, rate: float, count: int) -> Worker:
    """Started, connected producer of `count` records at `rate`/s; ``.result(timeout, stop=False)`` gives the
    keys in the order sent."""
    return Worker(_produce, bootstrap, topic, rate, count).start()


def _consume(ready, stop, results, bootstrap: str, topic: str) -> None:
    """Every record from the end of `topic` on, until `stop`: {key: (record timestamp, polled at)} in ms."""
    consumer = open_reader(topic, client_id="bench-raw-consumer", bootstrap_servers=bootstrap)
    for tp in consumer.assignment():
        consumer.position(tp)  # resolve "end" now, before anything is produced
    ready.set()
    seen: dict[str, tuple[int, float]] = {}
    drain_until = None
    while drain_until is None or time.monotonic() < drain_until:
        batches = consumer.poll(timeout_ms=100)
        polled = now_ms()
        for records in batches.values():
            for record in records:
                seen.setdefault(record.key.decode(), (record.timestamp, polled))
        if stop.is_set():
            # Asked to stop: finish once a poll comes back empty (at most 10 s more).
            drain_until = 0 if not batches else drain_until or time.monotonic() + 10
    consumer.close()
    results.put(seen)


def raw_consumer(bootstrap: str, topic: str) -> Worker:
    """Started observer consumer positioned at the end of `topic`; ``.result(timeout)`` stops it and gives
    {key: (record timestamp, polled at)}."""
    return Worker(_consume, bootstrap, topic).start()


# ---- the websocket client ---------------------------------------------------------------------------------


@dataclass
class LiveSocket:
    """One /ws/orders/ client, streaming from "latest"; `received` maps each record key to when its frame came."""

    port: int
    received: dict[str, float] = field(default_factory=dict)
    timestamps: dict[str, int] = field(default_factory=dict)
    duplicates: int = 0
    connection: Any = None

    async def open(self, timeout: float = 30.0) -> LiveSocket:
        async with asyncio.timeout(timeout):
            self.connection = await websockets.connect(
                f"ws://127.0.0.1:{self.port}/ws/orders/",
                origin=f"http://127.0.0.1:{self.port}",
                max_size=None,
                ping_interval=None,
            )
            await self._until(lambda frame: frame.get("state") == "connected")
            await self.connection.send(json.dumps({"action": "replay", "from": "latest"}))
            await self._until(lambda frame: frame.get("state") == "live")
        return self

    async def _until(self, done: Callable[[dict], bool]) -> None:
        while not done(frame := json.loads(await self.connection.recv())):
            if frame["type"] == "error":
                raise RuntimeError(f"the relay answered {frame}")

    async def read(self) -> None:
        """Take frames until cancelled; a coalesced ``records`` frame counts each of its records, received at once."""
        while True:
            text = await self.connection.recv()
            at = now_ms()
            frame = json.loads(text)
            for record in frame["records"] if frame["type"] == "records" else [frame]:
                if record["type"] != "record":
                    continue
                if record["key"] in self.received:
                    self.duplicates += 1
                else:
                    self.received[record["key"]] = at
                    self.timestamps[record["key"]] = record["timestamp"]

    async def close(self) -> None:
        await self.connection.close()


async def open_sockets(port: int, count: int, *, at_once: int = 20) -> list[LiveSocket]:
    """`count` live sockets, opened `at_once` at a time (each one's replay takes one of the relay's slots)."""
    sockets: list[LiveSocket] = []
    for start in range(0, count, at_once):
        sockets += await asyncio.gather(*(LiveSocket(port).open() for _ in range(min(at_once, count - start))))
    return sockets


async def stream(sockets: list[LiveSocket], send: Callable[[], list[str]], grace: float) -> list[str]:
    """Run the blocking `send` (it returns the keys it put on the topic) while every socket reads; then wait up to
    `grace` seconds for every socket to have every key. Returns the keys."""
    readers = [asyncio.create_task(socket.read()) for socket in sockets]
    try:
        keys = await asyncio.to_thread(send)
        wanted, deadline = set(keys), time.monotonic() + grace
        while time.monotonic() < deadline and not all(wanted <= socket.received.keys() for socket in sockets):
            await asyncio.sleep(0.1)
    finally:
        for reader in readers:
            reader.cancel()
        for outcome in await asyncio.gather(*readers, return_exceptions=True):
            if not isinstance(outcome, asyncio.CancelledError):
                raise RuntimeError(f"a websocket reader failed: {outcome!r}")
    return keys


# ---- websocket clients in processes of their own -----------------------------------------------------------


@dataclass(frozen=True)
class Received:
    """What one client socket got: each key's receive time and record timestamp (ms), and the duplicates."""

    received: dict[str, float]
    timestamps: dict[str, int]
    duplicates: int


def _clients(ready, stop, results, port: int, count: int, wanted, grace: float) -> None:
    asyncio.run(_run_clients(ready, results, port, count, wanted, grace))


async def _run_clients(ready, results, port: int, count: int, wanted, grace: float) -> None:
    """Open `count` live sockets, read until the parent sends the keys it wanted (then up to `grace` s more, until
    every socket has them all), and put one Received per socket."""
    sockets = await open_sockets(port, count)
    ready.set()
    readers = [asyncio.create_task(socket.read()) for socket in sockets]
    keys = set(await asyncio.to_thread(wanted.get))
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and not all(keys <= socket.received.keys() for socket in sockets):
        await asyncio.sleep(0.1)
    for reader in readers:
        reader.cancel()
    for outcome in await asyncio.gather(*readers, return_exceptions=True):
        if not isinstance(outcome, asyncio.CancelledError):
            raise RuntimeError(f"a websocket reader failed: {outcome!r}")
    await asyncio.gather(*(socket.close() for socket in sockets))
    results.put([Received(socket.received, socket.timestamps, socket.duplicates) for socket in sockets])


class ClientProcesses:
    """`clients` live /ws/orders/ sockets spread over processes of `per_process` each, so that the measuring side
    is not the bottleneck: ``start``, then ``collect(keys)`` once the producer is done."""

    def __init__(self, port: int, clients: int, *, per_process: int = 50, grace: float = 15.0):
        sizes = [min(per_process, clients - start) for start in range(0, clients, per_process)]
        self.wanted = [SPAWN.Queue() for _ in sizes]
        self.workers = [
            Worker(_clients, port, size, wanted, grace) for size, wanted in zip(sizes, self.wanted, strict=True)
        ]
        self.grace = grace

    def start(self) -> ClientProcesses:
        for worker in self.workers:
            worker.start(timeout=120)
        return self

    @property
    def pids(self) -> list[int]:
        return [worker.process.pid for worker in self.workers]

    def collect(self, keys: list[str]) -> list[Received]:
        """Tell every process the keys sent; each socket's Received once it has them all or the grace is over."""
        for wanted in self.wanted:
            wanted.put(keys)
        return [received for worker in self.workers for received in worker.result(self.grace + 60, stop=False)]


# ---- a process's resources, from /proc ---------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command name (which may hold spaces and parentheses): state first."""
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().rsplit(")", 1)[1].split()


def _cpu_of(fields: list[str]) -> float:
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process (all its threads) so far."""
    return _cpu_of(_stat_fields(pid))


class CpuMeter:
    """CPU share (of one core) some processes used together between start and ``share()``."""

    def __init__(self, *pids: int):
        self.pids, self.wall = pids, time.monotonic()
        self.cpu = sum(cpu_seconds(pid) for pid in pids)

    def share(self) -> float:
        return (sum(cpu_seconds(pid) for pid in self.pids) - self.cpu) / (time.monotonic() - self.wall)


def _parent_cpu_and_command(pid: int) -> tuple[int, float, list[str]] | None:
    """The process's parent, its CPU time so far and its command line; None once it has gone."""
    try:
        fields = _stat_fields(pid)
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            command = cmdline.read().decode(errors="replace").rstrip("\0").split("\0")
        return int(fields[1]), _cpu_of(fields), command
    except (OSError, ValueError, IndexError):
        return None


UNNAMED = "?"  # a process whose command line is empty


def process_kind(command: list[str]) -> str:
    """What a process of a benchmark is, from its command line, in words for a report."""
    words = " ".join(command)
    if "--type=renderer" in words:
        return "Chromium renderer"
    if "chromium" in command[0]:
        return "Chromium, its other processes"
    if command[0].endswith("java") and "kafka" in words.lower():
        return "Kafka broker"
    if "manage.py" in command:
        return " ".join(command[command.index("manage.py") :][:2])
    if "multiprocessing" in words:
        return "the bench's Kafka clients"
    if "playwright" in words:
        return "Playwright's driver"
    return Path(command[0]).name or UNNAMED


class TreeCpuMeter:
    """CPU share (of one core) of this process and every process under it, by kind, between start and
    ``shares()``: who had the cores while a figure was measured. A process started since counts from 0; one that
    ended since counts up to the last of the readings taken every `every` seconds, under the kind its last command
    line named (an ended process not yet reaped, a zombie, has an empty one)."""

    def __init__(self, root: int | None = None, every: float = 0.5):
        self.root = root or os.getpid()
        self.wall = time.monotonic()
        self.first = self._read()
        self.last = dict(self.first)
        self.stopping = threading.Event()
        self.reader = threading.Thread(target=self._keep_reading, args=(every,), name="tree-cpu-meter", daemon=True)
        self.reader.start()

    def _keep_reading(self, every: float) -> None:
        while not self.stopping.wait(every):
            self._take(self._read())

    def _take(self, read: dict[int, tuple[str, float]]) -> None:
        for pid, (kind, cpu) in read.items():
            known = self.last.get(pid)
            self.last[pid] = (known[0] if known and kind == UNNAMED else kind, cpu)

    def _read(self) -> dict[int, tuple[str, float]]:
        found = {
            pid: known
            for pid in map(int, filter(str.isdigit, os.listdir("/proc")))
            if (known := _parent_cpu_and_command(pid))
        }
        children: dict[int, list[int]] = {}
        for pid, (parent, _, _) in found.items():
            children.setdefault(parent, []).append(pid)
        read, under = {}, [self.root]
        while under:
            pid = under.pop()
            if pid in found:
                _, cpu, command = found[pid]
                read[pid] = ("this bench" if pid == self.root else process_kind(command), cpu)
            under.extend(children.get(pid, []))
        return read

    def shares(self) -> dict[str, float]:
        """{kind: share of one core}, the busiest first; the readings stop here."""
        self.stopping.set()
        self.reader.join()
        self._take(self._read())
        wall = time.monotonic() - self.wall
        shares: dict[str, float] = {}
        for pid, (kind, cpu) in self.last.items():
            shares[kind] = shares.get(kind, 0.0) + (cpu - self.first.get(pid, (kind, 0.0))[1]) / wall
        return dict(sorted(shares.items(), key=lambda item: -item[1]))


# ---- the measurement window ------------------------------------------------------------------------------


def measured(keys: list[str], rate: float, warmup_seconds: float) -> list[str]:
    """The keys sent after the warm-up (the first `warmup_seconds` of a fixed-rate schedule)."""
    return keys[int(rate * warmup_seconds) :]


def delivered_latencies(keys: list[str], received: dict[str, float], timestamps: dict[str, int]) -> list[float]:
    """Record timestamp → received, in ms, for each of `keys` that was received."""
    return [received[key] - timestamps[key] for key in keys if key in received]


def raw_latencies(keys: list[str], raw: dict[str, tuple[int, float]]) -> list[float]:
    """Record timestamp → polled by the raw consumer, in ms, for each of `keys` it polled."""
    return [raw[key][1] - raw[key][0] for key in keys if key in raw]
