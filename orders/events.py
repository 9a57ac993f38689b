"""The Kafka record schema of order events: the one place that builds and parses them.

Topic `orders` (setting KAFKA_ORDERS_TOPIC). Each record:

- key: the order id, UTF-8, so all events of one order land in one partition, in order;
- value: UTF-8 JSON ``{"event_id", "type", "occurred_at", "source", "order": {"order_id", "created_by",
  "status", "created_at", "equipment"}}`` where type is ``order.created`` or ``order.status_changed``; version 2
  adds ``delivery_note`` to the order, present only when the order has one;
- headers: ``event-type``, ``content-type`` (application/json), ``schema-version`` (2 when the order carries a
  version-2 field, else 1: an order without one is written byte for byte as in version 1), ``source``, ``event-id``,
  and ``reason`` on a status change that has one (why the worker FAILED an order).

What a reader believes of an event is ``judge``'s verdict: the order rules (orders.rules) applied to the topic's
records in their log order, so a record no service of ours could have written is flagged, never applied.
"""

from __future__ import annotations

import json
import re
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
SCHEMA_VERSION, SCHEMA_VERSION_2 = "1", "2"
CONTENT_TYPE = "application/json"
EVENT_FIELDS = ("event_id", "type", "occurred_at", "source", "order")
ORDER_FIELDS = ("order_id", "created_by", "status", "created_at", "equipment")
# Version 2's optional order fields: written only when set, so a version 1 reader sees an order without them unchanged.
ORDER_FIELDS_V2 = ("delivery_note",)
SOURCES = ("rest", "grpc", "worker")
# str(uuid.UUID(...)): how every order id of ours is written, so an event's order id is a record key the page shows.
ORDER_ID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# A reason is a short sentence of ours, never client input; the header carries at most this many characters.
MAX_REASON_LENGTH = 200


ACCEPTED, REFUSED, INVALID = "accepted", "refused", "invalid"


class EventParseError(ValueError):
    """The record is not an order event of this schema."""


def format_timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the same text DRF renders, so REST and Kafka show identical times."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def order_snapshot(order) -> dict[str, Any]:
    """The order as every transport shows it (REST body, Kafka payload); version 2's fields only when set."""
    snapshot = {
        "order_id": str(order.order_id),
        "created_by": order.created_by,
        "status": order.status,
        "created_at": format_timestamp(order.created_at),
        "equipment": list(order.equipment),
    }
    if order.delivery_note:
        snapshot["delivery_note"] = order.delivery_note
    return snapshot


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

    @property
    def schema_version(self) -> str:
        return SCHEMA_VERSION_2 if self.order.keys() & set(ORDER_FIELDS_V2) else SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EVENT_FIELDS}

    def to_value(self) -> bytes:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("event-type", self.type.encode()),
            ("content-type", CONTENT_TYPE.encode()),
            ("schema-version", self.schema_version.encode()),
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
        _require_exact_keys(data["order"], ORDER_FIELDS, "order", optional=ORDER_FIELDS_V2)
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


def _require_exact_keys(data: Any, expected: Iterable[str], what: str, optional: Iterable[str] = ()) -> None:
    if not isinstance(data, dict):
        raise EventParseError(f"{what} is not a JSON object")
    missing, unknown = set(expected) - data.keys(), data.keys() - set(expected) - set(optional)
    if missing or unknown:
        raise EventParseError(f"{what} fields: missing {sorted(missing)}, unknown {sorted(unknown)}")


def _require_values(data: dict[str, Any]) -> None:
    """Types and enum members, so a reader can trust a parsed event (and map it to proto enums)."""
    order = data["order"]
    texts = [data[name] for name in ("event_id", "occurred_at", "source")]
    texts += [order[name] for name in ("order_id", "created_by", "created_at")]
    if not all(isinstance(text, str) for text in texts):
        raise EventParseError("event and order fields must be strings")
    if "delivery_note" in order and not (isinstance(order["delivery_note"], str) and order["delivery_note"]):
        raise EventParseError("delivery_note, when present, is non-empty text (an order without one carries none)")
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


@dataclass(frozen=True)
class Verdict:
    """What a reader believes of one event: `kind` is ACCEPTED, REFUSED or INVALID; `status` is its order's
    status after it (the event's when accepted, else the last accepted one, None when none was); `reason` says
    why an event is not applied."""

    kind: str
    status: str | None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        return self.kind == ACCEPTED


# An order's fields that no event changes (no service edits them): only its status moves.
FIXED_FIELDS = ("created_by", "created_at", "equipment", "delivery_note")


def fixed_fields_print(order: dict[str, Any]) -> int:
    """A fingerprint of the order's FIXED_FIELDS, for a reader to remember instead of the fields themselves. Only
    compared within one process: Python salts the hashes of strings per process."""
    return hash((order["created_by"], order["created_at"], tuple(order["equipment"]), order.get("delivery_note", "")))


def judge(last_status: str | None, event: OrderEvent, last_print: int | None = None) -> Verdict:
    """Whether a reader applies `event`, given the status its order's last accepted event left (None: none yet).

    The services' rules, applied to the log: an order is created once (any valid status, as create_order takes),
    then moves only along rules.TRANSITIONS, so it never leaves a final status, and keeps its FIXED_FIELDS
    (`last_print`: fixed_fields_print of the last accepted event's order, when known). INVALID: the event holds an
    order no service could have stored (or an unknown source). REFUSED: a well-formed event those rules do not allow
    after what was accepted, including a change to an order none of whose earlier events was read (it cannot be
    checked). Pure: replaying the same events in the same order gives the same verdicts.
    """
    problem = _order_problem(event)
    if problem:
        return Verdict(INVALID, last_status, problem)
    status = event.order["status"]
    if event.type == ORDER_CREATED:
        if last_status is None:
            return Verdict(ACCEPTED, status)
        return Verdict(REFUSED, last_status, f"the order was already created (it is {last_status}): created once")
    if last_status is None:
        return Verdict(REFUSED, None, f"no earlier event of this order was read, so a change to {status} is unchecked")
    if rules.is_final(last_status):
        return Verdict(REFUSED, last_status, f"the order is {last_status}, a final status: nothing follows it")
    if not rules.can_become(last_status, status):
        allowed = ", ".join(sorted(rules.TRANSITIONS[last_status]))
        return Verdict(REFUSED, last_status, f"{last_status} cannot become {status} (only {allowed})")
    if last_print is not None and fixed_fields_print(event.order) != last_print:
        fields = ", ".join(FIXED_FIELDS)
        return Verdict(REFUSED, last_status, f"its order's {fields} differ from the order's: only the status changes")
    return Verdict(ACCEPTED, status)


def _order_problem(event: OrderEvent) -> str:
    """Why no service of ours could have written this event ("" if one could): the order's own rules, a canonical
    UUID id (the record key the page shows), a known source and an ISO 8601 time."""
    order = event.order
    if not ORDER_ID_PATTERN.fullmatch(order["order_id"]):
        return f"order_id {rules.shown(repr(order['order_id']))} is not an order id (a UUID)"
    if event.source not in SOURCES:
        return f"unknown source {rules.shown(repr(event.source))}; events come from {', '.join(SOURCES)}"
    if not event.occurred_at or rules.created_at_errors(event.occurred_at):
        return f"occurred_at {rules.shown(repr(event.occurred_at))} is not an ISO 8601 date and time"
    errors = rules.order_errors(
        created_by=order["created_by"],
        equipment=order["equipment"],
        status=order["status"],
        created_at=order["created_at"] or None,
        delivery_note=order.get("delivery_note", ""),
    )
    if not order["created_at"]:
        errors.setdefault("created_at", ["An event's order always has its created_at."])
    if errors:
        field, messages = next(iter(errors.items()))
        return f"the order breaks its rules: {field}: {messages[0]}"
    if not rules.is_unicode_text(event.event_id):
        # The one field left unchecked above that a \ud800 escape could still spoil.
        return "its event_id holds \\u escapes of lone surrogates, which UTF-8 cannot encode"
    return ""


def goes_back(earlier: OrderEvent, later: OrderEvent) -> str:
    """Why `later`, read after `earlier` for the same order, is out of its order's sequence ("" when it is not).

    The order's life as the services write it: one `order.created`, then statuses only along rules.TRANSITIONS, each
    event at or after the one before it. So `later` goes back when it is a second creation, when its status is one
    the order passes through before `earlier`'s (it could become `earlier`'s status), or when it occurred earlier.
    The same event read again (a redelivery) is not out of order.
    """
    if later.event_id == earlier.event_id:
        return ""
    before, now = earlier.order["status"], later.order["status"]
    if later.type == ORDER_CREATED:
        return f"an order.created read after its order's {earlier.type} ({before})"
    if now != before and _leads_to(now, before):
        return f"{now} read after {before}: {now} comes before {before} in an order's life"
    then, at = _moment(earlier.occurred_at), _moment(later.occurred_at)
    if then is not None and at is not None and at < then:
        return f"occurred at {later.occurred_at}, before the event read before it ({earlier.occurred_at})"
    return ""


def _leads_to(start: str, goal: str) -> bool:
    """Whether rules.TRANSITIONS can take an order from `start` to `goal` (TRANSITIONS has no cycle)."""
    reachable, frontier = set(), [start]
    while frontier:
        for following in rules.TRANSITIONS.get(frontier.pop(), frozenset()):
            if following not in reachable:
                reachable.add(following)
                frontier.append(following)
    return goal in reachable


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
