"""Reads of the order domain: orders for the transports, the outbox backlog for health checks, runners and tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, QuerySet

from orders import rules
from orders.exceptions import InvalidOrder, OrderNotFound
from orders.models import Order, OutboxEvent


def get_order(*, order_id: str | uuid.UUID, orders: QuerySet[Order] | None = None) -> Order:
    """The order with this id; raise OrderNotFound for an unknown or malformed id."""
    try:
        return (Order.objects.all() if orders is None else orders).get(order_id=uuid.UUID(str(order_id)))
    except (ValueError, Order.DoesNotExist):
        raise OrderNotFound(order_id) from None


def list_orders(*, status: str | None = None, created_by: str | None = None,
                page_size: int | None = None) -> QuerySet[Order]:
    """Newest first, optionally filtered. An unknown (or empty) status and a page size out of range are errors,
    reported together, rather than an empty or a cut list."""
    errors = {"status": rules.status_errors(status) if status is not None else [],
              "page_size": rules.page_size_errors(page_size)}
    if errors := {field: messages for field, messages in errors.items() if messages}:
        raise InvalidOrder(errors)
    orders = Order.objects.all()
    if status is not None:
        orders = orders.filter(status=status)
    if created_by:
        # A name no order can have (create refuses it) matches none, and is never sent to the database: PostgreSQL
        # text cannot hold the NUL character, which SQLite would simply have looked for.
        orders = orders.none() if rules.created_by_errors(created_by) else orders.filter(created_by=created_by)
    return orders


def page_size(requested: int | None) -> int:
    """The number of orders per page; raise InvalidOrder outside the allowed range."""
    if errors := rules.page_size_errors(requested):
        raise InvalidOrder({"page_size": errors})
    return requested or rules.DEFAULT_PAGE_SIZE


@dataclass(frozen=True)
class OutboxBacklog:
    """Events committed but not yet acknowledged by the broker: waiting to be sent, or parked (refused for good)."""

    waiting: int
    oldest_waiting_at: datetime | None
    parked: int


def outbox_backlog() -> OutboxBacklog:
    unsent = OutboxEvent.objects.filter(sent_at__isnull=True)
    waiting = unsent.filter(parked_at__isnull=True).aggregate(count=Count("id"), oldest=Min("created_at"))
    return OutboxBacklog(waiting=waiting["count"], oldest_waiting_at=waiting["oldest"],
                         parked=unsent.filter(parked_at__isnull=False).count())


def parked_events() -> QuerySet[OutboxEvent]:
    """Events the broker refused for good, oldest first, with their reason in `last_error`."""
    return OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=False).order_by("id")


def unfinished_orders(*, created_since: datetime, limit: int = 2000) -> QuerySet[Order]:
    """Orders not yet in a final status (QUEUED or PROCESSING) created since a moment, newest first."""
    final = [status for status in rules.Status.values if rules.is_final(status)]
    return Order.objects.filter(created_at__gte=created_since).exclude(status__in=final)[:limit]


def first_record_positions(order_ids: list) -> dict[str, tuple[int, int]]:
    """Where each order's first event (its `order.created`) landed on the topic: (partition, offset) per order id,
    for the orders whose first event the broker has acknowledged."""
    first = (OutboxEvent.objects.filter(key__in=[str(order_id) for order_id in order_ids])
             .values("key").annotate(first_id=Min("id")).values("first_id"))
    sent = OutboxEvent.objects.filter(id__in=first, sent_at__isnull=False)
    return {row.key: (row.partition, row.offset) for row in sent.only("key", "partition", "offset")}


def order_events(*, order_id: str | uuid.UUID) -> QuerySet[OutboxEvent]:
    """The order's events as committed, oldest first: the exact key, headers and value the publisher sends."""
    return OutboxEvent.objects.filter(key=str(order_id)).order_by("id")
