"""The order changes. Every transport (REST, gRPC, console) calls these functions; the rules they apply are in
orders.rules and reads are in orders.selectors.

Side effects: each change writes its Kafka event to the outbox in the same transaction as the order,
so an event exists if and only if the change was committed. The outbox publisher sends it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders import events, rules, selectors, signals
from orders.exceptions import InvalidOrder, InvalidTransition
from orders.models import Order, OutboxEvent, Status


def _record(event: events.OrderEvent) -> None:
    """Write the event beside the change; once the transaction commits, announce it (the publisher wakes up)."""
    transaction.on_commit(_announce_commit, robust=True)
    OutboxEvent.objects.create(
        event_id=event.event_id,
        topic=settings.KAFKA_ORDERS_TOPIC,
        key=event.key,
        value=event.to_value().decode(),
        headers=[[name, value.decode()] for name, value in event.headers()],
    )


def _announce_commit() -> None:
    signals.events_committed.send(sender=OutboxEvent)


def create_order(
    *,
    created_by: str,
    equipment: Sequence[str],
    source: str,
    status: str = Status.QUEUED,
    created_at: str | datetime | None = None,
) -> Order:
    """Store a new order and its `order.created` event; raise InvalidOrder with every broken rule."""
    errors = rules.order_errors(created_by=created_by, equipment=equipment, status=status, created_at=created_at)
    if errors:
        raise InvalidOrder(errors)
    created_at = rules.parse_created_at(created_at)
    with transaction.atomic():
        order = Order.objects.create(
            created_by=created_by,
            equipment=list(equipment),
            status=status,
            created_at=created_at or timezone.now(),
        )
        _record(events.order_created(order, source=source))
    return order


def cancel_order(*, order_id: str | uuid.UUID, source: str) -> Order:
    """Cancel a QUEUED or PROCESSING order and record `order.status_changed`; raise InvalidTransition otherwise."""
    return change_status(order_id=order_id, to=Status.CANCELLED, source=source)


def change_status(*, order_id: str | uuid.UUID, to: str, source: str, reason: str = "") -> Order:
    """Move an order along rules.TRANSITIONS and record `order.status_changed` (with `reason`, e.g. why it FAILED).

    Raise InvalidTransition when the rules do not allow the move (a CANCELLED order stays CANCELLED), and
    OrderNotFound for an unknown id. Inside a caller's transaction the change commits with the caller's writes.
    """
    with transaction.atomic():
        order = selectors.get_order(order_id=order_id, orders=Order.objects.select_for_update())
        if not rules.can_become(order.status, to):
            raise InvalidTransition(order.order_id, order.status, to)
        order.status = to
        order.save(update_fields=["status", "updated_at"])
        _record(events.order_status_changed(order, source=source, reason=reason))
    return order
