"""The order changes. Every transport (REST, gRPC, console) calls these functions; the rules they apply are in
orders.rules and reads are in orders.selectors.

Side effects: each change writes its Kafka event to the outbox (outbox.writes) in the same transaction as the order,
so an event exists if and only if the change was committed. The outbox publisher sends it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from orders import events, rules, selectors
from orders.exceptions import InvalidOrder, InvalidTransition
from orders.group_commit import GroupCommit
from orders.models import Order, Status
from outbox import writes as outbox


def _record(*recorded: events.OrderEvent) -> None:
    """Write the events to the outbox beside the change, in its transaction (the publisher sends them on commit)."""
    outbox.record(
        *(
            outbox.Message(
                topic=settings.KAFKA_ORDERS_TOPIC,
                key=event.key,
                value=event.to_value(),
                headers=event.headers(),
                event_id=event.event_id,
            )
            for event in recorded
        )
    )


def _insert_orders(created: list[tuple[Order, events.OrderEvent]]) -> None:
    """New orders and their `order.created` events in one transaction: two INSERTs however many orders."""
    with transaction.atomic():
        Order.objects.bulk_create([order for order, _ in created])
        _record(*(event for _, event in created))


# Orders placed at the same time on several threads (rungrpc's pool, ASGI requests) share one transaction.
_new_orders = GroupCommit(_insert_orders)


def create_order(
    *,
    created_by: str,
    equipment: Sequence[str],
    source: str,
    status: str = Status.QUEUED,
    created_at: str | datetime | None = None,
    delivery_note: str = "",
) -> Order:
    """Store a new order and its `order.created` event; raise InvalidOrder with every broken rule.

    Outside a transaction, orders placed at the same moment on other threads commit with this one (group_commit);
    it returns once its own order is committed.
    """
    errors = rules.order_errors(
        created_by=created_by, equipment=equipment, status=status, created_at=created_at, delivery_note=delivery_note
    )
    if errors:
        raise InvalidOrder(errors)
    created_at = rules.parse_created_at(created_at)
    # The server's clock decides where the order stands in every list; the client's created_at is only kept.
    accepted_at = timezone.now()
    order = Order(
        created_by=created_by,
        equipment=list(equipment),
        status=status,
        created_at=created_at or accepted_at,
        accepted_at=accepted_at,
        delivery_note=delivery_note,
    )
    created = (order, events.order_created(order, source=source))
    if transaction.get_connection().in_atomic_block:
        _insert_orders([created])  # inside the caller's transaction: it commits with the caller's writes
    else:
        _new_orders.submit(created)
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
