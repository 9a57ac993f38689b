"""The Kafka record schema of order events: the one place that builds and parses them.

Topic `orders` (setting KAFKA_ORDERS_TOPIC). Each record:

- key: the order id, UTF-8, so all events of one order land in one partition, in order;
- value: UTF-8 JSON ``{"event_id", "type", "occurred_at", "source", "order": {"order_id", "created_by",
  "status", "created_at", "equipment"}}`` where type is ``order.created`` or ``order.status_changed``;
- headers: ``event-type``, ``content-type`` (application/json), ``schema-version`` (1), ``source``, ``event-id``,
  and ``reason`` on a status change that has one (why the worker FAILED an order).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils import timezone

from orders import rules

ORDER_CREATED = "order.created"
ORDER_STATUS_CHANGED = "order.status_changed"
EVENT_TYPES = (ORDER_CREATED, ORDER_STATUS_CHANGED)
SCHEMA_VERSION = "1"
CONTENT_TYPE = "application/json"
EVENT_FIELDS = ("event_id", "type", "occurred_at", "source", "order")
ORDER_FIELDS = ("order_id", "created_by", "status", "created_at", "equipment")
SOURCES = ("rest", "grpc", "worker")
# A reason is a short sentence of ours, never client input; the header carries at most this many characters.
MAX_REASON_LENGTH = 200


class EventParseError(ValueError):
    """The record is not an order event of this schema."""


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the same text DRF renders, so REST and Kafka show identical times."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def order_snapshot(order) -> dict[str, Any]:
    """The order as every transport shows it (REST body, Kafka payload)."""
    return {
        "order_id": str(order.order_id),
        "created_by": order.created_by,
        "status": order.status,
        "created_at": format_timestamp(order.created_at),
        "equipment": list(order.equipment),
    }


@dataclass(frozen=True)
class OrderEvent:
    """One record on the orders topic."""

    event_id: str
    type: str
    occurred_at: str
    source: str
    order: dict[str, Any]
    # Carried in the `reason` header only, so the value keeps its exact schema.
    reason: str = ""

    @property
    def key(self) -> str:
        return self.order["order_id"]

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EVENT_FIELDS}

    def to_value(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("event-type", self.type.encode()),
            ("content-type", CONTENT_TYPE.encode()),
            ("schema-version", SCHEMA_VERSION.encode()),
            ("source", self.source.encode()),
            ("event-id", self.event_id.encode()),
        ] + ([("reason", self.reason.encode())] if self.reason else [])

    @classmethod
    def from_record(cls, value: bytes | str, key: bytes | str | None = None) -> OrderEvent:
        """Parse a record's value; refuse anything that is not exactly this schema."""
        try:
            data = json.loads(value)
        except (TypeError, ValueError, RecursionError) as exc:
            # RecursionError: deeply nested JSON, which is no event either (and must not stop a reader).
            raise EventParseError(f"value is not JSON: {type(exc).__name__}") from exc
        _require_exact_keys(data, EVENT_FIELDS, "event")
        _require_exact_keys(data["order"], ORDER_FIELDS, "order")
        _require_values(data)
        event = cls(**data)
        if key is not None:
            try:
                key_text = key.decode() if isinstance(key, bytes) else key
            except UnicodeDecodeError as exc:
                raise EventParseError("record key is not UTF-8") from exc
            if key_text != event.key:
                raise EventParseError(f"record key {key_text!r} is not the order id {event.key!r}")
        return event


def _require_exact_keys(data: Any, expected: Iterable[str], what: str) -> None:
    if not isinstance(data, dict):
        raise EventParseError(f"{what} is not a JSON object")
    missing, unknown = set(expected) - data.keys(), data.keys() - set(expected)
    if missing or unknown:
        raise EventParseError(f"{what} fields: missing {sorted(missing)}, unknown {sorted(unknown)}")


def _require_values(data: dict[str, Any]) -> None:
    """Types and enum members, so a reader can trust a parsed event (and map it to proto enums)."""
    order = data["order"]
    texts = [data[name] for name in ("event_id", "occurred_at", "source")]
    texts += [order[name] for name in ("order_id", "created_by", "created_at")]
    if not all(isinstance(text, str) for text in texts):
        raise EventParseError("event and order fields must be strings")
    if data["type"] not in EVENT_TYPES:
        raise EventParseError(f"unknown event type {data['type']!r}")
    if not rules.is_member(order["status"], rules.STATUS_VALUES):
        raise EventParseError(f"unknown status {order['status']!r}")
    equipment = order["equipment"]
    if not isinstance(equipment, list) or not all(rules.is_member(item, rules.EQUIPMENT_VALUES) for item in equipment):
        raise EventParseError("equipment must be a list of known equipment names")


def new_event(event_type: str, order, source: str, reason: str = "") -> OrderEvent:
    if source not in SOURCES:
        raise ValueError(f"unknown event source {source!r}; add it to SOURCES")
    return OrderEvent(
        event_id=str(uuid.uuid4()),
        type=event_type,
        occurred_at=format_timestamp(timezone.now()),
        source=source,
        order=order_snapshot(order),
        reason=reason[:MAX_REASON_LENGTH],
    )


def order_created(order, *, source: str) -> OrderEvent:
    return new_event(ORDER_CREATED, order, source)


def order_status_changed(order, *, source: str, reason: str = "") -> OrderEvent:
    return new_event(ORDER_STATUS_CHANGED, order, source, reason)
