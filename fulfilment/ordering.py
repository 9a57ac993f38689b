"""What the members' ordering checkers (messaging.ordering) found, kept for the fulfilment panel: each flagged
record is a row, and only the newest MAX_FLAGS rows are kept, so a stream of bad records cannot grow the table."""

from __future__ import annotations

from fulfilment.models import OrderingFlag
from orders.events import OrderEvent

MAX_FLAGS = 200
# The flags the panel lists (the newest); it counts all that are kept.
SHOWN_FLAGS = 10


def flag(member: str, partition: int, offset: int, event: OrderEvent, reason: str) -> OrderingFlag:
    """Keep one flagged record, and drop what is past the bound."""
    kept = OrderingFlag.objects.create(
        member=member[:100],
        key=event.key,
        partition=partition,
        offset=offset,
        event_type=event.type[:40],
        status=event.order["status"][:20],
        reason=reason[:200],
    )
    OrderingFlag.objects.filter(id__lte=kept.id - MAX_FLAGS).delete()
    return kept


def state() -> dict:
    """The panel's part: how many flagged records are kept, and the newest of them."""
    return {
        "flagged": OrderingFlag.objects.count(),
        "kept_at_most": MAX_FLAGS,
        "recent": [
            {
                "member": row.member,
                "key": row.key,
                "partition": row.partition,
                "offset": row.offset,
                "event_type": row.event_type,
                "status": row.status,
                "reason": row.reason,
                "at": row.flagged_at.isoformat(),
            }
            for row in OrderingFlag.objects.order_by("-id")[:SHOWN_FLAGS]
        ],
    }
