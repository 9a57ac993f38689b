"""What an operator does with parked events: send them again (after fixing the cause) or drop them for good."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from outbox import selectors, wakeup
from outbox.models import OutboxEvent


def _chosen(event_ids: Sequence[str] | None) -> QuerySet[OutboxEvent]:
    parked = selectors.parked()
    return parked if event_ids is None else parked.filter(event_id__in=list(event_ids))


def retry_parked(event_ids: Sequence[str] | None = None) -> int:
    """Put parked events (all when None) back in line with a fresh attempt count; return how many."""
    count = _chosen(event_ids).update(parked_at=None, attempts=0)
    if count:
        wakeup.nudge_publisher()
    return count


def drop_parked(event_ids: Sequence[str] | None = None) -> int:
    """Delete parked events (all when None): they will never reach the topic. Return how many."""
    count, _ = _chosen(event_ids).delete()
    return count
