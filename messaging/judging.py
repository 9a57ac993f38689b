"""Which records of the orders topic a reader believes: each one judged by orders.events.judge, in log order.

The relay (and its replays) and gRPC `Watch` read the topic the same way: for each record, in offset order per
partition, they ask a ``Ledger`` for its verdict. The ledger remembers, per order, the records it accepted; the
rules themselves are the domain's (``orders.events.judge``), applied here to the order's last accepted status.

A verdict is one of:

- ``accepted``: an order event the rules allow after what was accepted before it; readers apply it;
- ``refused``: a well-formed event the rules do not allow there (a second ``order.created``, a move out of a final
  status or one TRANSITIONS lacks, one that rewrites the order's fixed fields, a change to an order none of whose
  earlier records was read);
- ``invalid``: no order event of ours: its value does not parse as one (orders.events.OrderEvent.from_record), it
  holds an order no service could have stored, it has no key, or it is not in its key's partition (every producer
  of ours keys by order id with Kafka's default partitioner, murmur2; a record elsewhere would escape the order's
  offset order). Also every record the Kafka client cannot decode at all.

Records produced from the page (dashboard.workbench.produce) carry the HAND_MADE_HEADER; readers show them as
hand-made whatever their verdict.

Bounded: a ledger remembers at most MAX_ORDERS orders and MAX_BYTES of them (least recently used forgotten first;
a forgotten order's next change is refused as unchecked). Only accepted records are kept, at most one per status
an order passes through (TRANSITIONS has no cycle), and their keys are order ids (36-character UUIDs).
"""

from __future__ import annotations

import functools
import sys
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from kafka import KafkaConsumer
from kafka.partitioner.default import murmur2

from messaging import readers
from orders import events

HAND_MADE_HEADER = "hand-made"
# The most of a record's value read as an event: one of ours is a few KiB (150 characters of created_by, 20
# equipment names); anything larger is no event of ours and is not parsed.
MAX_EVENT_BYTES = 64 * 1024
MAX_REASON_CHARS = 200
# Ledger bounds: orders remembered, and the bytes counted for them: the key, and what CPython allocates per order
# (its dict slot and list) and per accepted record (a tuple), as bench/judging.py measures them.
MAX_ORDERS = 100_000
MAX_BYTES = 16 * 1024 * 1024
ORDER_OVERHEAD_BYTES = 300
ENTRY_BYTES = 90
# How far back a reader that starts at the topic's end first reads, judging without showing: the orders whose
# records lie within it are known, so their next change can be checked. The same as a replay's history bound
# (live.replay.MAX_REPLAY_RECORDS_PER_PARTITION), so a replay never shows a record the relay did not judge.
LOOKBACK_RECORDS = 5_000
# Keys whose partition is cached (order ids: 36 bytes each).
HOME_CACHE_KEYS = 4096
WARM_UP_SECONDS = 30.0
WARM_UP_POLL_MS = 200
WARM_UP_POLL_RECORDS = 500


@dataclass(frozen=True)
class Judged:
    """One record's verdict; `event` is the order event its value parsed as (whatever the verdict), else None."""

    verdict: str
    reason: str = ""
    hand_made: bool = False
    event: events.OrderEvent | None = None

    @property
    def accepted(self) -> bool:
        return self.verdict == events.ACCEPTED


def is_hand_made(headers) -> bool:
    return any(name == HAND_MADE_HEADER for name, _ in headers or ())


def read_event(value: bytes | None, key: bytes | None) -> tuple[events.OrderEvent | None, str]:
    """The record's order event, or None and why it is none. A keyless value may parse; the ledger refuses it."""
    if value is None:
        return None, "no value (a tombstone)"
    if len(value) > MAX_EVENT_BYTES:
        return None, f"a value of {len(value)} bytes: an order event is at most {MAX_EVENT_BYTES}"
    try:
        return events.OrderEvent.from_record(value, key), ""
    except events.EventParseError as exc:
        return None, f"not an order event: {exc}"


@functools.lru_cache(maxsize=HOME_CACHE_KEYS)
def home_partition(key: bytes, partition_count: int) -> int:
    """The partition Kafka's default partitioner (Java's and kafka-python's) gives a key. Cached: murmur2 in pure
    Python costs tens of microseconds, and each order's key comes several times (its events, replays)."""
    return (murmur2(key) & 0x7FFFFFFF) % partition_count


def unreadable(error: str) -> Judged:
    """The verdict of a record the Kafka client could not decode."""
    return Judged(events.INVALID, _clipped(f"the Kafka client cannot decode it: {error}"))


def _clipped(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_CHARS else reason[: MAX_REASON_CHARS - 1] + "…"


class Ledger:
    """One reader's memory of accepted records, per order: the state its verdicts are judged from.

    ``judge`` is called for each record in offset order per partition (a record at or below one already
    remembered for its order is judged against what came before it, and changes nothing). ``recall`` gives the
    verdict a record already passed got, for readers of the same records later (a replay of the relay's history):
    the same verdict, as long as the order was not forgotten. Thread-safe: the relay's reader judges while replays
    recall.
    """

    def __init__(self, partition_count: int, max_orders: int = MAX_ORDERS, max_bytes: int = MAX_BYTES):
        self.partition_count, self.max_orders, self.max_bytes = partition_count, max_orders, max_bytes
        # order id -> the offset, status and fixed fields' print of its accepted records, oldest first (in its home
        # partition)
        self._trails: OrderedDict[str, list[tuple[int, str, int]]] = OrderedDict()
        self.bytes = 0
        # Per partition, the offsets [from, until) this ledger judged: what ``recall`` can answer for.
        self._from: dict[int, int] = {}
        self._until: dict[int, int] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._trails)

    def begin(self, offsets: dict[int, int]) -> None:
        """The reader starts judging at these offsets (per partition)."""
        with self._lock:
            for partition, offset in offsets.items():
                self._from.setdefault(partition, offset)
                self._until.setdefault(partition, offset)

    def judge(self, record, event: events.OrderEvent | None, problem: str) -> Judged:
        """The record's verdict, remembered when it is accepted."""
        with self._lock:
            self._until[record.partition] = max(self._until.get(record.partition, 0), record.offset + 1)
            self._from.setdefault(record.partition, record.offset)
            judged = self._verdict(record, event, problem)
            if judged.accepted:
                self._remember(event.key, record.offset, event.order["status"], events.fixed_fields_print(event.order))
            return judged

    def recall(self, record, event: events.OrderEvent | None, problem: str) -> Judged | None:
        """The verdict ``judge`` gave this record, or None when this ledger did not judge its offset."""
        with self._lock:
            start, until = self._from.get(record.partition), self._until.get(record.partition, 0)
            if start is None or not start <= record.offset < until:
                return None
            return self._verdict(record, event, problem)

    def _verdict(self, record, event: events.OrderEvent | None, problem: str) -> Judged:
        hand_made = is_hand_made(record.headers)
        if event is None:
            return Judged(events.INVALID, _clipped(problem), hand_made)
        last_status, last_print = self._last_before(event.key, record.offset)
        verdict = events.judge(last_status, event, last_print)
        # Only a valid event's key is its order id (a UUID): cheap to place, and cached.
        misplaced = self._misplaced(record) if verdict.kind != events.INVALID else ""
        if misplaced:
            return Judged(events.INVALID, misplaced, hand_made, event)
        return Judged(verdict.kind, _clipped(verdict.reason), hand_made, event)

    def _misplaced(self, record) -> str:
        if record.key is None:
            return "no key: an order event's key is its order id"
        if self.partition_count and record.partition != (home := home_partition(record.key, self.partition_count)):
            return f"in partition {record.partition}, but its key's partition is {home}: out of its order's sequence"
        return ""

    def _last_before(self, key: str, offset: int) -> tuple[str | None, int | None]:
        """The status and fixed fields' print the order's last accepted record before `offset` left."""
        trail = self._trails.get(key)
        if trail is None:
            return None, None
        self._trails.move_to_end(key)
        earlier = [(status, fixed) for at, status, fixed in trail if at < offset]
        return earlier[-1] if earlier else (None, None)

    def _remember(self, key: str, offset: int, status: str, fixed: int) -> None:
        trail = self._trails.get(key)
        if trail is None:
            trail = self._trails[key] = []
            self.bytes += len(key) + ORDER_OVERHEAD_BYTES
        if trail and trail[-1][0] >= offset:
            return  # judged again (a reader that went back): already remembered
        # One string per status, not one per record; one print per order (an accepted record's equals the first).
        trail.append((offset, sys.intern(status), trail[0][2] if trail else fixed))
        self.bytes += ENTRY_BYTES
        self._trails.move_to_end(key)
        while len(self._trails) > self.max_orders or self.bytes > self.max_bytes:
            forgotten, old = self._trails.popitem(last=False)
            self.bytes -= len(forgotten) + ORDER_OVERHEAD_BYTES + ENTRY_BYTES * len(old)


def warm_up(consumer: KafkaConsumer, ledger: Ledger, lookback: int = LOOKBACK_RECORDS) -> dict[int, int]:
    """Judge, without showing them, the last `lookback` records of each partition up to its end now; leave the
    consumer after the last record judged and return that position per partition: the end, unless WARM_UP_SECONDS
    passed first (a slow machine, a broker away), and then the caller reads the rest as new records, so its ledger
    has no gap either way."""
    tps = readers.assigned(consumer)
    first = consumer.beginning_offsets(tps, readers.READER_OPTIONS["request_timeout_ms"])
    end = consumer.end_offsets(tps, readers.READER_OPTIONS["request_timeout_ms"])
    reached = {tp: max(first[tp], end[tp] - lookback) for tp in tps}
    ledger.begin({tp.partition: offset for tp, offset in reached.items()})
    for tp in tps:
        consumer.seek(tp, reached[tp])
    deadline = time.monotonic() + WARM_UP_SECONDS
    while (left := [tp for tp in tps if reached[tp] < end[tp]]) and time.monotonic() < deadline:
        consumer.pause(*(tp for tp in tps if tp not in left))
        polled = readers.poll_stepping_past(consumer, timeout_ms=WARM_UP_POLL_MS, max_records=WARM_UP_POLL_RECORDS)
        for tp, records in polled.records.items():
            for record in records:
                if record.offset < end[tp]:
                    ledger.judge(record, *read_event(record.value, record.key))
        # The position also passes offsets with no record (transaction markers, compaction) and unreadable ones.
        reached = {tp: min(consumer.position(tp), end[tp]) if tp in left else reached[tp] for tp in tps}
    consumer.resume(*tps)
    for tp in tps:
        consumer.seek(tp, reached[tp])
    return {tp.partition: offset for tp, offset in reached.items()}
