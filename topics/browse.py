"""Browse any topic's records a page at a time, in the frames the live feed shows (live.frames), newest first.

A page is at most `limit` records (browse_query.MAX_LIMIT) and MAX_PAGE_BYTES of keys, values and headers, read within
READ_SECONDS by a reader of its own (no group, nothing committed, never creating a topic). Where it starts:

- the default: the newest records across the partitions (or of one `partition`);
- `offset` (with `partition`): that partition's records from the offset on;
- `before` / `after`, a cursor "partition:offset,…" from an earlier page's `older` / `newer`: the records below
  those offsets (older), or from them on (newer).

Each page reads up to `limit` records per partition (fewer when the partitions are many: MAX_SCAN_RECORDS in all)
and merges them by record time, the feed's order; a partition's records on a page are always a run of its log with
no gap, so `older` and `newer` (the page's lowest offset and one past its highest, per partition) page on without
skipping or repeating a record. Keys, values and headers that are not UTF-8 come as base64 (shown as hex); a record
the client cannot decode at all comes as an `unreadable` frame and is stepped past. Browsing judges nothing: a
frame's `verdict` is null (only the live feed of the orders topic applies the order rules), except an unreadable
record's, which is "invalid" as in the feed.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field

from kafka import KafkaConsumer, TopicPartition

from live.frames import record_frame, unreadable_frame
from messaging import clients, judging, readers
from orders.exceptions import InvalidInput
from topics.browse_query import MAX_LIMIT, Query, format_cursor
from topics.inventory import BOOTSTRAP_TIMEOUT_MS, REQUEST_TIMEOUT_MS, TopicNotFound

MAX_SCAN_RECORDS = 2_000
MAX_PAGE_BYTES = 1024 * 1024
READ_SECONDS = 5.0
POLL_MS = 200
# What the reader holds at once: one fetch's bytes, and per partition.
FETCH_MAX_BYTES = 1024 * 1024
PARTITION_FETCH_MAX_BYTES = 256 * 1024


@dataclass
class _Range:
    """What a page reads of one partition: [low, high), and what it found there."""

    partition: int
    log_start: int
    log_end: int
    low: int
    high: int
    frames: list[dict] = field(default_factory=list)
    complete: bool = False


def browse(name: str, query: Query) -> dict:
    """A page of the topic's records, newest first; raises TopicNotFound, InvalidInput (a partition the topic has
    not, an offset outside its log), or KafkaError / OSError while Kafka cannot be asked."""
    consumer = clients.build_consumer(
        client_id="topics-browser",
        bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS,
        request_timeout_ms=REQUEST_TIMEOUT_MS,
        allow_auto_create_topics=False,
        fetch_max_bytes=FETCH_MAX_BYTES,
        max_partition_fetch_bytes=PARTITION_FETCH_MAX_BYTES,
        reconnect_backoff_max_ms=1_000,
        # A page reads what is there: the broker need not wait for more (its default is 500 ms).
        fetch_max_wait_ms=50,
    )
    try:
        existing = sorted(consumer.partitions_for_topic(name) or ())
        if not existing:
            raise TopicNotFound(name)
        chosen = list(query.partitions) if query.partitions is not None else existing
        if missing := [p for p in chosen if p not in existing]:
            message = f"{name!r} has no partition {missing[0]} (it has 0 to {len(existing) - 1})."
            raise InvalidInput({"partition": [message]})
        ranges = _ranges(consumer, name, chosen, query)
        timed_out = _read(consumer, name, ranges)
    finally:
        consumer.close()
    return _page(name, query, ranges, timed_out)


def _ranges(consumer: KafkaConsumer, name: str, partitions: list[int], query: Query) -> list[_Range]:
    tps = [TopicPartition(name, p) for p in partitions]
    starts, ends = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
    per_partition = min(query.limit, max(1, MAX_SCAN_RECORDS // max(len(tps), 1)))
    ranges, errors = [], {}
    for tp in tps:
        start, end = starts[tp], ends[tp]
        bound = (query.bounds or {}).get(tp.partition, end if query.direction == "older" else start)
        if not start <= bound <= end:
            errors[f"offset.{tp.partition}"] = [
                f"Partition {tp.partition}'s log runs from {start} to {end}: use an offset in it."
            ]
            continue
        if query.direction == "older":
            low, high = max(start, bound - per_partition), bound
        else:
            low, high = bound, min(end, bound + per_partition)
        ranges.append(_Range(tp.partition, start, end, low, high, complete=low >= high))
    if errors:
        raise InvalidInput(errors)
    return ranges


def _read(consumer: KafkaConsumer, name: str, ranges: list[_Range]) -> bool:
    """Read each range, pausing a partition once it is done; True when READ_SECONDS ran out first."""
    pending = {TopicPartition(name, r.partition): r for r in ranges if not r.complete}
    if not pending:
        return False
    consumer.assign(list(pending))
    for tp, r in pending.items():
        consumer.seek(tp, r.low)
    deadline = time.monotonic() + READ_SECONDS
    while pending and time.monotonic() < deadline:
        polled = readers.poll_stepping_past(consumer, POLL_MS)
        for tp, records in polled.records.items():
            r = pending.get(tp)
            for record in records if r else ():
                if r.low <= record.offset < r.high:
                    r.frames.append(_frame(record))
        for bad in polled.unreadable:
            r = pending.get(TopicPartition(name, bad.partition))
            if r and r.low <= bad.offset < r.high:
                r.frames.append(unreadable_frame(name, bad.partition, bad.offset, bad.error))
        for tp in [tp for tp, r in pending.items() if consumer.position(tp) >= r.high]:
            pending.pop(tp).complete = True
            consumer.pause(tp)
    return bool(pending)


def _frame(record) -> dict:
    """The feed's frame of a record, unjudged: an order event's value still shows as one."""
    event, _ = judging.read_event(record.value, record.key)
    frame = record_frame(
        record, judging.Judged("unjudged", event=event, hand_made=judging.is_hand_made(record.headers))
    )
    frame["verdict"] = None
    frame.pop("verdict_reason", None)
    return frame


def _bytes(frame: dict) -> int:
    headers = sum(len(h.get("value") or "") for h in frame.get("headers_raw") or []) or sum(
        len(v or "") for v in frame["headers"].values()
    )
    return (frame.get("size") or 0) + headers


def _newest_first(frame: dict) -> tuple:
    """The feed's order (feed.js `above`): newest record time first, then partition, then offset."""
    return (-(frame["timestamp"] if frame["timestamp"] is not None else -1), -frame["partition"], -frame["offset"])


def _page(name: str, query: Query, ranges: list[_Range], timed_out: bool) -> dict:
    """Take up to `limit` records and MAX_PAGE_BYTES by merging the partitions' runs from the page's starting side,
    so each partition's share is a run of its log with no gap."""
    older = query.direction == "older"
    runs = {r.partition: sorted(r.frames, key=lambda f: f["offset"], reverse=older) for r in ranges if r.complete}
    sign = 1 if older else -1
    heads = [(tuple(sign * part for part in _newest_first(run[0])), p, 0) for p, run in runs.items() if run]
    heapq.heapify(heads)
    taken: dict[int, list[dict]] = {p: [] for p in runs}
    count = size = 0
    bounded = None
    while heads and count < query.limit:
        _, p, index = heapq.heappop(heads)
        frame = runs[p][index]
        if count and size + _bytes(frame) > MAX_PAGE_BYTES:
            bounded = "bytes"
            break
        taken[p].append(frame)
        count, size = count + 1, size + _bytes(frame)
        if index + 1 < len(runs[p]):
            heapq.heappush(heads, (tuple(sign * part for part in _newest_first(runs[p][index + 1])), p, index + 1))
    windows = {r.partition: _window(r, runs.get(r.partition, []), taken.get(r.partition, []), older) for r in ranges}
    frames = sorted((f for fs in taken.values() for f in fs), key=_newest_first)
    lows = {r.partition: windows[r.partition][0] for r in ranges}
    highs = {r.partition: windows[r.partition][1] for r in ranges}
    return {
        "topic": name,
        "partitions": [r.partition for r in ranges],
        "direction": query.direction,
        "limit": query.limit,
        "records": frames,
        "bytes": size,
        "older": format_cursor(lows) if any(lows[r.partition] > r.log_start for r in ranges) else None,
        "newer": format_cursor(highs) if any(highs[r.partition] < r.log_end for r in ranges) else None,
        "log": [{"partition": r.partition, "log_start": r.log_start, "log_end": r.log_end} for r in ranges],
        "bounded_by": "time" if timed_out else bounded,
        "bounds": {"max_records": MAX_LIMIT, "max_bytes": MAX_PAGE_BYTES, "max_seconds": READ_SECONDS},
    }


def _window(r: _Range, run: list[dict], taken: list[dict], older: bool) -> tuple[int, int]:
    """[low, high) of the partition's log this page covers: every record in it is on the page."""
    if not r.complete:  # the read ran out of time: nothing of it is shown, and the next page asks again
        return (r.high, r.high) if older else (r.low, r.low)
    if older:
        low = r.low if len(taken) == len(run) else (taken[-1]["offset"] if taken else r.high)
        return low, r.high
    high = r.high if len(taken) == len(run) else (taken[-1]["offset"] + 1 if taken else r.low)
    return r.low, high
