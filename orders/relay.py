"""The live view's Kafka side: one shared observer reader per web process, and short-lived readers for replays.

The shared reader is a thread started lazily by the first websocket (``ensure_started``). It assigns every
partition of the orders topic with no consumer group (it commits nothing and disturbs no real group), starts at
the end, and hands each polled batch to the asyncio loop with ``run_coroutine_threadsafe(layer.group_send(...))``
(``async_to_sync`` from a foreign thread stalled the in-memory layer for seconds). It keeps, per partition, the
next offset it has handed over (its *positions*): a replay uses them as the cut between history and live.

Messages it sends to its Channels group, in order, each with a ``seq`` one higher than the last:
``{"type": "relay.records", "seq", "records": [[partition, offset, frame as JSON text], ...]}`` and
``{"type": "relay.status", "seq", "kafka": "ok" | "unavailable", "error"}``. A consumer that sees a ``seq`` jump
knows a message was dropped for it (a full channel layer) and catches up from Kafka.

While the broker is away the reader reports it, retries every RETRY_SECONDS and, once back, continues from its
positions, so live streams have no gap. ``stop`` ends it (tests call it; a web process just exits).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

from orders import events, kafka

logger = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 200
# Records per group message: one channel-layer message carries a whole poll, so a burst costs few messages.
BATCH_MAX_RECORDS = 200
# With no records flowing, how often the reader asks the broker for end offsets (its liveness check).
HEALTH_CHECK_SECONDS = 2.0
KAFKA_TIMEOUT_MS = 2_000
RETRY_SECONDS = 1.0
SEND_WAIT_SECONDS = 0.2
MAX_REPLAY_RECORDS_PER_PARTITION = 5_000
REPLAY_TIMEOUT_SECONDS = 30.0
MAX_CONCURRENT_REPLAYS = 4
MAX_OFFSET = 2**63 - 1

READER_OPTIONS = dict(
    enable_auto_commit=False,
    request_timeout_ms=5_000,
    # kafka-python backs off up to 30 s by default; a broker that is back should be seen within a second.
    reconnect_backoff_max_ms=1_000,
)


PackedRecord = tuple[int, int, str]


def pack(record) -> PackedRecord:
    """(partition, offset, the record frame as JSON text), encoded once for every socket.

    The in-memory channel layer deep-copies each message once per group member: copying one string per record
    instead of a frame dict, and encoding it once instead of once per socket, halved fan-out latency at 200
    sockets (bench/fanout.py).
    """
    frame = events.record_frame(record)
    return frame["partition"], frame["offset"], json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


class TopicMissing(KafkaError):
    """The orders topic does not exist (yet): the reader waits for it like for an absent broker."""


class LoopClosed(RuntimeError):
    """The asyncio loop the reader feeds is gone (its process or test ended): the reader stops."""


@dataclass(frozen=True)
class ReaderState:
    """What the shared reader knows; replaced, never mutated, so a copy can be handed out without a lock."""

    kafka: str = "starting"  # "starting" | "ok" | "unavailable"
    error: str = ""
    partitions: tuple[int, ...] = ()
    positions: dict[int, int] = field(default_factory=dict)  # next offset handed to the group, per partition
    end_offsets: dict[int, int] = field(default_factory=dict)
    seq: int = 0


class Relay:
    """One process's shared reader of the orders topic, feeding the Channels group ``self.group``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, layer: BaseChannelLayer, topic: str, bootstrap: str):
        self.loop, self.layer, self.topic, self.bootstrap = loop, layer, topic, bootstrap
        # Per process: with a shared (Redis) layer, a process-wide name would deliver every record once per process.
        self.group = f"{events.ORDERS_GROUP}.{uuid.uuid4().hex}"
        # Bounds the short-lived history readers (one Kafka connection each) this process runs at once.
        self.replay_slots = asyncio.Semaphore(MAX_CONCURRENT_REPLAYS)
        self._state = ReaderState()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="orders-relay-reader", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def state(self) -> ReaderState:
        with self._lock:
            return self._state

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> bool:
        """Ask the reader to stop and wait up to `timeout` seconds; return True when its thread has ended."""
        self._stopping.set()
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        consumer: KafkaConsumer | None = None
        try:
            while not self._stopping.is_set():
                try:
                    if consumer is None:
                        consumer = self._connect()
                    self._pump(consumer)
                except LoopClosed:
                    raise
                except Exception as exc:  # noqa: BLE001 - the reader must outlive any broker or record trouble
                    if not isinstance(exc, KafkaError):
                        logger.exception("relay reader failed; reconnecting")
                    if consumer is not None:
                        consumer.close()
                        consumer = None
                    self._set_unavailable(exc)
                    self._stopping.wait(RETRY_SECONDS)
        except LoopClosed:
            logger.info("relay reader stopped: its event loop is closed")
        finally:
            if consumer is not None:
                consumer.close()

    def _connect(self) -> KafkaConsumer:
        """An observer consumer on every partition, at the reader's positions (the end, the first time)."""
        consumer = kafka.build_consumer(bootstrap_servers=self.bootstrap, client_id="orders-relay", **READER_OPTIONS)
        try:
            partitions = sorted(consumer.partitions_for_topic(self.topic))
            if not partitions:
                raise TopicMissing(f"topic {self.topic!r} does not exist")
            tps = [TopicPartition(self.topic, p) for p in partitions]
            consumer.assign(tps)
            end = {tp.partition: offset for tp, offset in consumer.end_offsets(tps, KAFKA_TIMEOUT_MS).items()}
            known = self.state().positions
            # After an outage, continue where the reader stopped: live streams then have no gap.
            positions = {p: min(known.get(p, end[p]), end[p]) for p in partitions}
            for tp in tps:
                consumer.seek(tp, positions[tp.partition])
        except BaseException:
            consumer.close()
            raise
        with self._lock:
            self._state = replace(self._state, kafka="ok", error="", partitions=tuple(partitions),
                                  positions=positions, end_offsets=end)
        logger.info("relay reading %s partitions %s from %s", self.topic, partitions, positions)
        self._send_status()
        return consumer

    def _pump(self, consumer: KafkaConsumer) -> None:
        tps = [TopicPartition(self.topic, p) for p in self.state().partitions]
        next_check = time.monotonic() + HEALTH_CHECK_SECONDS
        while not self._stopping.is_set():
            batches = consumer.poll(timeout_ms=POLL_TIMEOUT_MS, max_records=BATCH_MAX_RECORDS)
            packed = [pack(record) for records in batches.values() for record in records]
            if packed:
                self._deliver(packed)
                next_check = time.monotonic() + HEALTH_CHECK_SECONDS
            elif time.monotonic() >= next_check:
                # Raises KafkaTimeoutError when the broker is gone; poll() alone would just keep returning nothing.
                end = consumer.end_offsets(tps, KAFKA_TIMEOUT_MS)
                with self._lock:
                    self._state = replace(self._state, end_offsets={tp.partition: o for tp, o in end.items()})
                next_check = time.monotonic() + HEALTH_CHECK_SECONDS

    def _deliver(self, packed: list[PackedRecord]) -> None:
        # Positions move before the send: a replay's cut then never misses a frame sent after it (see consumers).
        with self._lock:
            positions = dict(self._state.positions)
            for partition, offset, _ in packed:
                positions[partition] = max(positions.get(partition, 0), offset + 1)
            self._state = replace(self._state, positions=positions, seq=self._state.seq + 1)
            seq = self._state.seq
        self._send({"type": "relay.records", "seq": seq, "records": packed})

    def _set_unavailable(self, exc: Exception) -> None:
        error = f"{type(exc).__name__}: {exc}"
        with self._lock:
            changed = self._state.kafka != "unavailable"
            self._state = replace(self._state, kafka="unavailable", error=error)
        if changed:
            logger.warning("relay cannot read %s (%s); retrying", self.topic, error)
            self._send_status()

    def _send_status(self) -> None:
        with self._lock:
            self._state = replace(self._state, seq=self._state.seq + 1)
            state = self._state
        self._send({"type": "relay.status", "seq": state.seq, "kafka": state.kafka, "error": state.error})

    def _send(self, message: dict[str, Any]) -> None:
        """Run one group_send on the loop and wait for it: messages stay in order and a slow loop slows the reader."""
        if self.loop.is_closed():
            raise LoopClosed()
        coroutine = self.layer.group_send(self.group, message)
        try:
            future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        except RuntimeError as exc:
            coroutine.close()
            raise LoopClosed() from exc
        while not self._stopping.is_set():
            try:
                future.result(timeout=SEND_WAIT_SECONDS)
                return
            except concurrent.futures.TimeoutError:
                if self.loop.is_closed() or not self.loop.is_running():
                    future.cancel()
                    raise LoopClosed() from None
            except Exception:  # noqa: BLE001 - a failing layer (Redis away) loses this message, not the reader
                logger.exception("relay could not send to the channel layer")
                return
        future.cancel()


_current: Relay | None = None
_current_lock = threading.Lock()


def ensure_started() -> Relay:
    """This process's relay, started on the running loop when there is none yet (or its reader ended)."""
    global _current
    loop = asyncio.get_running_loop()
    with _current_lock:
        if _current is None or not _current.alive or _current.loop is not loop:
            if _current is not None:
                _current.stop(timeout=0)
            _current = Relay(loop, get_channel_layer(), settings.KAFKA_ORDERS_TOPIC, settings.KAFKA_BOOTSTRAP_SERVERS)
            _current.start()
        return _current


def current() -> Relay | None:
    return _current


def stop(timeout: float = 10.0) -> bool:
    """Stop this process's relay, if any, and wait for its reader thread; True when no reader thread is left."""
    global _current
    with _current_lock:
        relay, _current = _current, None
    return relay is None or relay.stop(timeout)


@dataclass(frozen=True)
class ReplayFrom:
    """Where a client asked its stream to start."""

    kind: str  # "beginning" | "latest" | "timestamp" | "offsets"
    timestamp: int | None = None
    offsets: dict[int, int] = field(default_factory=dict)

    def clamped(self, cut: dict[int, int]) -> ReplayFrom:
        """Offsets past a partition's end start at its end (the topic was recreated, say) instead of silently
        skipping the records that will arrive below them; the replaying status shows where it starts."""
        if self.kind != "offsets":
            return self
        return replace(self, offsets={p: min(offset, cut.get(p, offset)) for p, offset in self.offsets.items()})

    def needs_history(self, cut: dict[int, int]) -> bool:
        if self.kind == "latest":
            return False
        if self.kind == "offsets":
            return any(self.offsets.get(p, 0) < end for p, end in cut.items())
        return True


def parse_replay_from(value: Any) -> ReplayFrom:
    """Validate a client's ``from``; raise ValueError with a message fit for an error frame."""
    if value in ("beginning", "latest"):
        return ReplayFrom(value)
    if isinstance(value, dict) and set(value) == {"timestamp"}:
        if not _is_offset(value["timestamp"]):
            raise ValueError('"timestamp" must be milliseconds since the epoch, an integer >= 0')
        return ReplayFrom("timestamp", timestamp=value["timestamp"])
    if isinstance(value, dict) and value:
        offsets = {}
        for partition, offset in value.items():
            if not (partition.isascii() and partition.isdigit()):
                raise ValueError(f"partition {partition!r} is not a partition number")
            if not _is_offset(offset):
                raise ValueError(f"offset {offset!r} of partition {partition} is not an integer >= 0")
            offsets[int(partition)] = offset
        return ReplayFrom("offsets", offsets=offsets)
    raise ValueError('"from" must be "beginning", "latest", {"<partition>": <next offset>, ...} '
                     'or {"timestamp": <ms since the epoch>}')


def _is_offset(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_OFFSET


@dataclass(frozen=True)
class ReplayPlan:
    """The history one replay sends: offsets [start, until) per partition, minus `skipped` old ones."""

    start: dict[int, int]
    until: dict[int, int]
    skipped: dict[int, int]


class HistoryReader:
    """A short-lived observer consumer (no group, commits nothing) reading one replay's history, then closed.

    Bounded: at most MAX_REPLAY_RECORDS_PER_PARTITION offsets per partition (the most recent ones; the older are
    reported as skipped), and REPLAY_TIMEOUT_SECONDS in all. Every method blocks, so call them through
    ``asyncio.to_thread``; one lock serialises them, so close() is safe while a read runs in another thread.
    """

    def __init__(self, topic: str, bootstrap: str, until: dict[int, int]):
        self.topic, self.bootstrap, self.until = topic, bootstrap, dict(until)
        self._lock = threading.Lock()
        self._consumer: KafkaConsumer | None = None
        self._remaining: dict[TopicPartition, int] = {}
        self._deadline = 0.0

    def open(self, start: ReplayFrom) -> ReplayPlan:
        with self._lock:
            self._consumer = kafka.build_consumer(
                bootstrap_servers=self.bootstrap, client_id="orders-relay-replay", **READER_OPTIONS,
            )
            tps = {p: TopicPartition(self.topic, p) for p in self.until}
            first = self._consumer.beginning_offsets(list(tps.values()), KAFKA_TIMEOUT_MS)
            if start.kind == "timestamp":
                found = self._consumer.offsets_for_times({tp: start.timestamp for tp in tps.values()},
                                                         KAFKA_TIMEOUT_MS)
                # No record at or after the time: nothing from history, the stream starts live.
                wanted = {p: found[tp].offset if found.get(tp) else self.until[p] for p, tp in tps.items()}
            else:
                # A partition the client did not name is read from its beginning: it has seen none of it.
                wanted = {p: start.offsets.get(p, first[tp]) for p, tp in tps.items()}
            # Offsets below the log start are gone (retention); the plan's start shows where history begins.
            begin = {p: max(wanted[p], first[tp]) for p, tp in tps.items()}
            plan = ReplayPlan(
                start={p: max(begin[p], self.until[p] - MAX_REPLAY_RECORDS_PER_PARTITION) for p in tps},
                until=dict(self.until),
                skipped={p: self.until[p] - MAX_REPLAY_RECORDS_PER_PARTITION - begin[p] for p in tps
                         if self.until[p] - begin[p] > MAX_REPLAY_RECORDS_PER_PARTITION},
            )
            self._remaining = {tps[p]: self.until[p] for p in tps if plan.start[p] < self.until[p]}
            if self._remaining:
                self._consumer.assign(list(self._remaining))
                for tp in self._remaining:
                    self._consumer.seek(tp, plan.start[tp.partition])
            self._deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
            return plan

    def read_chunk(self) -> list[PackedRecord] | None:
        """The next packed records (in offset order per partition), or None once every partition reached `until`."""
        with self._lock:
            if self._consumer is None or not self._remaining:
                return None
            if time.monotonic() > self._deadline:
                raise KafkaTimeoutError(f"the replay did not finish within {REPLAY_TIMEOUT_SECONDS:.0f} s")
            frames = []
            for tp, records in self._consumer.poll(timeout_ms=POLL_TIMEOUT_MS).items():
                until = self._remaining.get(tp)
                if until is not None:
                    # A fetch returns whole batches, so it may run past the cut; those records come live.
                    frames.extend(pack(r) for r in records if r.offset < until)
            for tp, until in list(self._remaining.items()):
                if (self._consumer.position(tp, KAFKA_TIMEOUT_MS) or 0) >= until:
                    del self._remaining[tp]
                    self._consumer.pause(tp)
            return frames

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None
