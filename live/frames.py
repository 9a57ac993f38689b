"""The websocket frame of one Kafka record, whatever its bytes: what the live view shows of it."""

from __future__ import annotations

import base64
from typing import Any

from orders.events import EventParseError, OrderEvent

TIMESTAMP_TYPES = {0: "create", 1: "log_append"}


def record_frame(record) -> dict[str, Any]:
    """The websocket frame of one Kafka ConsumerRecord, whatever its bytes: never raises.

    ``value`` is the event dict when the record is an order event of this schema (``value_format`` "json-event"),
    else the raw value as text ("text"), base64 when it is not UTF-8 ("base64"), or None for a tombstone ("null").
    ``headers`` maps each name to its text (a repeated name keeps its last value); ``size`` is key + value bytes.
    """
    value, value_format = _frame_value(record.value, record.key)
    return {
        "type": "record",
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "key": _text(record.key),
        "timestamp": record.timestamp,
        "timestamp_type": TIMESTAMP_TYPES.get(record.timestamp_type),
        "headers": {name: _text(raw) for name, raw in record.headers or ()},
        "value": value,
        "value_format": value_format,
        "size": max(record.serialized_key_size, 0) + max(record.serialized_value_size, 0),
    }


def _frame_value(value: bytes | None, key: bytes | None) -> tuple[Any, str]:
    if value is None:
        return None, "null"
    try:
        return OrderEvent.from_record(value, key).to_dict(), "json-event"
    except EventParseError:
        pass  # not an order event: show the bytes as they are
    try:
        return value.decode(), "text"
    except UnicodeDecodeError:
        return base64.b64encode(value).decode("ascii"), "base64"


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode(errors="replace")
