"""orders.events.judge: what a reader believes of each event, given its order's last accepted status.

Hypothesis drives random event sequences through it as a reader does (the last accepted status carried on): a final
status is never left, and the status shown is always reached by transitions the rules allow.
"""

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.order_events import order_event
from orders import events, rules

ORDER_ID = "73b40bd7-5c1e-4f6a-9d2b-0e8f1a2b3c4d"


def event(event_type: str, status: str, **order) -> events.OrderEvent:
    return order_event(ORDER_ID, event_type, status, **order)


def created(status: str = "QUEUED") -> events.OrderEvent:
    return event(events.ORDER_CREATED, status)


def changed(status: str) -> events.OrderEvent:
    return event(events.ORDER_STATUS_CHANGED, status)


def test_the_workers_path_is_accepted_step_by_step():
    last = None
    for each in (created(), changed("PROCESSING"), changed("COMPLETED")):
        verdict = events.judge(last, each)
        assert verdict.accepted and verdict.reason == "" and verdict.status == each.order["status"]
        last = verdict.status
    assert last == "COMPLETED"


@pytest.mark.parametrize(
    ("last", "incoming", "reason"),
    [
        ("COMPLETED", changed("QUEUED"), "the order is COMPLETED, a final status: nothing follows it"),
        ("CANCELLED", changed("PROCESSING"), "the order is CANCELLED, a final status: nothing follows it"),
        ("QUEUED", changed("COMPLETED"), "QUEUED cannot become COMPLETED (only CANCELLED, PROCESSING)"),
        ("PROCESSING", changed("PROCESSING"), "PROCESSING cannot become PROCESSING (only CANCELLED, COMPLETED, "),
        ("QUEUED", created(), "the order was already created (it is QUEUED): created once"),
        (None, changed("FAILED"), "no earlier event of this order was read, so a change to FAILED is unchecked"),
    ],
)
def test_what_the_rules_do_not_allow_is_refused_and_the_status_stays(last, incoming, reason):
    verdict = events.judge(last, incoming)
    assert (verdict.kind, verdict.status) == (events.REFUSED, last) and verdict.reason.startswith(reason)


@pytest.mark.parametrize(
    ("incoming", "reason"),
    [
        (event(events.ORDER_CREATED, "QUEUED", order_id="o-1"), "order_id 'o-1' is not an order id (a UUID)"),
        (event(events.ORDER_CREATED, "QUEUED", order_id=ORDER_ID.upper()), "is not an order id (a UUID)"),
        (event(events.ORDER_CREATED, "QUEUED", equipment=[]), "equipment: At least one equipment item is required."),
        (event(events.ORDER_CREATED, "QUEUED", created_by=" "), "created_by: This field may not be blank."),
        (event(events.ORDER_CREATED, "QUEUED", created_by="\ud800"), "created_by: Must be Unicode text"),
        (event(events.ORDER_CREATED, "QUEUED", created_at=""), "created_at: An event's order always has"),
        (event(events.ORDER_CREATED, "QUEUED", created_at="yesterday"), "created_at: 'yesterday' is not an ISO"),
    ],
)
def test_an_order_no_service_could_store_is_invalid(incoming, reason):
    verdict = events.judge(None, incoming)
    assert verdict.kind == events.INVALID and verdict.status is None and reason in verdict.reason


def test_an_unknown_source_or_time_is_invalid():
    assert "unknown source 'hacker'" in events.judge(None, _replace(created(), source="hacker")).reason
    assert "occurred_at '' is not" in events.judge("QUEUED", _replace(changed("PROCESSING"), occurred_at="")).reason
    assert "event_id holds" in events.judge(None, _replace(created(), event_id="\ud800")).reason


def _replace(each: events.OrderEvent, **fields) -> events.OrderEvent:
    return events.OrderEvent(**{**each.to_dict(), **fields})


def test_events_the_services_write_are_accepted(db):
    from orders import services

    order = services.create_order(created_by="ana", equipment=["MOUSE", "WEBCAM", "MOUSE"], source="rest")
    created_event = events.order_created(order, source="rest")
    assert events.judge(None, created_event).accepted
    # Read back from the database, as the worker's change is: its fixed fields print the same as at creation.
    moved = services.change_status(order_id=order.order_id, to="PROCESSING", source="worker")
    fixed = events.fixed_fields_print(created_event.order)
    assert events.judge("QUEUED", events.order_status_changed(moved, source="worker"), fixed).accepted


@pytest.mark.parametrize(
    "changed_field",
    [{"created_by": "mallory"}, {"equipment": ["MOUSE", "MOUSE"]}, {"created_at": "2026-01-31T12:00:01Z"}],
)
def test_a_change_that_rewrites_what_the_order_was_created_with_is_refused(changed_field):
    fixed = events.fixed_fields_print(created().order)
    assert events.judge("QUEUED", changed("PROCESSING"), fixed).accepted
    verdict = events.judge("QUEUED", event(events.ORDER_STATUS_CHANGED, "PROCESSING", **changed_field), fixed)
    assert (verdict.kind, verdict.status) == (events.REFUSED, "QUEUED")
    assert (
        verdict.reason
        == "its order's created_by, created_at, equipment, delivery_note differ from the order's: only the status "
        "changes"
    )


any_event = st.builds(
    event,
    st.sampled_from(events.EVENT_TYPES),
    st.sampled_from(rules.Status.values),
    equipment=st.sampled_from([["MOUSE"], [], ["TOASTER"]]),
)


@given(st.lists(any_event, max_size=30))
def test_over_any_sequence_a_final_status_is_never_left_and_the_shown_one_is_reachable(sequence):
    last, path = None, []
    for each in sequence:
        verdict = events.judge(last, each)
        if last is not None and rules.is_final(last):
            assert not verdict.accepted and verdict.status == last, "a final status is left"
        if verdict.accepted:
            assert verdict.status == each.order["status"]
            path.append(verdict.status)
        else:
            assert verdict.status == last and verdict.reason, "a refusal keeps the status and says why"
        last = verdict.status
    # The shown status is reached by accepted moves only: a creation, then transitions the rules allow.
    assert all(rules.can_become(before, after) for before, after in itertools.pairwise(path))
    assert last == (path[-1] if path else None)
    assert len(path) <= len(rules.Status.values), "no status is accepted twice: TRANSITIONS has no cycle"
