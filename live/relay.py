"""The live view's Kafka side: one shared observer reader per web process (replays: live.replay).

The shared reader is a thread started lazily by the first websocket (``ensure_started``). It assigns every
partition of the orders topic with no consumer group (it commits nothing and disturbs no real group), starts at
the end, and publishes each polled batch once to the process's sockets through ``live.broadcast`` (on the asyncio
loop, with ``call_soon_threadsafe``, waiting for it: a slow loop slows the reader). It keeps, per partition,
the next offset it has handed over (its *positions*): a replay uses them as the cut between history and live.

Messages it publishes, in order (the broadcast numbers them with a consecutive ``seq``):
``{"type": "relay.records", "records": [[partition, offset, frame as JSON text], ...]}``,
``{"type": "relay.status", "kafka": "ok" | "unavailable", "error"}`` and
``{"type": "relay.broker", "listening": true | false, "error"}``. A socket that sees a ``seq`` jump knows the log
dropped messages it had not taken (it fell too far behind) and catches up from Kafka.

While the broker is away the reader reports it, retries every RETRY_SECONDS and, once back, continues from its
positions, so live streams have no gap. The reader notices a broker gone only when a request fails (when idle, at
its next end-offsets check, seconds later); a second thread, the broker watch, tries a TCP connection to the
bootstrap servers every BROKER_WATCH_SECONDS and publishes ``relay.broker`` when they stop or start accepting
(refused everywhere: no broker process listens), so the page's Kafka badge is right within a second.
``stop`` ends both threads (tests call it; a web process just exits).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from opentelemetry import trace
from opentelemetry.trace import SpanKind, format_span_id, format_trace_id

from live import frames
from live.broadcast import Broadcast
from live.stream import PackedRecord
from messaging import clients, judging, readers, trace_context
from messaging.ordering import OrderingChecker
from orders import events

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

POLL_TIMEOUT_MS = 200
# Records per published message: one message carries a whole poll, so a burst costs few messages.
BATCH_MAX_RECORDS = 200
# With no records flowing, how often the reader asks the broker for end offsets (its liveness check).
HEALTH_CHECK_SECONDS = 2.0
KAFKA_TIMEOUT_MS = 2_000
RETRY_SECONDS = 1.0
SEND_WAIT_SECONDS = 0.2
MAX_CONCURRENT_REPLAYS = 4
# How often the broker watch tries a TCP connection to the bootstrap servers (a refusal comes at once).
BROKER_WATCH_SECONDS = 0.25


# How a reader judges a record: (record, its event or None, why none) -> its verdict (messaging.judging).
Judge = Callable[[Any, events.OrderEvent | None, str], judging.Judged]


def pack(record, judge: Judge, ordering: OrderingChecker | None = None, span: trace.Span | None = None) -> PackedRecord:
    """(partition, offset, the record frame with its verdict as JSON text), encoded once for every socket.

    Encoding it once instead of once per socket halved fan-out latency at 200 sockets (bench/fanout.py); the
    broadcast copies nothing, and every socket sends this same text. With `ordering`, a record out of its key's
    sequence carries why (messaging.ordering); with the relay's `span` (recording), the frame names it, so the page's
    "shown" span is its child.
    """
    judged = judge(record, *judging.read_event(record.value, record.key))
    frame = frames.record_frame(record, judged)
    event = judged.event
    if (
        ordering is not None
        and event is not None
        and (reason := ordering.check(record.partition, record.offset, event))
    ):
        frame["out_of_order"] = reason
    if span is not None and span.is_recording():
        context = span.get_span_context()
        frame["relay_span"] = {
            "trace_id": format_trace_id(context.trace_id),
            "span_id": format_span_id(context.span_id),
        }
    return record.partition, record.offset, frames.pack_frame(frame)


def pack_unreadable(topic: str, unreadable: readers.Unreadable) -> PackedRecord:
    """The frame of a record the client could not decode (live.frames.unreadable_frame), packed like a record."""
    frame = frames.unreadable_frame(topic, unreadable.partition, unreadable.offset, unreadable.error)
    return unreadable.partition, unreadable.offset, frames.pack_frame(frame)


def pack_polled(
    topic: str,
    polled: readers.Polled,
    judge: Judge,
    ordering: OrderingChecker | None = None,
    spans: dict[tuple[int, int], trace.Span] | None = None,
) -> list[PackedRecord]:
    """A poll's records (judged and checked in offset order per partition) and unreadable offsets as packed frames,
    in offset order per partition; `spans`: the relay's span of each record, by (partition, offset)."""
    spans = spans or {}
    packed = [
        pack(record, judge, ordering, spans.get((record.partition, record.offset)))
        for records in polled.records.values()
        for record in records
    ]
    packed += [pack_unreadable(topic, unreadable) for unreadable in polled.unreadable]
    return sorted(packed, key=lambda item: (item[0], item[1]))


def relay_spans(polled: readers.Polled) -> dict[tuple[int, int], trace.Span]:
    """The relay's hop of each record, by (partition, offset), a child of the send that wrote it (a record written
    with no trace context starts a trace of its own): from the reader's poll to the hand-off to this process's
    sockets."""
    spans = {}
    for records in polled.records.values():
        for record in records:
            attributes = {
                "messaging.system": "kafka",
                "messaging.destination.partition.id": str(record.partition),
                "messaging.kafka.offset": record.offset,
            }
            if record.key is not None and events.ORDER_ID_PATTERN.fullmatch(key := record.key.decode(errors="replace")):
                attributes["order.id"] = key
            context = trace_context.extract(record.headers)
            spans[record.partition, record.offset] = tracer.start_span(
                f"relay {record.topic}", context, SpanKind.CONSUMER, attributes
            )
    return spans


class LoopClosed(RuntimeError):
    """The asyncio loop the reader feeds is gone (its process or test ended): the reader stops."""


@dataclass(frozen=True)
class ReaderState:
    """What the shared reader knows; replaced, never mutated, so a copy can be handed out without a lock."""

    kafka: str = "starting"  # "starting" | "ok" | "unavailable"
    error: str = ""
    partitions: tuple[int, ...] = ()
    positions: dict[int, int] = field(default_factory=dict)  # next offset published, per partition
    end_offsets: dict[int, int] = field(default_factory=dict)
    # The broker watch's finding: whether a bootstrap server accepts connections (None until it knows), and why not.
    listening: bool | None = None
    listening_error: str = ""


class Relay:
    """One process's shared reader of the orders topic, publishing to its sockets through ``self.broadcast``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, topic: str, bootstrap: str):
        self.loop, self.topic, self.bootstrap = loop, topic, bootstrap
        self.broadcast = Broadcast()
        # Bounds the short-lived history readers (one Kafka connection each) this process runs at once.
        self.replay_slots = asyncio.Semaphore(MAX_CONCURRENT_REPLAYS)
        self._state = ReaderState()
        # What the reader accepted, per order: every frame's verdict, and a replay's (live.replay) below the cut.
        # Replaced (never mutated from outside) when the reader starts over; None until its first warm-up.
        self.ledger: judging.Ledger | None = None
        # Per key, the last record relayed in order: a record out of its key's sequence is flagged in its frame.
        self.ordering = OrderingChecker()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="orders-relay-reader", daemon=True)
        self._watch = threading.Thread(target=self._watch_broker, name="orders-relay-broker-watch", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def state(self) -> ReaderState:
        with self._lock:
            return self._state

    def start(self) -> None:
        self._thread.start()
        self._watch.start()

    def stop(self, timeout: float) -> bool:
        """Ask the reader and the broker watch to stop and wait up to `timeout` seconds; True when both ended."""
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in (self._thread, self._watch):
            if thread.ident is not None:
                thread.join(max(0.0, deadline - time.monotonic()))
        return not (self._thread.is_alive() or self._watch.is_alive())

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
                except Exception as exc:
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
        """An observer consumer on every partition, at the reader's positions (the end, the first time).

        The first time (and when the topic changed under it: fewer records or more partitions than it knew), the
        reader first judges the last judging.LOOKBACK_RECORDS of each partition without publishing them, so the
        orders they hold are known when their next change arrives; the state says "ok" only then.
        """
        consumer = readers.open_reader(
            self.topic, start="end", client_id="orders-relay", bootstrap_servers=self.bootstrap
        )
        try:
            tps = readers.assigned(consumer)
            partitions = [tp.partition for tp in tps]
            end = {tp.partition: offset for tp, offset in consumer.end_offsets(tps, KAFKA_TIMEOUT_MS).items()}
            known = self.state().positions
            ledger = self.ledger
            if ledger is None or ledger.partition_count != len(tps) or any(end[p] < known.get(p, 0) for p in end):
                ledger = judging.Ledger(len(tps))
                self.ordering = OrderingChecker()
                # Where the warm-up stopped judging: the end, unless it ran out of time (the rest then comes live).
                end = judging.warm_up(consumer, ledger)
                known = {}
            # After an outage, continue where the reader stopped: live streams then have no gap.
            positions = {p: min(known.get(p, end[p]), end[p]) for p in partitions}
            for tp in tps:
                consumer.seek(tp, positions[tp.partition])
            self.ledger = ledger
        except BaseException:
            consumer.close()
            raise
        with self._lock:
            self._state = replace(
                self._state, kafka="ok", error="", partitions=tuple(partitions), positions=positions, end_offsets=end
            )
        logger.info("relay reading %s partitions %s from %s", self.topic, partitions, positions)
        self._send_status()
        return consumer

    def _pump(self, consumer: KafkaConsumer) -> None:
        tps = [TopicPartition(self.topic, p) for p in self.state().partitions]
        next_check = time.monotonic() + HEALTH_CHECK_SECONDS
        while not self._stopping.is_set():
            # A record the client cannot decode is stepped past (an "unreadable" frame), never retried forever.
            polled = readers.poll_stepping_past(consumer, timeout_ms=POLL_TIMEOUT_MS, max_records=BATCH_MAX_RECORDS)
            spans = relay_spans(polled)
            packed = pack_polled(self.topic, polled, self.ledger.judge, self.ordering, spans)
            if packed:
                self._deliver(packed)
                for span in spans.values():
                    span.end()
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
            self._state = replace(self._state, positions=positions)
        self._send({"type": "relay.records", "records": packed})

    def _set_unavailable(self, exc: Exception) -> None:
        error = clients.error_text(exc)
        with self._lock:
            changed = self._state.kafka != "unavailable"
            self._state = replace(self._state, kafka="unavailable", error=error)
        if changed:
            logger.warning("relay cannot read %s (%s); retrying", self.topic, error)
            self._send_status()

    def _watch_broker(self) -> None:
        """Publish ``relay.broker`` when the bootstrap servers stop accepting connections, and when they start again.

        Only a change is published, and not the first finding when it is "listening": sockets hear of the broker
        only around an outage. A probe that can say nothing (timeouts) leaves the finding as it was.
        """
        try:
            while not self._stopping.is_set():
                found = clients.broker_listening(self.bootstrap)
                if found.listening is not None:
                    with self._lock:
                        before = self._state.listening
                        self._state = replace(self._state, listening=found.listening, listening_error=found.error)
                    if found.listening is not before and not (before is None and found.listening):
                        self._send({"type": "relay.broker", "listening": found.listening, "error": found.error})
                self._stopping.wait(BROKER_WATCH_SECONDS)
        except LoopClosed:
            logger.info("relay broker watch stopped: its event loop is closed")

    def _send_status(self) -> None:
        state = self.state()
        self._send({"type": "relay.status", "kafka": state.kafka, "error": state.error})

    def _send(self, message: dict[str, Any]) -> None:
        """Publish on the loop and wait for it: messages stay in order and a slow loop slows the reader.

        A plain callback, not a coroutine: the sockets' pumps then wake one loop iteration after the handoff.
        """
        if self.loop.is_closed():
            raise LoopClosed()
        published: concurrent.futures.Future = concurrent.futures.Future()

        def publish() -> None:
            if published.set_running_or_notify_cancel():
                self.broadcast.publish(message)
                published.set_result(None)

        try:
            self.loop.call_soon_threadsafe(publish)
        except RuntimeError as exc:
            raise LoopClosed() from exc
        while not self._stopping.is_set():
            try:
                published.result(timeout=SEND_WAIT_SECONDS)
                return
            except concurrent.futures.TimeoutError:
                if self.loop.is_closed() or not self.loop.is_running():
                    published.cancel()
                    raise LoopClosed() from None
        published.cancel()


@dataclass
class _ProcessRelay:
    """The process's one relay, replaced under the lock."""

    relay: Relay | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


_process = _ProcessRelay()


def ensure_started() -> Relay:
    """This process's relay, started on the running loop when there is none yet (or its reader ended)."""
    loop = asyncio.get_running_loop()
    with _process.lock:
        running = _process.relay
        if running is None or not running.alive or running.loop is not loop:
            if running is not None:
                running.stop(timeout=0)
            _process.relay = Relay(loop, settings.KAFKA_ORDERS_TOPIC, settings.KAFKA_BOOTSTRAP_SERVERS)
            _process.relay.start()
        return _process.relay


def current() -> Relay | None:
    return _process.relay


def stop(timeout: float = 10.0) -> bool:
    """Stop this process's relay, if any, and wait for its reader thread; True when no reader thread is left."""
    with _process.lock:
        relay, _process.relay = _process.relay, None
    return relay is None or relay.stop(timeout)
