"""Reads of the order domain: orders for the transports and the worker (the outbox's reads are outbox.selectors)."""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db.models import QuerySet

from orders import rules
from orders.exceptions import InvalidOrder, OrderNotFound
from orders.models import Order


def get_order(*, order_id: str | uuid.UUID, orders: QuerySet[Order] | None = None) -> Order:
    """The order with this id; raise OrderNotFound for an unknown or malformed id."""
    try:
        return (Order.objects.all() if orders is None else orders).get(order_id=uuid.UUID(str(order_id)))
    except (ValueError, Order.DoesNotExist):
        raise OrderNotFound(order_id) from None


def list_orders(
    *, status: str | None = None, created_by: str | None = None, page_size: int | None = None
) -> QuerySet[Order]:
    """Newest accepted first (Order.Meta.ordering: the server's clock, never the client's created_at), optionally
    filtered. An unknown (or empty) status and a page size out of range are errors, reported together, rather than
    an empty or a cut list."""
    errors = {
        "status": rules.status_errors(status) if status is not None else [],
        "page_size": rules.page_size_errors(page_size),
    }
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


def unfinished_orders(*, created_since: datetime, limit: int = 2000) -> QuerySet[Order]:
    """Orders not yet in a final status (QUEUED or PROCESSING) the server accepted since a moment, newest first
    (a client's created_at cannot hide an order from this)."""
    final = [status for status in rules.Status.values if rules.is_final(status)]
    return Order.objects.filter(accepted_at__gte=created_since).exclude(status__in=final)[:limit]


def unchanged_unfinished_orders(*, changed_before: datetime, limit: int) -> QuerySet[Order]:
    """Orders still QUEUED or PROCESSING whose last change (a time the server set, unlike `created_at`) is before a
    moment, the longest unchanged first."""
    final = [status for status in rules.Status.values if rules.is_final(status)]
    return Order.objects.filter(updated_at__lt=changed_before).exclude(status__in=final).order_by("updated_at")[:limit]
