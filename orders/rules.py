"""The order rules, written once: limits, choices, status transitions, page sizes, and their messages.

The model, the services, REST and gRPC all read them from here, so one input gets one verdict and one message per
field whichever transport carried it. Each check returns the broken rules per field; services raise InvalidOrder.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime


class Status(models.TextChoices):
    """An order's lifecycle; the allowed moves are TRANSITIONS below."""

    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class Equipment(models.TextChoices):
    KEYBOARD = "KEYBOARD"
    MOUSE = "MOUSE"
    WEBCAM = "WEBCAM"
    MONITOR = "MONITOR"


# Membership tests on every order: Django's `.values` builds a new list at each access (~5 us, once per item).
STATUS_VALUES = frozenset(Status.values)
EQUIPMENT_VALUES = frozenset(Equipment.values)

MAX_CREATED_BY_LENGTH = 150
# Whitespace as str.isspace() sees it, spelled out so the OpenAPI schema can state the same rule (JSON Schema
# regexes are ECMA's, whose \s is another set).
WHITESPACE = "\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# created_by: no NUL anywhere and at least one character that is not whitespace.
CREATED_BY_PATTERN = f"^[^\\x00]*[^\\x00{WHITESPACE}][^\\x00]*$"
MAX_EQUIPMENT_ITEMS = 20
# Version 2 of the order: an optional note for the courier ("leave at reception"); "" means none.
MAX_DELIVERY_NOTE_LENGTH = 120
# Lists are paged: a page holds DEFAULT_PAGE_SIZE orders unless the caller asks for 1 to MAX_PAGE_SIZE.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# The course's unpaged gRPC `Get` returns at most this many of the newest orders.
MAX_UNPAGED_ORDERS = 1000

# Which status may follow which; CANCELLED, COMPLETED and FAILED are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.QUEUED: frozenset({Status.PROCESSING, Status.CANCELLED}),
    Status.PROCESSING: frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED}),
    Status.COMPLETED: frozenset(),
    Status.FAILED: frozenset(),
    Status.CANCELLED: frozenset(),
}

Errors = dict[str, list[str]]
# Messages quote at most this many characters of a client's value.
ECHO_LIMIT = 40


def shown(value: object, limit: int = ECHO_LIMIT) -> str:
    """A client's value as a message quotes it: cut to `limit` characters, so no answer echoes unbounded input."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def is_member(value: object, names: frozenset[str]) -> bool:
    """`value in names` for any value a client may send, unhashable ones (a JSON list or object) included."""
    return isinstance(value, str) and value in names


def can_become(current: str, wanted: str) -> bool:
    return wanted in TRANSITIONS.get(current, frozenset())


def is_final(status: str) -> bool:
    """No rule moves an order on from here (COMPLETED, FAILED, CANCELLED)."""
    return not TRANSITIONS.get(status)


def created_by_errors(created_by: object) -> list[str]:
    if not isinstance(created_by, str) or not created_by.strip():
        return ["This field may not be blank."]
    return text_errors(created_by, MAX_CREATED_BY_LENGTH)


def text_errors(text: str, max_length: int) -> list[str]:
    """What every text field of an order must be: bounded, no NUL, encodable (a database, UTF-8 and protobuf)."""
    if len(text) > max_length:
        return [f"Ensure this field has no more than {max_length} characters."]
    if "\x00" in text:
        return ["Null characters are not allowed."]
    if not is_unicode_text(text):
        return ["Must be Unicode text; lone surrogates such as \\ud800 cannot be stored or sent."]
    return []


def is_unicode_text(text: str) -> bool:
    """JSON accepts "\\ud800" escapes that UTF-8 cannot encode: such text would fail later (in an event, a
    protobuf string, a Kafka header)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def equipment_errors(equipment: object) -> list[str]:
    if not isinstance(equipment, (list, tuple)) or not equipment:
        return ["At least one equipment item is required."]
    if len(equipment) > MAX_EQUIPMENT_ITEMS:
        return [f"Ensure this field has no more than {MAX_EQUIPMENT_ITEMS} items."]
    unknown = sorted({str(item) for item in equipment if not is_member(item, EQUIPMENT_VALUES)}, key=str)
    if unknown:
        return [
            f"Unknown equipment {', '.join(map(shown, unknown[:5]))}{'…' if len(unknown) > 5 else ''}; "
            f"use {', '.join(Equipment.values)}."
        ]
    return []


def delivery_note_errors(delivery_note: object) -> list[str]:
    """Optional: "" is no note. Otherwise short text that every transport and the event can carry."""
    if not isinstance(delivery_note, str):
        return ["Must be text."]
    return text_errors(delivery_note, MAX_DELIVERY_NOTE_LENGTH)


def status_errors(status: object) -> list[str]:
    if not is_member(status, STATUS_VALUES):
        return [f"Unknown status {shown(status) if status else '(empty)'}; use {', '.join(Status.values)}."]
    return []


def created_at_errors(created_at: object) -> list[str]:
    try:
        parse_created_at(created_at)
    except ValueError as exc:
        return [str(exc)]
    return []


def order_errors(
    *, created_by: object, equipment: object, status: object, created_at: object, delivery_note: object = ""
) -> Errors:
    """Every broken rule of a new order, per field (empty when it is valid)."""
    errors = {
        "created_by": created_by_errors(created_by),
        "status": status_errors(status),
        "created_at": created_at_errors(created_at),
        "equipment": equipment_errors(equipment),
        "delivery_note": delivery_note_errors(delivery_note),
    }
    return {field: messages for field, messages in errors.items() if messages}


def parse_created_at(value: object) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text or a datetime (naive is UTC); None for an empty value.

    Raises ValueError with the field's message for anything else.
    """
    if value is None or value == "":
        return None
    try:
        parsed = value if isinstance(value, datetime) else parse_datetime(value.strip())
        if parsed is not None:
            if timezone.is_naive(parsed):
                parsed = parsed.replace(tzinfo=UTC)
            # Years 1 and 9999 with an offset overflow here, not later when the event is written.
            return parsed.astimezone(UTC)
    except (ValueError, OverflowError, AttributeError):
        pass
    raise ValueError(f"{shown(repr(value))} is not an ISO 8601 date and time, e.g. 2026-01-31T12:00:00Z.")


def page_size_errors(page_size: int | None) -> list[str]:
    """None means "not given" (gRPC's 0, REST's missing parameter): a page of DEFAULT_PAGE_SIZE."""
    if page_size is not None and not 1 <= page_size <= MAX_PAGE_SIZE:
        return [f"Use 1 to {MAX_PAGE_SIZE}; leave it out for {DEFAULT_PAGE_SIZE}."]
    return []
