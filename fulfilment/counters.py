"""What a kill cost under the current delivery mode: orders lost and orders processed twice.

Both count orders since the delivery mode was last set (WorkerControl.mode_since):
- processed twice: orders whose first step (the work starting) was done more than once, by any member (a step
  skipped because the processed-events record says it was done does not count);
- lost: orders still QUEUED or PROCESSING whose `order.created` record lies below the group's committed offset
  on its partition (the group will never read it again) and that no live member is working on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import Count, Max
from django.utils import timezone

from fulfilment.models import Member, ProcessedEvent, WorkerControl
from fulfilment.processing import START
from orders import selectors
from outbox.selectors import first_positions

# A member whose heartbeat is older than this is gone (it beats every second, and at each step).
LIVE_MEMBER = timedelta(seconds=5)
# The marks on the page's rows look at this many of the newest unfinished orders, and of the newest processed-events
# rows.
MARK_WINDOW = 2000


def counters(control: WorkerControl, committed: dict[int, int | None] | None) -> dict:
    """`committed`: the group's committed offset per partition (None where it never committed); None as a whole
    while Kafka cannot be asked, and then `lost` is unknown (None)."""
    since = control.mode_since
    twice = (
        ProcessedEvent.objects.filter(step=START, skipped=False, processed_at__gte=since)
        .values("order_id")
        .annotate(starts=Count("id"))
        .filter(starts__gt=1)
        .count()
    )
    return {
        "since": since.isoformat(),
        "delivery_mode": control.delivery_mode,
        "processed_twice": twice,
        "lost": None if committed is None else len(lost_orders(since, committed)),
    }


def lost_orders(since: datetime | None, committed: dict[int, int | None], limit: int = 2000) -> list[str]:
    """The lost orders among the `limit` newest unfinished ones created since `since` (None: in any mode), newest
    first."""
    since = since or datetime.min.replace(tzinfo=UTC)
    unfinished = [str(order.order_id) for order in selectors.unfinished_orders(created_since=since, limit=limit)]
    positions = first_positions(unfinished)
    held = {
        str(order_id)
        for order_id in Member.objects.filter(
            heartbeat_at__gte=timezone.now() - LIVE_MEMBER, order_id__isnull=False
        ).values_list("order_id", flat=True)
    }
    return [
        order_id
        for order_id in unfinished
        if order_id in positions and order_id not in held and _below(committed, *positions[order_id])
    ]


def _below(committed: dict[int, int | None], partition: int, offset: int) -> bool:
    """Whether the group committed past this record: it will never read it again."""
    return committed.get(partition) is not None and committed[partition] > offset


def processed_twice_orders(limit: int) -> list[str]:
    """Orders whose work started more than once, in any mode, among the MARK_WINDOW newest processed-events rows:
    the `limit` most recently repeated first."""
    starts = ProcessedEvent.objects.filter(step=START, skipped=False)
    newest = starts.aggregate(newest=Max("id"))["newest"]
    if newest is None:
        return []
    repeated = (
        starts.filter(id__gt=newest - MARK_WINDOW)
        .values("order_id")
        .annotate(starts=Count("id"), last=Max("id"))
        .filter(starts__gt=1)
        .order_by("-last")[:limit]
    )
    return [str(row["order_id"]) for row in repeated]
