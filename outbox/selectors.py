"""Reads of the outbox, by record key: its backlog for health checks and the console, parked events for operators,
and where records landed on the topic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Min, QuerySet

from outbox.models import OutboxEvent


@dataclass(frozen=True)
class Backlog:
    """Events committed but not yet acknowledged by the broker: waiting to be sent, or parked (refused for good)."""

    waiting: int
    oldest_waiting_at: datetime | None
    parked: int


def backlog() -> Backlog:
    unsent = OutboxEvent.objects.filter(sent_at__isnull=True)
    waiting = unsent.filter(parked_at__isnull=True).aggregate(count=Count("id"), oldest=Min("created_at"))
    return Backlog(
        waiting=waiting["count"],
        oldest_waiting_at=waiting["oldest"],
        parked=unsent.filter(parked_at__isnull=False).count(),
    )


def newest_waiting_error() -> OutboxEvent | None:
    """The newest event still waiting that the broker did not take at its last try, with the reason in
    `last_error`: the publisher's current trouble, as the durability lab shows it."""
    waiting = OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=True).exclude(last_error="")
    return waiting.order_by("-id").first()


def parked() -> QuerySet[OutboxEvent]:
    """Events the broker refused for good, oldest first, with their reason in `last_error`."""
    return OutboxEvent.objects.filter(sent_at__isnull=True, parked_at__isnull=False).order_by("id")


def first_positions(keys: Iterable[str]) -> dict[str, tuple[int, int]]:
    """Where each key's first event landed on the topic: (partition, offset) per key, for the keys whose first
    event the broker has acknowledged."""
    first = OutboxEvent.objects.filter(key__in=list(keys)).values("key").annotate(first_id=Min("id")).values("first_id")
    sent = OutboxEvent.objects.filter(id__in=first, sent_at__isnull=False)
    return {row.key: (row.partition, row.offset) for row in sent.only("key", "partition", "offset")}


def events_for_key(key: str) -> QuerySet[OutboxEvent]:
    """The key's events as committed, oldest first: the exact key, headers and value the publisher sends."""
    return OutboxEvent.objects.filter(key=key).order_by("id")
