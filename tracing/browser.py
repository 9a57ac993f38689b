"""The spans the page records itself (service "browser"), checked before they join the others in the store.

The page sends them in batches (POST /tracing/spans): "click", the root of an order's trace (from the click that
places it to the answer), and "shown", a child of the relay's span of a record (from the frame's arrival to its row
being drawn). Anyone can send anything to that endpoint, so each span is checked field by field, and a batch with
one bad span is refused whole, with every field's error, and stores nothing.
"""

from __future__ import annotations

import re
import time

from orders.events import ORDER_ID_PATTERN

SERVICE = "browser"
# The names a page's span may have, and the kind each is stored with (both are the page's own work: a click's
# request is the web server's SERVER span, a child of the click).
KINDS = {"click": "INTERNAL", "shown": "INTERNAL"}
MAX_BODY_BYTES = 64 * 1024
MAX_SPANS = 100
# A span's times: within this of the server's clock (a page's clock may be off a little, or a batch sent late),
# and no longer than this.
MAX_CLOCK_SKEW_NS = 3600 * 10**9
MAX_DURATION_NS = 5 * 60 * 10**9
TRACE_ID = re.compile(r"[0-9a-f]{32}")
SPAN_ID = re.compile(r"[0-9a-f]{16}")
FIELDS = {"trace_id", "span_id", "parent_span_id", "name", "start_ns", "end_ns", "attributes"}


def _partition(value) -> bool:
    return isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 6


def _offset(value) -> bool:
    return type(value) is int and 0 <= value < 2**63


ATTRIBUTES = {
    "click": {
        "order.id": lambda value: isinstance(value, str) and ORDER_ID_PATTERN.fullmatch(value) is not None,
        "order.transport": lambda value: value in ("rest", "grpc"),
        "order.outcome": lambda value: isinstance(value, str) and 0 < len(value) <= 40 and value.isprintable(),
    },
    "shown": {
        "order.id": lambda value: isinstance(value, str) and ORDER_ID_PATTERN.fullmatch(value) is not None,
        "messaging.destination.partition.id": _partition,
        "messaging.kafka.offset": _offset,
    },
}


class Refused(Exception):
    """The batch is refused: `errors` is {field: [messages]}, a field named like spans[0].trace_id."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("refused")
        self.errors = errors


def records(payload: object, now_ns: int | None = None) -> list[dict]:
    """The batch's spans as rows to store, or Refused with every field's error."""
    if not isinstance(payload, dict) or set(payload) != {"spans"}:
        raise Refused({"non_field_errors": ['Send a JSON object {"spans": [...]}.']})
    spans = payload["spans"]
    if not isinstance(spans, list) or not 0 < len(spans) <= MAX_SPANS:
        raise Refused({"spans": [f"A list of 1 to {MAX_SPANS} spans."]})
    now_ns = time.time_ns() if now_ns is None else now_ns
    errors: dict[str, list[str]] = {}
    for index, span in enumerate(spans):
        for field, message in _problems(span, now_ns):
            errors.setdefault(f"spans[{index}].{field}", []).append(message)
    if errors:
        raise Refused(errors)
    return [_record(span) for span in spans]


def _problems(span: object, now_ns: int):
    if not isinstance(span, dict):
        yield "non_field_errors", "A span is a JSON object."
        return
    if unknown := sorted(str(name)[:40] for name in set(span) - FIELDS):
        yield "non_field_errors", f"Unknown fields: {', '.join(unknown)}."
    name = span.get("name")
    if name not in KINDS:
        yield "name", f"One of {', '.join(KINDS)}."
    if not _hex_id(span.get("trace_id"), TRACE_ID):
        yield "trace_id", "32 lowercase hex digits, not all zero."
    if not _hex_id(span.get("span_id"), SPAN_ID):
        yield "span_id", "16 lowercase hex digits, not all zero."
    parent = span.get("parent_span_id", "")
    if name == "click" and parent != "":
        yield "parent_span_id", 'A click is the root of its trace: "".'
    if name == "shown" and not _hex_id(parent, SPAN_ID):
        yield "parent_span_id", "16 lowercase hex digits: the relay span the record came with."
    yield from _time_problems(span.get("start_ns"), span.get("end_ns"), now_ns)
    attributes = span.get("attributes", {})
    if not isinstance(attributes, dict):
        yield "attributes", "A JSON object."
    elif name in KINDS:
        allowed = ATTRIBUTES[name]
        for key, value in attributes.items():
            if key not in allowed:
                yield "attributes", f"{str(key)[:40]!r} is not an attribute of a {name} span."
            elif not allowed[key](value):
                yield "attributes", f"{key} has a value it cannot have."


def _hex_id(value: object, pattern: re.Pattern) -> bool:
    """A W3C trace or span id: lowercase hex of its length, not all zero (the invalid id)."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None and value.strip("0") != ""


def _time_problems(start, end, now_ns: int):
    if type(start) is not int or abs(start - now_ns) > MAX_CLOCK_SKEW_NS:
        yield "start_ns", "Nanoseconds since the epoch (an integer), within an hour of now."
    elif type(end) is not int or not start <= end <= start + MAX_DURATION_NS:
        yield "end_ns", "Nanoseconds since the epoch (an integer), at or after start_ns, at most 5 minutes later."


def _record(span: dict) -> dict:
    """The row of one checked span (tracing.store.keep writes it)."""
    attributes = span.get("attributes", {})
    return {
        "trace_id": span["trace_id"],
        "span_id": span["span_id"],
        "parent_span_id": span.get("parent_span_id", ""),
        "name": span["name"],
        "kind": KINDS[span["name"]],
        "service": SERVICE,
        "instance": SERVICE,
        "start_ns": span["start_ns"],
        "end_ns": span["end_ns"],
        "order_id": attributes.get("order.id", ""),
        "attributes": attributes,
    }
