"""Record frames for any bytes (live.frames): text where the bytes round-trip, else base64 with the reason; each
with the verdict a reader's ledger gives it (messaging.judging)."""

from __future__ import annotations

import base64
import json

from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from kafka.consumer.fetcher import ConsumerRecord

from live import frames, relay
from messaging import judging
from orders import events

EVENT = events.OrderEvent(
    event_id="e-1",
    type=events.ORDER_CREATED,
    occurred_at="2026-01-01T00:00:00Z",
    source="rest",
    order={
        "order_id": "o-1",
        "created_by": "ana",
        "status": "QUEUED",
        "created_at": "2026-01-01T00:00:00Z",
        "equipment": ["MOUSE"],
    },
)


def record(value: bytes | None = b"v", key: bytes | None = b"k", headers=(), offset: int = 7) -> ConsumerRecord:
    return ConsumerRecord(
        "orders",
        1,
        0,
        offset,
        1_700_000_000_000,
        0,
        key,
        value,
        list(headers),
        None,
        -1 if key is None else len(key),
        -1 if value is None else len(value),
        -1,
    )


def packed_frame(rec: ConsumerRecord, ledger: judging.Ledger | None = None) -> dict:
    partition, offset, text = relay.pack(rec, (judging.Ledger(3) if ledger is None else ledger).judge)
    text.encode()  # a websocket text frame must encode as UTF-8
    frame = json.loads(text)
    assert (partition, offset) == (frame["partition"], frame["offset"]) == (rec.partition, rec.offset)
    return frame


def test_a_normal_event_keeps_the_shape_the_dashboard_reads():
    frame = packed_frame(record(EVENT.to_value(), b"o-1", EVENT.headers()))
    assert frame["value"] == EVENT.to_dict() and frame["value_format"] == "json-event"
    assert (frame["key"], frame["key_format"]) == ("o-1", "text")
    assert frame["headers"] == {name: value.decode() for name, value in EVENT.headers()}
    assert "headers_raw" not in frame and frame["truncated"] is False
    assert not {"key_reason", "value_reason", "key_size", "value_size"} & frame.keys()


ORDER_ID = "73b40bd7-5c1e-4f6a-9d2b-0e8f1a2b3c4d"  # its key's partition of 3 is 1, as record() places it


def order_event(event_type: str, status: str) -> events.OrderEvent:
    return events.OrderEvent(
        event_id=f"e-{status}",
        type=event_type,
        occurred_at="2026-01-01T00:00:00Z",
        source="worker",
        order={**EVENT.order, "order_id": ORDER_ID, "status": status},
    )


def test_each_frame_carries_its_verdict_and_whether_it_was_hand_made():
    ledger = judging.Ledger(3)
    created = order_event(events.ORDER_CREATED, "QUEUED")
    frame = packed_frame(record(created.to_value(), ORDER_ID.encode(), created.headers(), offset=1), ledger)
    assert (frame["verdict"], frame["hand_made"]) == ("accepted", False) and "verdict_reason" not in frame
    forged = order_event(events.ORDER_STATUS_CHANGED, "COMPLETED")
    headers = [*forged.headers(), (judging.HAND_MADE_HEADER, b"dashboard produce")]
    frame = packed_frame(record(forged.to_value(), ORDER_ID.encode(), headers, offset=2), ledger)
    assert (frame["verdict"], frame["hand_made"]) == ("refused", True)
    assert frame["verdict_reason"] == "QUEUED cannot become COMPLETED (only CANCELLED, PROCESSING)"
    assert frame["value_format"] == "json-event" and frame["value"] == forged.to_dict(), "shown as it is"
    frame = packed_frame(record(b"{oops", ORDER_ID.encode(), offset=3), ledger)
    assert (frame["verdict"], frame["value_format"]) == ("invalid", "text")
    assert frame["verdict_reason"].startswith("not an order event: value is not JSON")


def test_bytes_that_are_not_utf8_are_base64_with_a_reason():
    frame = packed_frame(record(b"\xff\x00value", b"\xc3\x28", [("h", b"\x80"), ("ok", b"text"), ("ok", b"again")]))
    assert (frame["value_format"], frame["value_reason"]) == ("base64", frames.NOT_UTF8)
    assert base64.b64decode(frame["value"]) == b"\xff\x00value"
    assert (frame["key_format"], frame["key_reason"], base64.b64decode(frame["key"])) == (
        "base64",
        "not UTF-8",
        b"\xc3\x28",
    )
    assert frame["headers"] == {"ok": "again"}, "text headers only; a repeated name keeps its last value"
    assert frame["headers_raw"] == [
        {"name": "h", "value": base64.b64encode(b"\x80").decode(), "value_format": "base64", "reason": "not UTF-8"},
        {"name": "ok", "value": "text", "value_format": "text"},
        {"name": "ok", "value": "again", "value_format": "text"},
    ]


def test_null_key_value_and_header_value():
    frame = packed_frame(record(None, None, [("n", None)]))
    assert (frame["key"], frame["key_format"], frame["value"], frame["value_format"]) == (None, "null", None, "null")
    assert frame["headers"] == {"n": None} and "headers_raw" not in frame


def test_encoded_surrogates_are_not_utf8():
    frame = packed_frame(record(b"\xed\xa0\x80", b"\xed\xa0\x80"))
    assert (frame["value_format"], frame["key_format"]) == ("base64", "base64")


def test_an_event_with_lone_surrogate_escapes_is_base64_with_the_reason():
    value = EVENT.to_value().replace(b'"created_by":"ana"', b'"created_by":"\\ud800"')
    assert events.OrderEvent.from_record(value, b"o-1").order["created_by"] == "\ud800"
    frame = packed_frame(record(value, b"o-1"))
    assert (frame["value_format"], frame["value_reason"]) == ("base64", frames.SURROGATES)
    assert base64.b64decode(frame["value"]) == value


def test_a_schema_valid_event_with_hostile_strings_is_shown_as_it_is():
    hostile = '<script>alert(1)</script>\u0000\u2028"\\' + "é" * 10
    value = EVENT.to_value().replace(b'"created_by":"ana"', json.dumps({"created_by": hostile})[1:-1].encode())
    frame = packed_frame(record(value, b"o-1"))
    assert frame["value_format"] == "json-event" and frame["value"]["order"]["created_by"] == hostile


def test_deeply_nested_json_is_text():
    for value in (b"[" * 100_000, b"[" * 50_000 + b"]" * 50_000, b'{"a":' * 20_000 + b"1" + b"}" * 20_000):
        frame = packed_frame(record(value))
        assert (frame["value_format"], frame["value"]) == ("text", value.decode())


def test_large_fields_are_cut_at_the_cap_with_their_full_size(settings):
    settings.RELAY_FRAME_FIELD_MAX_BYTES = 10
    frame = packed_frame(record("é".encode() * 20, b"\xff" * 30, [("h", b"x" * 11)]))
    assert frame["truncated"] is True and (frame["key_size"], frame["value_size"]) == (30, 40)
    assert (frame["value"], frame["value_format"]) == ("é" * 5, "text")
    assert base64.b64decode(frame["key"]) == b"\xff" * 10
    assert frame["headers"] == {"h": "x" * 10}
    event_frame = packed_frame(record(EVENT.to_value(), b"o-1"))
    assert event_frame["value_format"] == "text", "a value over the cap is never parsed"


def test_an_unreadable_record_frame():
    text = relay.pack_unreadable("orders", relay.readers.Unreadable(2, 9, "CorruptRecordError: bad"))
    assert text[:2] == (2, 9)
    frame = json.loads(text[2])
    assert frame["type"] == "record" and (frame["partition"], frame["offset"]) == (2, 9)
    assert (frame["value_format"], frame["error"], frame["headers"], frame["key"]) == (
        "unreadable",
        "CorruptRecordError: bad",
        {},
        None,
    )
    assert (frame["verdict"], frame["hand_made"]) == ("invalid", False)
    assert frame["verdict_reason"] == "the Kafka client cannot decode it: CorruptRecordError: bad"


def test_a_frame_that_cannot_be_encoded_still_packs():
    text = frames.pack_frame({"type": "record", "topic": "t", "partition": 0, "offset": 1, "value": "\udc80"})
    assert json.loads(text)["value_format"] == "unreadable"


@hsettings(max_examples=300, deadline=None)
@given(
    key=st.none() | st.binary(max_size=64),
    value=st.none() | st.binary(max_size=256) | st.text().map(str.encode),
    headers=st.lists(st.tuples(st.text(max_size=8), st.none() | st.binary(max_size=16)), max_size=4),
)
def test_any_bytes_make_one_frame_that_round_trips(key, value, headers):
    frame = packed_frame(record(value, key, headers))
    assert _bytes_of(frame["key"], frame["key_format"]) == key
    if frame["value_format"] == "json-event":
        assert events.OrderEvent.from_record(value, key).to_dict() == frame["value"]
    else:
        assert _bytes_of(frame["value"], frame["value_format"]) == value
    raw = frame.get("headers_raw") or [
        {"name": n, "value": v, "value_format": "null" if v is None else "text"} for n, v in frame["headers"].items()
    ]
    if "headers_raw" in frame:
        assert [(h["name"], _bytes_of(h["value"], h["value_format"])) for h in raw] == headers
    else:
        assert frame["headers"] == {name: None if v is None else v.decode() for name, v in headers}


def _bytes_of(shown, shown_format: str) -> bytes | None:
    return {"null": lambda: None, "text": lambda: shown.encode(), "base64": lambda: base64.b64decode(shown)}[
        shown_format
    ]()
