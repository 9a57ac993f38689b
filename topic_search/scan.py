"""One search, run on a thread of its own: an observer consumer (no group, nothing committed) assigned the chosen
partitions, sought to where the criteria start, reading up to the ends the topic had when the search began.

It hands its frames (topic_search.frames) to the socket through a byte-bounded Handoff: ``started`` (or one
``error`` frame for a topic or partition that does not exist, and nothing else), ``match`` for each record that
matches, ``progress`` about every PROGRESS_SECONDS, then exactly one ``done`` with the reason it stopped. It stops at
the first of: every partition read to its end, a bound (records or bytes scanned, seconds spent, matches sent),
``cancel()``, or an error. The slot it was given is given back when the thread ends, whatever happened.

Scanning is the fast path (bench/topic_search.py): large fetches, each poll's records filtered by the
criteria's list comprehensions and counted in bulk; only the matches get a frame.
"""

from __future__ import annotations

import logging
import threading
import time
from operator import attrgetter
from typing import Any

from django.conf import settings
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from live import frames as record_frames
from live import relay as live_relay
from live.replay import spans
from messaging import clients, judging, readers
from orders import events
from topic_search import frames, slots
from topic_search.criteria import Criteria
from topic_search.handoff import Handoff

logger = logging.getLogger(__name__)

PROGRESS_SECONDS = 0.25
POLL_TIMEOUT_MS = 200
KAFKA_TIMEOUT_MS = 5_000
# The consumer's fetch sizes, tuned on bench/topic_search.py: fetches of up to 4 MiB per partition (the default is
# 1 MiB) save round trips; larger polls than the default 500 records cost more CPU per record, not less. CRC checks
# stay on, as in every reader of the project: in pure Python (no `crc32c` package) they are two thirds of a
# reader's CPU per record.
CONSUMER_OPTIONS = {
    "max_partition_fetch_bytes": 4 * 1024 * 1024,
    "fetch_max_bytes": 16 * 1024 * 1024,
}
# The verdict of an orders-topic record the live relay did not judge (messaging.judging needs an order's records in
# log order; a search starts anywhere).
UNJUDGED = "unjudged"
UNJUDGED_REASON = (
    "searched out of its order's sequence: the live feed judges records in log order, and had not judged this one"
)

# Why a search stopped: the reasons a done frame names.
END, RECORDS, BYTES, TIME, MATCHES, CANCELLED, ERROR = (
    "end_of_topic",
    "max_records",
    "max_bytes",
    "max_seconds",
    "max_matches",
    "cancelled",
    "error",
)


class NotSearchable(Exception):
    """The topic or a partition the criteria name does not exist: an error frame, nothing started."""

    def __init__(self, field_errors: dict[str, list[str]]):
        super().__init__("the search criteria name what the broker does not have")
        self.field_errors = field_errors


class Scan:
    """One search's thread. ``start`` it after taking a slot; ``cancel`` stops it within a poll."""

    def __init__(self, criteria: Criteria, handoff: Handoff, bootstrap: str | None = None) -> None:
        self.criteria, self.handoff = criteria, handoff
        self.bootstrap = bootstrap or settings.KAFKA_BOOTSTRAP_SERVERS
        self.cancelled = threading.Event()
        self.matching = criteria.matcher()
        self.ledger = self._orders_ledger()
        self.scanned_records = self.scanned_bytes = self.matches = self.unreadable = 0
        self.positions: dict[int, int] = {}
        self.ranges: dict[int, tuple[int, int]] = {}
        self.started_at = time.monotonic()
        self.deadline = self.started_at + criteria.bounds.max_seconds
        self._thread = threading.Thread(target=self._run, name=f"topic-search-{criteria.topic}", daemon=True)

    def start(self) -> None:
        """Start the thread; the slot the caller took is given back when it ends."""
        try:
            self._thread.start()
        except BaseException:
            slots.give_back()
            raise

    def cancel(self) -> None:
        self.cancelled.set()

    # ---- the thread -------------------------------------------------------------------------------------------

    def _run(self) -> None:
        consumer: KafkaConsumer | None = None
        refused: str | None = None
        reason, message = ERROR, ""
        try:
            try:
                consumer = self._open()
            except NotSearchable as exc:
                refused = frames.error_frame(str(exc), field_errors=exc.field_errors)
            else:
                self._send(frames.started_frame(self.criteria, self.ranges))
                reason = self._scan(consumer)
        except Exception as exc:
            if not isinstance(exc, KafkaError):
                logger.exception("topic search failed")
            message = clients.error_text(exc)
        finally:
            try:
                if consumer is not None:
                    consumer.close()
            finally:
                slots.give_back()
        # The last frame goes after the slot is back: a client may start its next search as soon as it reads it.
        self._send(refused or frames.done_frame(reason, self._progress(), message), final=True)

    def _open(self) -> KafkaConsumer:
        """The observer consumer, assigned and sought; self.ranges is [start, until) per partition."""
        consumer = clients.build_consumer(
            bootstrap_servers=self.bootstrap,
            client_id="topic-search",
            **{**readers.READER_OPTIONS, **CONSUMER_OPTIONS},
        )
        try:
            topic = self.criteria.topic
            known = consumer.partitions_for_topic(topic)
            if not known:
                raise NotSearchable({"topic": [f"no topic {topic!r} on the broker"]})
            wanted = self.criteria.partitions or tuple(sorted(known))
            missing = sorted(set(wanted) - known)
            if missing:
                raise NotSearchable(
                    {"partitions": [f"the topic has no partition {missing[0]}: it has {spans(sorted(known))}"]}
                )
            tps = [TopicPartition(topic, p) for p in wanted]
            consumer.assign(tps)
            first = consumer.beginning_offsets(tps, KAFKA_TIMEOUT_MS)
            end = consumer.end_offsets(tps, KAFKA_TIMEOUT_MS)
            start, until = dict(first), dict(end)
            if self.criteria.from_time is not None:
                found = consumer.offsets_for_times(dict.fromkeys(tps, self.criteria.from_time), KAFKA_TIMEOUT_MS)
                start = {tp: found[tp].offset if found.get(tp) else end[tp] for tp in tps}
            if self.criteria.to_time is not None:
                # The first record stamped after the range: the partition's scan stops there.
                found = consumer.offsets_for_times(dict.fromkeys(tps, self.criteria.to_time + 1), KAFKA_TIMEOUT_MS)
                until = {tp: min(found[tp].offset, end[tp]) if found.get(tp) else end[tp] for tp in tps}
            for tp in tps:
                begin = max(start[tp], first[tp])
                self.ranges[tp.partition] = (begin, max(begin, until[tp]))
                self.positions[tp.partition] = begin
                consumer.seek(tp, begin)
            return consumer
        except BaseException:
            consumer.close()
            raise

    def _scan(self, consumer: KafkaConsumer) -> str:
        bounds = self.criteria.bounds
        topic = self.criteria.topic
        left = {TopicPartition(topic, p): until for p, (start, until) in self.ranges.items() if start < until}
        consumer.pause(*(tp for tp in consumer.assignment() if tp not in left))
        next_progress = time.monotonic() + PROGRESS_SECONDS
        while True:
            if self.cancelled.is_set():
                return CANCELLED
            if not left:
                return END
            if self.matches >= bounds.max_matches:
                return MATCHES
            if time.monotonic() >= self.deadline:
                return TIME
            polled = readers.poll_stepping_past(consumer, timeout_ms=POLL_TIMEOUT_MS)
            stop: str | None = None
            for tp, records in polled.records.items():
                until = left.get(tp)
                if until is None:
                    continue
                if records[-1].offset >= until:
                    records = [r for r in records if r.offset < until]
                stop = self._take(records) or stop
                if stop:
                    break
            if not stop:
                stop = self._take_unreadable(polled.unreadable, left)
            if stop:
                # Only what was counted moved: the rest of this poll is left unread. A bound reached with the last
                # record of every partition is the topic's end.
                done = all(self.positions[tp.partition] >= until for tp, until in left.items())
                return END if done else stop
            for tp in list(left):
                position = consumer.position(tp, KAFKA_TIMEOUT_MS) or 0
                self.positions[tp.partition] = min(position, left[tp])
                if position >= left[tp]:
                    del left[tp]
                    consumer.pause(tp)
            if time.monotonic() >= next_progress:
                self._send(frames.progress_frame(self._progress()))
                next_progress = time.monotonic() + PROGRESS_SECONDS

    def _take(self, records: list) -> str | None:
        """Count one partition's polled records (up to the bounds) and send their matches; the bound reached, if
        any. Within the bounds a poll is counted in bulk; only one that crosses a bound is cut."""
        if not records:
            return None
        bounds = self.criteria.bounds
        stop = None
        room = bounds.max_records - self.scanned_records
        if len(records) >= room:
            records, stop = records[:room], RECORDS
        size = records_bytes(records)
        if self.scanned_bytes + size > bounds.max_bytes:
            records, size, stop = self._within_bytes(records)
        self.scanned_records += len(records)
        self.scanned_bytes += size
        if records:
            self.positions[records[-1].partition] = records[-1].offset + 1
        for record in self.matching(records):
            if self.matches >= bounds.max_matches:
                return MATCHES
            if not self._send(frames.match_frame(self._frame(record))):
                return self._interrupted()
            self.matches += 1
        return stop

    def _within_bytes(self, records: list) -> tuple[list, int, str]:
        """The leading records whose bytes still fit the bound, their size, and the bytes bound as the reason."""
        room, size = self.criteria.bounds.max_bytes - self.scanned_bytes, 0
        for count, record in enumerate(records):
            more = record_bytes(record)
            if size + more > room:
                return records[:count], size, BYTES
            size += more
        return records, size, BYTES

    def _take_unreadable(self, unreadable: list[readers.Unreadable], left: dict[TopicPartition, int]) -> str | None:
        """Records the Kafka client cannot decode (a header name not UTF-8) count as scanned; with nothing to match
        in them, they match a search that asks only where records are (partitions)."""
        for item in unreadable:
            if TopicPartition(self.criteria.topic, item.partition) not in left:
                continue
            if self.scanned_records >= self.criteria.bounds.max_records:
                return RECORDS
            self.scanned_records += 1
            self.unreadable += 1
            if not self.criteria.reads_content:
                if self.matches >= self.criteria.bounds.max_matches:
                    return MATCHES
                frame = record_frames.unreadable_frame(self.criteria.topic, item.partition, item.offset, item.error)
                if not self._send(frames.match_frame(record_frames.pack_frame(self._shown_verdict(frame)))):
                    return self._interrupted()
                self.matches += 1
        return None

    # ---- frames ---------------------------------------------------------------------------------------------

    def _frame(self, record) -> str:
        """The record frame the live feed would show (live.frames), with the verdict a search can honestly give."""
        if self.ledger is None:
            judged = judging.Judged("", hand_made=judging.is_hand_made(record.headers))
        else:
            event, problem = judging.read_event(record.value, record.key)
            hand_made = judging.is_hand_made(record.headers)
            # No order event is invalid wherever it lies; an event's verdict depends on its order's earlier records.
            judged = self.ledger.recall(record, event, problem) or (
                judging.Judged(events.INVALID, problem, hand_made)
                if event is None
                else judging.Judged(UNJUDGED, UNJUDGED_REASON, hand_made, event)
            )
        return record_frames.pack_frame(self._shown_verdict(record_frames.record_frame(record, judged)))

    def _shown_verdict(self, frame: dict[str, Any]) -> dict[str, Any]:
        """Records of another topic than the orders topic are no order events: their frames carry no verdict."""
        if self.ledger is None:
            frame.pop("verdict", None)
            frame.pop("verdict_reason", None)
        return frame

    def _orders_ledger(self) -> judging.Ledger | NoLedger | None:
        """For the orders topic, the live relay's ledger (its verdicts, for the records it judged); None otherwise."""
        if self.criteria.topic != settings.KAFKA_ORDERS_TOPIC:
            return None
        running = live_relay.current()
        return running.ledger if running is not None and running.ledger is not None else NoLedger()

    def _progress(self) -> dict[str, Any]:
        return {
            "scanned_records": self.scanned_records,
            "scanned_bytes": self.scanned_bytes,
            "matches": self.matches,
            "unreadable": self.unreadable,
            "elapsed_ms": round((time.monotonic() - self.started_at) * 1000),
            "partitions": {
                str(p): {"from": start, "until": until, "position": self.positions.get(p, start)}
                for p, (start, until) in self.ranges.items()
            },
        }

    def _send(self, text: str, final: bool = False) -> bool:
        """Hand a frame to the socket, waiting while it lags; False when the search was cancelled, the socket went
        or the time bound passed first. The last frame may wait past the deadline, never past a cancel."""
        return self.handoff.put(text, self.cancelled, None if final else self.deadline)

    def _interrupted(self) -> str:
        """Why a frame could not be handed over: a cancel (or the socket gone), else the time bound."""
        return CANCELLED if self.cancelled.is_set() or self.handoff.closed else TIME


class NoLedger:
    """The orders topic with no live relay in this process: no verdict is known for any record."""

    def recall(self, record, event, problem) -> None:
        return None


_SIZES = tuple(attrgetter(f"serialized_{part}_size") for part in ("key", "value", "header"))


def records_bytes(records: list) -> int:
    """record_bytes summed over `records`, in bulk: a fourth of the per-record calls' time (a missing part's size
    is -1, added back)."""
    total = 0
    for size_of in _SIZES:
        sizes = list(map(size_of, records))
        total += sum(sizes) + sizes.count(-1)
    return total


def record_bytes(record) -> int:
    """A record's key, value and header bytes as scanned (a missing key or value counts 0)."""
    return (
        max(record.serialized_key_size, 0)
        + max(record.serialized_value_size, 0)
        + max(record.serialized_header_size, 0)
    )
