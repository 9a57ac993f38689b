"""Which waiting outbox events one publisher sends now, so that several publishers never send one event twice.

A claim lasts one batch: the publisher sends the claimed events and records their outcomes inside it.

PostgreSQL: the claim is a transaction. `SELECT … FOR UPDATE SKIP LOCKED` (oldest first) locks the waiting events
no other publisher holds and skips those another one does, until the batch's outcomes are committed. Under READ
COMMITTED an event that another publisher marked sent and committed after this statement's snapshot is not
claimed again: PostgreSQL re-checks the WHERE clause (`sent_at IS NULL`) on the newest version of a row it locks.

SQLite has no row locks, and a write transaction held over a send would stop every other writer (the API) for as
long as the broker takes. Publishers on one SQLite file take turns instead: a claim holds an exclusive `flock` on
a file beside the database, taken without waiting (a publisher that finds it held claims nothing and tries again
after its poll interval). SQLite is one machine's database, so every publisher of it can see that file.

Per-key order, both ways: a claimed event is sent only if no older unsent event of its key (waiting, in another
publisher's claim, or parked) lies outside this claim; the rest of its key is left for a later batch. Events of one
key claimed together are sent in id order. Ids are in commit order per key as long as each writer locks what the key
stands for before it records its event (orders.services locks the order's row).
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Min, QuerySet

from outbox.models import OutboxEvent

# Claims of an in-memory SQLite database can only come from this process.
_IN_MEMORY_TURN = threading.Lock()


@contextmanager
def claim(limit: int) -> Iterator[list[OutboxEvent]]:
    """Up to `limit` waiting events, oldest first, that this publisher alone sends; held until the block ends."""
    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            yield _in_key_order(list(waiting().select_for_update(skip_locked=True)[:limit]))
    else:
        with _sqlite_turn() as mine:
            yield _in_key_order(list(waiting()[:limit])) if mine else []


def waiting() -> QuerySet[OutboxEvent]:
    """Events waiting to be sent, oldest first, except those whose key has a parked event (per-key order)."""
    parked_keys = OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=False).values("key")
    return (
        OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=True)
        .exclude(key__in=parked_keys)
        .order_by("id")
    )


def _in_key_order(claimed: list[OutboxEvent]) -> list[OutboxEvent]:
    """The claimed events that overtake no older unsent event of their key outside the claim."""
    if not claimed:
        return claimed
    outside = (
        OutboxEvent.objects.filter(sent_at__isnull=True, key__in={row.key for row in claimed})
        .exclude(id__in=[row.id for row in claimed])
        .order_by()
        .values("key")
        .annotate(first=Min("id"))
    )
    first_outside = {entry["key"]: entry["first"] for entry in outside}
    return [row for row in claimed if row.key not in first_outside or row.id < first_outside[row.key]]


@contextmanager
def _sqlite_turn() -> Iterator[bool]:
    """True when this publisher holds the SQLite database's turn for the block; False when another one does."""
    if connection.is_in_memory_db():
        mine = _IN_MEMORY_TURN.acquire(blocking=False)
        try:
            yield mine
        finally:
            if mine:
                _IN_MEMORY_TURN.release()
        return
    with open(f"{connection.settings_dict['NAME']}.outbox-turn", "a") as turn:
        try:
            fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        # Closing the file (or the process dying) gives the turn back.
        yield True
