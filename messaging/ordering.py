"""The ordering checker: per key, whether a record of the orders topic arrived out of its order's sequence.

Kafka keeps one key's records in order only within one partition, so a reader that remembers, per key, the last
record it took in order (its partition, its offset and its event) can tell when the next one goes against it:

- on another partition than the key's earlier records (its producer partitioned it otherwise: nothing orders the
  two partitions against each other);
- at a lower offset of the same partition (the reader went back: a rewind, or a rebalance that handed the
  partition back from an older commit);
- with an event that goes back in the order's life (orders.events.goes_back: a status before the one already read,
  a second creation, an earlier occurred_at).

The worker's members (fulfilment.member) and the relay that feeds the page (live.relay, live.replay) each keep one.
The same record read again (same partition and offset) is a redelivery, not out of order. A flagged record is not
remembered: the key's last in-order record stays the one to compare with.

Bounded: at most MAX_KEYS keys (least recently seen forgotten first), each kept with a slim copy of its event.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from orders import events

MAX_KEYS = 10_000
MAX_REASON_CHARS = 200


@dataclass(frozen=True)
class Seen:
    """A key's last record read in order."""

    partition: int
    offset: int
    event: events.OrderEvent


def _slim(event: events.OrderEvent) -> events.OrderEvent:
    """What goes_back reads of an event: its id, type, time and status (not the order's other fields)."""
    return events.OrderEvent(
        event_id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        source=event.source,
        order={"status": event.order["status"]},
    )


class OrderingChecker:
    """Per key, the last record read in order; `check` says why the next one is out of order ("" if it is not)."""

    def __init__(self, max_keys: int = MAX_KEYS):
        self.max_keys = max_keys
        self._seen: OrderedDict[str, Seen] = OrderedDict()
        self.flagged = 0

    def __len__(self) -> int:
        return len(self._seen)

    def check(self, partition: int, offset: int, event: events.OrderEvent) -> str:
        key = event.key
        last = self._seen.get(key)
        reason = "" if last is None else _against(last, partition, offset, event)
        if reason:
            self.flagged += 1
            return reason[:MAX_REASON_CHARS]
        if last is None or (partition, offset) != (last.partition, last.offset):
            self._seen[key] = Seen(partition, offset, _slim(event))
        self._seen.move_to_end(key)
        while len(self._seen) > self.max_keys:
            self._seen.popitem(last=False)
        return ""


def _against(last: Seen, partition: int, offset: int, event: events.OrderEvent) -> str:
    if partition != last.partition:
        return f"on partition {partition}, but this key's earlier records were on partition {last.partition}"
    if offset < last.offset:
        return f"offset {offset} read after offset {last.offset} of the same partition (the reader went back)"
    if offset == last.offset:
        return ""
    return events.goes_back(last.event, event)
