"""What a kill cost under the current delivery mode: orders lost and orders processed twice.

Both count orders since the delivery mode was last set (WorkerControl.mode_since):
- processed twice: orders whose first step (the work starting) was done more than once, by any member (a step
  skipped because the processed-events record says it was done does not count);
- lost: orders still QUEUED or PROCESSING whose `order.created` record lies below the group's committed offset
  on its partition (the group will never read it again) and that no live member is working on.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Count
from django.utils import timezone

from fulfilment.models import Member, ProcessedEvent, WorkerControl
from fulfilment.processing import START
from orders import selectors
from outbox.selectors import first_positions

# A member whose heartbeat is older than this is gone (it beats every second, and at each step).
LIVE_MEMBER = timedelta(seconds=5)


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


def lost_orders(since, committed: dict[int, int | None]) -> list[str]:
    unfinished = [str(order.order_id) for order in selectors.unfinished_orders(created_since=since)]
    positions = first_positions(unfinished)
    held = {
        str(order_id)
        for order_id in Member.objects.filter(
            heartbeat_at__gte=timezone.now() - LIVE_MEMBER, order_id__isnull=False
        ).values_list("order_id", flat=True)
    }
    return [
        order_id
        for order_id, (partition, offset) in positions.items()
        if order_id not in held and (committed.get(partition) is not None and committed[partition] > offset)
    ]
