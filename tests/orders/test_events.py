"""The Kafka record schema: what is built is what parses, and nothing else parses."""

import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from orders import events


def sample_order(**overrides):
    fields = {
        "order_id": uuid.uuid4(),
        "created_by": "ana",
        "status": "QUEUED",
        "created_at": datetime(2026, 1, 31, 12, 0, 0, 123456, tzinfo=UTC),
        "equipment": ["MONITOR", "MONITOR"],
        "delivery_note": "",
    }
    return SimpleNamespace(**{**fields, **overrides})


def test_value_round_trips_through_json():
    event = events.order_created(sample_order(), source="rest")
    parsed = events.OrderEvent.from_record(event.to_value(), key=event.key.encode())
    assert parsed == event
    assert json.loads(event.to_value())["order"]["created_at"] == "2026-01-31T12:00:00.123456Z"


def test_headers_name_type_and_content_type():
    event = events.order_status_changed(sample_order(status="CANCELLED"), source="grpc")
    headers = dict(event.headers())
    assert headers["event-type"] == b"order.status_changed"
    assert headers["content-type"] == b"application/json"
    assert headers["source"] == b"grpc"
    assert headers["event-id"] == event.event_id.encode()


def test_key_is_the_order_id():
    order = sample_order()
    assert events.order_created(order, source="rest").key == str(order.order_id)


@pytest.mark.parametrize("value", [b"not json", b"[]", b'{"event_id": "1"}', b"[" * 100_000, b"\xff"])
def test_refuses_what_is_not_an_event(value):
    with pytest.raises(events.EventParseError):
        events.OrderEvent.from_record(value)


def test_refuses_unknown_fields_and_types():
    data = events.order_created(sample_order(), source="rest").to_dict()
    with pytest.raises(events.EventParseError):
        events.OrderEvent.from_record(json.dumps({**data, "extra": 1}))
    with pytest.raises(events.EventParseError):
        events.OrderEvent.from_record(json.dumps({**data, "type": "order.deleted"}))


def test_refuses_key_that_is_not_the_order_id():
    event = events.order_created(sample_order(), source="rest")
    with pytest.raises(events.EventParseError):
        events.OrderEvent.from_record(event.to_value(), key=b"another-order")


def test_unknown_source_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown event source 'carrier-pigeon'"):
        events.order_created(sample_order(), source="carrier-pigeon")


@pytest.mark.parametrize(
    ("field", "bad"), [("status", "SHIPPED"), ("equipment", ["TOASTER"]), ("equipment", "MOUSE"), ("created_by", 7)]
)
def test_refuses_order_values_outside_the_schema(field, bad):
    data = events.order_created(sample_order(), source="rest").to_dict()
    data["order"][field] = bad
    with pytest.raises(events.EventParseError):
        events.OrderEvent.from_record(json.dumps(data))


def test_a_key_that_is_not_utf8_is_no_order_event():
    event = events.order_created(sample_order(), source="rest")
    with pytest.raises(events.EventParseError):
        events.OrderEvent.from_record(event.to_value(), key=b"\xff")
