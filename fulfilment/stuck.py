"""Stuck orders: the ones the group will not finish on its own, found from the database and driven again.

An order is stuck when it is QUEUED or PROCESSING, unchanged for FULFILMENT_STUCK_AFTER_SECONDS, its
`order.created` record is on the topic, and no member is working on it: no live member has it in hand, and none
owns its partition at a position at or before its record (so none will read it). A client that joined the group
and committed past the record, a member killed after an at-most-once commit, or no worker at all leave such
orders. An order whose record the outbox has not published yet is the outbox's to deliver, not listed here.

Everything is read from the database (the orders, where the outbox's records landed, the members' heartbeat
rows), never from a process's memory, so the list is the same whatever the delivery mode and whoever asks.

Recovery is one more delivery of the order's own `order.created` record, through processing.fulfil under the
group's delivery mode: the same steps through orders.services and the same processed-events record. In
effectively-once mode its steps carry the worker's dedupe keys, so a step a member did is skipped, and a member
that gets the record later sees it as a duplicate and changes nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError
from django.db.models import Max
from django.utils import timezone

from fulfilment import controls
from fulfilment.counters import LIVE_MEMBER
from fulfilment.models import Member, ProcessedEvent
from fulfilment.processing import Work, fulfil
from orders import selectors
from orders.events import ORDER_CREATED, EventParseError, OrderEvent
from outbox.selectors import events_for_key, first_positions

logger = logging.getLogger(__name__)

# The stuck list looks at this many of the longest-unchanged unfinished orders, and lists at most LISTED of them.
SCAN = 2000
LISTED = 100
# One recovery drives at most this many orders (the supervisor's next round takes the rest).
RECOVER_AT_ONCE = 20
# A member beats between steps, and a step may take up to the longest step delay: until then it is still at work.
WORKING_MEMBER = LIVE_MEMBER + timedelta(milliseconds=controls.MAX_STEP_DELAY_MS)


@dataclass(frozen=True)
class StuckOrder:
    order_id: str
    status: str
    unchanged_seconds: float
    partition: int
    offset: int
    # The member (or recovery) that last did or skipped a step of it; None when no one ever started it.
    last_member: str | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Recovered:
    order_id: str
    outcome: str

    def as_dict(self) -> dict:
        return asdict(self)


def stuck_after() -> timedelta:
    return timedelta(seconds=settings.FULFILMENT_STUCK_AFTER_SECONDS)


def stuck_orders(*, limit: int = LISTED, now: datetime | None = None) -> list[StuckOrder]:
    """The stuck orders, the longest unchanged first."""
    now = now or timezone.now()
    candidates = list(selectors.unchanged_unfinished_orders(changed_before=now - stuck_after(), limit=SCAN))
    records = first_positions([str(order.order_id) for order in candidates])
    held, queued_from = _members_at_work(now)
    stuck = [
        order
        for order in candidates
        if str(order.order_id) in records
        and str(order.order_id) not in held
        and not _queued(queued_from, *records[str(order.order_id)])
    ][:limit]
    last = _last_members([order.order_id for order in stuck])
    return [
        StuckOrder(
            order_id=str(order.order_id),
            status=order.status,
            unchanged_seconds=round((now - order.updated_at).total_seconds(), 1),
            partition=records[str(order.order_id)][0],
            offset=records[str(order.order_id)][1],
            last_member=last.get(str(order.order_id)),
        )
        for order in stuck
    ]


def _members_at_work(now: datetime) -> tuple[set[str], dict[int, list[int | None]]]:
    """The orders live members have in hand, and per partition where each live member owning it will read next."""
    held, queued_from = set(), {}
    for member in Member.objects.filter(heartbeat_at__gte=now - WORKING_MEMBER).only("order_id", "positions"):
        if member.order_id:
            held.add(str(member.order_id))
        for partition, position in (member.positions or {}).items():
            queued_from.setdefault(int(partition), []).append(position)
    return held, queued_from


def _queued(queued_from: dict[int, list[int | None]], partition: int, offset: int) -> bool:
    """Whether a live member will still read this record: it owns the partition and has not passed it (or has just
    been given the partition and does not know its position yet)."""
    return any(position is None or position <= offset for position in queued_from.get(partition, ()))


def _last_members(order_ids: list) -> dict[str, str]:
    latest = (
        ProcessedEvent.objects.filter(order_id__in=order_ids).values("order_id").annotate(last=Max("id")).values("last")
    )
    rows = ProcessedEvent.objects.filter(id__in=latest).values_list("order_id", "member")
    return {str(order_id): member for order_id, member in rows}


def recovery_name() -> str:
    """How recovery signs the processed-events rows it writes, as a member signs its own."""
    return f"recovery-{socket.gethostname()}-{os.getpid()}"


def recover(*, limit: int = RECOVER_AT_ONCE, name: str | None = None) -> list[Recovered]:
    """Drive the `limit` longest-stuck orders on, each as one more delivery of its `order.created` record."""
    control = controls.current()
    name = name or recovery_name()
    recovered = []
    for order in stuck_orders(limit=limit):
        outcome = _deliver_again(order, control, name)
        logger.warning("%s: stuck order %s (%s) %s", name, order.order_id, order.status, outcome)
        recovered.append(Recovered(order_id=order.order_id, outcome=outcome))
    return recovered


def _deliver_again(order: StuckOrder, control, name: str) -> str:
    created = events_for_key(order.order_id).first()
    try:
        event = OrderEvent.from_record(created.value, created.key)
    except EventParseError as exc:
        return f"not an order event ({str(exc)[:200]}): skipped"
    if event.type != ORDER_CREATED:
        return f"its first record is {event.type}: skipped"
    work = Work(
        event=event,
        partition=order.partition,
        offset=order.offset,
        member=name,
        mode=control.delivery_mode,
        # The member already took its time over the order, or never will: recovery does the work at once.
        step_delay_ms=0,
        failure_rate=control.failure_rate,
    )
    try:
        return fulfil(work, threading.Event())
    except DatabaseError:
        raise
    except Exception:
        logger.exception("%s: stuck order %s could not be fulfilled", name, order.order_id)
        return "failed to process: left stuck"
