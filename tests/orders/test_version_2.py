"""Version 2 of the order: an optional delivery note, one rule in orders.rules, carried by the event with
schema-version 2, while an order without a note is written exactly as version 1 wrote it."""

import json

import pytest

from orders import events, rules, services
from orders.exceptions import InvalidOrder
from outbox.selectors import events_for_key

pytestmark = pytest.mark.django_db(transaction=True)


def committed_event(order):
    row = events_for_key(str(order.order_id)).first()
    return json.loads(row.value), dict(row.headers)


def test_an_order_without_a_note_is_a_version_1_event_byte_for_byte():
    order = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    value, headers = committed_event(order)
    assert list(value) == list(events.EVENT_FIELDS)
    assert list(value["order"]) == list(events.ORDER_FIELDS)
    assert headers["schema-version"] == "1"


def test_an_order_with_a_note_is_a_version_2_event_that_parses_back():
    order = services.create_order(created_by="ana", equipment=["MOUSE"], source="grpc", delivery_note="Ring twice.")
    value, headers = committed_event(order)
    assert value["order"]["delivery_note"] == "Ring twice." and headers["schema-version"] == "2"
    parsed = events.OrderEvent.from_record(json.dumps(value), key=str(order.order_id))
    assert parsed.schema_version == "2" and events.judge(None, parsed).accepted


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("x" * (rules.MAX_DELIVERY_NOTE_LENGTH + 1), "no more than 120 characters"),
        ("door\x00bell", "Null characters"),
        ("\ud800", "lone surrogates"),
    ],
)
def test_a_bad_note_is_refused_and_nothing_is_stored(note, message):
    with pytest.raises(InvalidOrder) as refused:
        services.create_order(created_by="ana", equipment=["MOUSE"], source="rest", delivery_note=note)
    assert list(refused.value.errors) == ["delivery_note"] and message in refused.value.errors["delivery_note"][0]


def test_an_event_with_an_empty_or_non_text_note_is_no_event_of_ours():
    order = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    value, _ = committed_event(order)
    for bad in ("", 7):
        with pytest.raises(events.EventParseError, match="delivery_note"):
            events.OrderEvent.from_record(json.dumps({**value, "order": {**value["order"], "delivery_note": bad}}))


def test_a_status_change_that_changes_the_note_is_refused():
    order = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest", delivery_note="Desk 4.")
    created, _ = committed_event(order)
    fixed = events.fixed_fields_print(created["order"])
    moved = events.OrderEvent.from_record(
        json.dumps(
            {
                **created,
                "type": events.ORDER_STATUS_CHANGED,
                "order": {**created["order"], "status": "PROCESSING", "delivery_note": "Desk 5."},
            }
        )
    )
    verdict = events.judge("QUEUED", moved, fixed)
    assert not verdict.accepted and "delivery_note" in verdict.reason
