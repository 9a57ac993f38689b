"""Replays for one websocket: where a client asked to start, and a short-lived reader of the history up to a cut.

A replay reads with its own observer consumer (no group, commits nothing) and closes it when done; the live
records past the cut come from the process's shared reader (live.relay). Each history record carries the verdict
the shared reader gave it (its ledger, recalled), so a reload shows what the live page showed; a record older than
what the shared reader judged is judged by the replay's own ledger, in offset order from where it starts.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaTimeoutError

from live.relay import KAFKA_TIMEOUT_MS, POLL_TIMEOUT_MS, pack_polled
from live.stream import PackedRecord
from messaging import judging, readers
from messaging.ordering import OrderingChecker
from orders import events

MAX_REPLAY_RECORDS_PER_PARTITION = 5_000
# What one history reader holds at once: the bytes one fetch brings (kafka-python defaults to 50 MiB, and fetches
# ahead while records are handed out), and the records one chunk packs into frames.
HISTORY_FETCH_MAX_BYTES = 2 * 1024 * 1024
HISTORY_CHUNK_RECORDS = 100
REPLAY_TIMEOUT_SECONDS = 30.0
MAX_OFFSET = 2**63 - 1


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
    raise ValueError(
        '"from" must be "beginning", "latest", {"<partition>": <next offset>, ...} '
        'or {"timestamp": <ms since the epoch>}'
    )


class StartRefused(ValueError):
    """A start the topic cannot serve; `valid` (a frame field) says what it can."""

    def __init__(self, message: str, valid: dict[str, Any]):
        super().__init__(message)
        self.valid = valid


def spans(numbers: list[int]) -> str:
    """[0, 1, 2] as "0\u20132"; with a gap, [0, 1, 2, 5] as "0\u20132, 5"."""
    runs: list[list[int]] = []
    for number in sorted(numbers):
        if runs and number == runs[-1][1] + 1:
            runs[-1][1] = number
        else:
            runs.append([number, number])
    return ", ".join(str(low) if low == high else f"{low}\u2013{high}" for low, high in runs)


def check_partitions(start: ReplayFrom, partitions: tuple[int, ...]) -> None:
    """Refuse offsets for a partition the topic does not have (no check before the topic's partitions are known)."""
    unknown = sorted(set(start.offsets) - set(partitions)) if partitions else []
    if unknown:
        raise StartRefused(
            f"partition {unknown[0]} does not exist: the topic has partitions {spans(list(partitions))}",
            {"partitions": sorted(partitions)},
        )


def check_offsets(start: ReplayFrom, first: dict[int, int], end: dict[int, int]) -> None:
    """Refuse an offset past its partition's end (the end itself is fine: the stream starts live there)."""
    for partition, offset in sorted(start.offsets.items()):
        if partition in end and offset > end[partition]:
            low, high = first.get(partition, 0), end[partition]
            raise StartRefused(
                f"offset {offset} of partition {partition} is past its end: {low}\u2013{high}",
                {"partition": partition, "first": low, "end": high},
            )


def log_bounds(topic: str, bootstrap: str) -> tuple[dict[int, int], dict[int, int]]:
    """Each partition's first offset and end (the next offset to be written), asked of Kafka now. Blocks."""
    consumer = readers.open_reader(topic, client_id="orders-relay-check", bootstrap_servers=bootstrap)
    try:
        tps = readers.assigned(consumer)
        first = consumer.beginning_offsets(tps, KAFKA_TIMEOUT_MS)
        end = consumer.end_offsets(tps, KAFKA_TIMEOUT_MS)
        return {tp.partition: o for tp, o in first.items()}, {tp.partition: o for tp, o in end.items()}
    finally:
        consumer.close()


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

    def __init__(self, topic: str, bootstrap: str, until: dict[int, int], shared: judging.Ledger | None = None):
        self.topic, self.bootstrap, self.until = topic, bootstrap, dict(until)
        self.shared = shared
        self._own: judging.Ledger | None = None
        # Per key, the last history record in order: the history is checked as the live stream is (its own memory).
        self._ordering = OrderingChecker()
        self._lock = threading.Lock()
        self._consumer: KafkaConsumer | None = None
        self._remaining: dict[TopicPartition, int] = {}
        self._deadline = 0.0

    def open(self, start: ReplayFrom) -> ReplayPlan:
        with self._lock:
            self._consumer = readers.open_reader(
                self.topic,
                client_id="orders-relay-replay",
                bootstrap_servers=self.bootstrap,
                fetch_max_bytes=HISTORY_FETCH_MAX_BYTES,
                max_partition_fetch_bytes=HISTORY_FETCH_MAX_BYTES // 2,
            )
            self._own = judging.Ledger(len(readers.assigned(self._consumer)))
            tps = {tp.partition: tp for tp in readers.assigned(self._consumer) if tp.partition in self.until}
            plan = self._plan(start, tps)
            self._remaining = {tps[p]: self.until[p] for p in tps if plan.start[p] < self.until[p]}
            for tp in readers.assigned(self._consumer):
                if tp in self._remaining:
                    self._consumer.seek(tp, plan.start[tp.partition])
                else:
                    self._consumer.pause(tp)
            self._deadline = time.monotonic() + REPLAY_TIMEOUT_SECONDS
            return plan

    def _plan(self, start: ReplayFrom, tps: dict[int, TopicPartition]) -> ReplayPlan:
        first = self._consumer.beginning_offsets(list(tps.values()), KAFKA_TIMEOUT_MS)
        if start.kind == "timestamp":
            found = self._consumer.offsets_for_times(dict.fromkeys(tps.values(), start.timestamp), KAFKA_TIMEOUT_MS)
            # No record at or after the time: nothing from history, the stream starts live.
            wanted = {p: found[tp].offset if found.get(tp) else self.until[p] for p, tp in tps.items()}
        else:
            # A partition the client did not name is read from its beginning: it has seen none of it.
            wanted = {p: start.offsets.get(p, first[tp]) for p, tp in tps.items()}
        # Offsets below the log start are gone (retention); the plan's start shows where history begins.
        begin = {p: max(wanted[p], first[tp]) for p, tp in tps.items()}
        return ReplayPlan(
            start={p: max(begin[p], self.until[p] - MAX_REPLAY_RECORDS_PER_PARTITION) for p in tps},
            until=dict(self.until),
            skipped={
                p: self.until[p] - MAX_REPLAY_RECORDS_PER_PARTITION - begin[p]
                for p in tps
                if self.until[p] - begin[p] > MAX_REPLAY_RECORDS_PER_PARTITION
            },
        )

    def read_chunk(self) -> list[PackedRecord] | None:
        """The next packed records (in offset order per partition), or None once every partition reached `until`."""
        with self._lock:
            if self._consumer is None or not self._remaining:
                return None
            if time.monotonic() > self._deadline:
                raise KafkaTimeoutError(f"the replay did not finish within {REPLAY_TIMEOUT_SECONDS:.0f} s")
            polled = readers.poll_stepping_past(
                self._consumer, timeout_ms=POLL_TIMEOUT_MS, max_records=HISTORY_CHUNK_RECORDS
            )
            until = {tp.partition: end for tp, end in self._remaining.items()}
            # A fetch returns whole batches, so it may run past the cut; those records come live.
            packed = pack_polled(self.topic, polled, self._judge, self._ordering)
            frames = [record for record in packed if record[1] < until.get(record[0], -1)]
            for tp, until in list(self._remaining.items()):
                if (self._consumer.position(tp, KAFKA_TIMEOUT_MS) or 0) >= until:
                    del self._remaining[tp]
                    self._consumer.pause(tp)
            return frames

    def _judge(self, record, event: events.OrderEvent | None, problem: str) -> judging.Judged:
        """The shared reader's verdict on the record, or (one it did not judge) this replay's own."""
        recalled = self.shared.recall(record, event, problem) if self.shared is not None else None
        return recalled or self._own.judge(record, event, problem)

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                self._consumer.close()
                self._consumer = None
