"""The order rules. Every transport (REST, gRPC, console) calls these functions and nothing else decides.

Side effects: each change writes its Kafka event to the outbox in the same transaction as the order,
so an event exists if and only if the change was committed. The outbox publisher sends it afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timezone as dt_timezone

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from orders import events, wakeup
from orders.exceptions import InvalidOrder, InvalidTransition, OrderNotFound
from orders.models import Equipment, Order, OutboxEvent, Status

MAX_CREATED_BY_LENGTH = 150
MAX_EQUIPMENT_ITEMS = 20
CANCELLABLE = frozenset({Status.QUEUED, Status.PROCESSING})


def validate_order_fields(*, created_by: object, equipment: object, status: object) -> dict[str, list[str]]:
    """Return the broken rules per field (empty when the input is a valid new order)."""
    errors: dict[str, list[str]] = {}
    if not isinstance(created_by, str) or not created_by.strip():
        errors["created_by"] = ["This field is required and may not be blank."]
    elif len(created_by) > MAX_CREATED_BY_LENGTH:
        errors["created_by"] = [f"Ensure this field has no more than {MAX_CREATED_BY_LENGTH} characters."]
    elif "\x00" in created_by:
        errors["created_by"] = ["Null characters are not allowed."]
    if not isinstance(equipment, (list, tuple)) or not equipment:
        errors["equipment"] = ["At least one equipment item is required."]
    elif len(equipment) > MAX_EQUIPMENT_ITEMS:
        errors["equipment"] = [f"Ensure this field has no more than {MAX_EQUIPMENT_ITEMS} items."]
    else:
        unknown = sorted({str(item) for item in equipment if item not in Equipment.values})
        if unknown:
            errors["equipment"] = [f"Unknown equipment {', '.join(unknown)}; use {', '.join(Equipment.values)}."]
    if status not in Status.values:
        errors["status"] = [f"Unknown status {status!r}; use {', '.join(Status.values)}."]
    return errors


def parse_created_at(value: str | datetime | None) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text or a datetime (naive is taken as UTC); None for an empty value."""
    if value is None or value == "":
        return None
    try:
        parsed = value if isinstance(value, datetime) else parse_datetime(value.strip())
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = parsed.replace(tzinfo=dt_timezone.utc)
            # Years 1 and 9999 with an offset overflow here, not later when the event is written.
            return parsed.astimezone(dt_timezone.utc)
    except (ValueError, OverflowError, AttributeError):
        pass
    raise InvalidOrder({"created_at": [f"{value!r} is not an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z."]})


def _record(event: events.OrderEvent) -> None:
    """Write the event beside the change; once the transaction commits, wake the publisher."""
    transaction.on_commit(wakeup.nudge_publisher, robust=True)
    OutboxEvent.objects.create(
        event_id=event.event_id,
        topic=settings.KAFKA_ORDERS_TOPIC,
        key=event.key,
        value=event.to_value().decode(),
        headers=[[name, value.decode()] for name, value in event.headers()],
    )


def create_order(
    *,
    created_by: str,
    equipment: Sequence[str],
    source: str,
    status: str = Status.QUEUED,
    created_at: str | datetime | None = None,
) -> Order:
    """Store a new order and its `order.created` event; raise InvalidOrder with every broken rule."""
    errors = validate_order_fields(created_by=created_by, equipment=equipment, status=status)
    try:
        created_at = parse_created_at(created_at)
    except InvalidOrder as exc:
        errors.update(exc.errors)
    if errors:
        raise InvalidOrder(errors)
    with transaction.atomic():
        order = Order.objects.create(
            created_by=created_by,
            equipment=list(equipment),
            status=status,
            created_at=created_at or timezone.now(),
        )
        _record(events.order_created(order, source=source))
    return order


def get_order(*, order_id: str | uuid.UUID) -> Order:
    return _find(Order.objects.all(), order_id)


def _find(orders: QuerySet[Order], order_id: str | uuid.UUID) -> Order:
    try:
        return orders.get(order_id=uuid.UUID(str(order_id)))
    except (ValueError, Order.DoesNotExist):
        raise OrderNotFound(order_id) from None


def list_orders(*, status: str | None = None, created_by: str | None = None) -> QuerySet[Order]:
    """Newest first, optionally filtered; an unknown status is an error rather than an empty list."""
    orders = Order.objects.all()
    if status:
        if status not in Status.values:
            raise InvalidOrder({"status": [f"Unknown status {status!r}; use {', '.join(Status.values)}."]})
        orders = orders.filter(status=status)
    if created_by:
        orders = orders.filter(created_by=created_by)
    return orders


def cancel_order(*, order_id: str | uuid.UUID, source: str) -> Order:
    """Cancel a QUEUED or PROCESSING order and record `order.status_changed`; raise InvalidTransition otherwise."""
    with transaction.atomic():
        order = _find(Order.objects.select_for_update(), order_id)
        if order.status not in CANCELLABLE:
            raise InvalidTransition(order.order_id, order.status, Status.CANCELLED)
        order.status = Status.CANCELLED
        order.save(update_fields=["status", "updated_at"])
        _record(events.order_status_changed(order, source=source))
    return order
