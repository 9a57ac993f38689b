"""The live view's Kafka side: one shared observer reader per web process (replays: live.replay).

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
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from channels.layers import BaseChannelLayer, get_channel_layer
from django.conf import settings
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from live import frames
from messaging import readers
from orders import events

logger = logging.getLogger(__name__)

POLL_TIMEOUT_MS = 200
# Records per group message: one channel-layer message carries a whole poll, so a burst costs few messages.
BATCH_MAX_RECORDS = 200
# With no records flowing, how often the reader asks the broker for end offsets (its liveness check).
HEALTH_CHECK_SECONDS = 2.0
KAFKA_TIMEOUT_MS = 2_000
RETRY_SECONDS = 1.0
SEND_WAIT_SECONDS = 0.2
MAX_CONCURRENT_REPLAYS = 4

PackedRecord = tuple[int, int, str]


def pack(record) -> PackedRecord:
    """(partition, offset, the record frame as JSON text), encoded once for every socket.

    The in-memory channel layer deep-copies each message once per group member: copying one string per record
    instead of a frame dict, and encoding it once instead of once per socket, halved fan-out latency at 200
    sockets (bench/fanout.py).
    """
    return record.partition, record.offset, frames.pack_frame(frames.record_frame(record))


def pack_unreadable(topic: str, unreadable: readers.Unreadable) -> PackedRecord:
    """The frame of a record the client could not decode (live.frames.unreadable_frame), packed like a record."""
    frame = frames.unreadable_frame(topic, unreadable.partition, unreadable.offset, unreadable.error)
    return unreadable.partition, unreadable.offset, frames.pack_frame(frame)


def pack_polled(topic: str, polled: readers.Polled) -> list[PackedRecord]:
    """A poll's records and unreadable offsets as packed frames, in offset order per partition."""
    packed = [pack(record) for records in polled.records.values() for record in records]
    packed += [pack_unreadable(topic, unreadable) for unreadable in polled.unreadable]
    return sorted(packed, key=lambda item: (item[0], item[1]))


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
        consumer = readers.open_reader(self.topic, start="end", client_id="orders-relay",
                                       bootstrap_servers=self.bootstrap)
        try:
            tps = readers.assigned(consumer)
            partitions = [tp.partition for tp in tps]
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
            # A record the client cannot decode is stepped past (an "unreadable" frame), never retried forever.
            polled = readers.poll_stepping_past(consumer, timeout_ms=POLL_TIMEOUT_MS, max_records=BATCH_MAX_RECORDS)
            packed = pack_polled(self.topic, polled)
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
