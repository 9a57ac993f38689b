"""Order events as the services write them, built without a database: for tests and benchmarks that put an
order's records on a topic (or before a reader) themselves."""

import uuid

from orders import events

AT = "2026-01-31T12:00:00Z"


def order_event(
    order_id: str, event_type: str = events.ORDER_CREATED, status: str = "QUEUED", /, *, source="worker", at=AT, **order
) -> events.OrderEvent:
    """A well-formed event of `order_id`, stamped `at`; `order` overrides the order's fields (its id too, to build
    one no service would write)."""
    return events.OrderEvent(
        event_id=str(uuid.uuid4()),
        type=event_type,
        occurred_at=at,
        source=source,
        order={
            "order_id": order_id,
            "created_by": "ana",
            "status": status,
            "created_at": at,
            "equipment": ["MOUSE"],
            **order,
        },
    )
