"""The ordering checker (messaging.ordering) and the rule it asks of the domain (orders.events.goes_back): per key,
what arrives on another partition, at a lower offset, or with an event that goes back in the order's life."""

from __future__ import annotations

import uuid

import pytest

from messaging.ordering import OrderingChecker
from orders import events

ORDER = "7b1f4c1e-2a5d-4e3f-9c8b-1d2e3f4a5b6c"


def event(status: str, at: str, event_type: str = events.ORDER_STATUS_CHANGED, order_id: str = ORDER):
    return events.OrderEvent(
        event_id=str(uuid.uuid4()),
        type=event_type,
        occurred_at=at,
        source="worker",
        order={
            "order_id": order_id,
            "created_by": "a",
            "status": status,
            "created_at": "2026-01-01T00:00:00Z",
            "equipment": [],
        },
    )


CREATED = event("QUEUED", "2026-01-01T00:00:00Z", events.ORDER_CREATED)
PROCESSING = event("PROCESSING", "2026-01-01T00:00:01Z")
COMPLETED = event("COMPLETED", "2026-01-01T00:00:02Z")


def test_an_order_read_in_its_order_is_never_flagged():
    checker = OrderingChecker()
    assert [checker.check(0, offset, e) for offset, e in enumerate([CREATED, PROCESSING, COMPLETED])] == [""] * 3
    assert checker.check(0, 2, COMPLETED) == "", "the same record read again is a redelivery"
    assert checker.flagged == 0


@pytest.mark.parametrize(
    ("earlier", "later", "reason"),
    [
        (
            COMPLETED,
            PROCESSING,
            "PROCESSING read after COMPLETED: PROCESSING comes before COMPLETED in an order's life",
        ),
        (PROCESSING, CREATED, "an order.created read after its order's order.status_changed (PROCESSING)"),
        (
            COMPLETED,
            event("FAILED", "2026-01-01T00:00:00Z"),
            "occurred at 2026-01-01T00:00:00Z, before the event read before it (2026-01-01T00:00:02Z)",
        ),
    ],
)
def test_an_event_that_goes_back_in_the_orders_life_is_flagged(earlier, later, reason):
    assert events.goes_back(earlier, later) == reason
    checker = OrderingChecker()
    assert checker.check(1, 5, earlier) == ""
    assert checker.check(1, 6, later) == reason
    assert checker.flagged == 1


def test_another_partition_and_a_lower_offset_are_flagged_and_not_remembered():
    checker = OrderingChecker()
    assert checker.check(2, 10, PROCESSING) == ""
    assert checker.check(0, 11, COMPLETED) == ("on partition 0, but this key's earlier records were on partition 2")
    assert (
        checker.check(2, 9, COMPLETED) == "offset 9 read after offset 10 of the same partition (the reader went back)"
    )
    # Neither was remembered: the key's next record in order is compared with offset 10's.
    assert checker.check(2, 12, COMPLETED) == ""
    assert checker.flagged == 2


def test_the_checker_remembers_a_bounded_number_of_keys_the_oldest_forgotten_first():
    checker = OrderingChecker(max_keys=3)
    orders = [str(uuid.uuid4()) for _ in range(5)]
    for offset, order_id in enumerate(orders):
        checker.check(0, offset, event("COMPLETED", "2026-01-01T00:00:02Z", order_id=order_id))
    assert len(checker) == 3
    # The first order was forgotten: its earlier PROCESSING is not flagged; the last one's is.
    assert checker.check(0, 9, event("PROCESSING", "2026-01-01T00:00:01Z", order_id=orders[0])) == ""
    assert checker.check(0, 10, event("PROCESSING", "2026-01-01T00:00:01Z", order_id=orders[-1])).startswith(
        "PROCESSING read after COMPLETED"
    )
