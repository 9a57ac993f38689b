"""What a search asks for, checked field by field: a client's ``search`` message becomes a ``Criteria`` or a
``CriteriaError`` naming every bad field (the socket then sends one error frame and starts nothing).

Text criteria are matched as bytes: the text is UTF-8 encoded (or read as hex with ``*_format: "hex"``) and looked
for in the record's raw key, header value or value, so a value that is not UTF-8 (or not text at all) is found too.
Matching is case-sensitive. Bounds default to, and may not exceed, the server's ceilings (settings.SEARCH_MAX_*).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
# The most of one text criterion: a needle longer than a record frame's field could never be shown whole.
MAX_NEEDLE_BYTES = 4096
MAX_PARTITIONS = 10_000
# Milliseconds since the epoch that a record timestamp can hold and a browser's Date can show (±8.64e15).
MAX_TIMESTAMP_MS = 8_640_000_000_000_000
FORMATS = ("text", "hex")
KEY_MATCHES = ("exact", "contains")
FIELDS = {
    "action",
    "topic",
    "key",
    "key_match",
    "key_format",
    "header_name",
    "header_value",
    "header_value_format",
    "value",
    "value_format",
    "partitions",
    "from_time",
    "to_time",
    "max_records",
    "max_bytes",
    "max_seconds",
    "max_matches",
}


class CriteriaError(ValueError):
    """Bad criteria: ``field_errors`` maps each bad field to its messages."""

    def __init__(self, field_errors: dict[str, list[str]]):
        super().__init__("the search criteria are not valid")
        self.field_errors = field_errors


@dataclass(frozen=True)
class Bounds:
    max_records: int
    max_bytes: int
    max_seconds: float
    max_matches: int


def ceilings() -> Bounds:
    """The server's ceilings, which are also the bounds of a search that names none."""
    return Bounds(
        max_records=settings.SEARCH_MAX_RECORDS,
        max_bytes=settings.SEARCH_MAX_BYTES,
        max_seconds=settings.SEARCH_MAX_SECONDS,
        max_matches=settings.SEARCH_MAX_MATCHES,
    )


@dataclass(frozen=True)
class Criteria:
    topic: str
    bounds: Bounds
    key: bytes | None = None
    key_exact: bool = False
    header_name: str | None = None
    header_value: bytes | None = None
    value: bytes | None = None
    partitions: tuple[int, ...] | None = None  # None: every partition
    from_time: int | None = None
    to_time: int | None = None
    echo: dict[str, Any] = field(default_factory=dict)  # the criteria as the client sent them, for the started frame

    @property
    def reads_content(self) -> bool:
        """Whether matching looks at a record's key, headers, value or timestamp (not only where it is)."""
        return any(
            item is not None
            for item in (self.key, self.header_name, self.header_value, self.value, self.from_time, self.to_time)
        )

    def matcher(self) -> Callable[[list], list]:
        """records -> the ones that match, in order. Each criterion is one list comprehension over what the ones
        before it let through, so a search pays per record for its first criterion only, and no call per record."""
        stages: list[Callable[[list], list]] = []
        if self.value is not None:
            needle = self.value
            stages.append(lambda records: [r for r in records if r.value is not None and needle in r.value])
        if self.key is not None:
            key = self.key
            if self.key_exact:
                stages.append(lambda records: [r for r in records if r.key == key])
            else:
                stages.append(lambda records: [r for r in records if r.key is not None and key in r.key])
        if self.header_name is not None or self.header_value is not None:
            stages.append(_header_stage(self.header_name, self.header_value))
        if self.from_time is not None or self.to_time is not None:
            low = self.from_time if self.from_time is not None else -(2**63)
            high = self.to_time if self.to_time is not None else 2**63
            stages.append(lambda records: [r for r in records if low <= r.timestamp <= high])

        def matching(records: list) -> list:
            for stage in stages:
                if not records:
                    break
                records = stage(records)
            return records

        return matching


def _header_stage(name: str | None, value: bytes | None) -> Callable[[list], list]:
    def wanted(headers) -> bool:
        return any(
            (name is None or header == name) and (value is None or (raw is not None and value in raw))
            for header, raw in headers
        )

    return lambda records: [r for r in records if r.headers and wanted(r.headers)]


def parse(message: Any) -> Criteria:
    """The criteria of a client's search message; raises CriteriaError naming every bad field."""
    if not isinstance(message, dict):
        raise CriteriaError({"non_field_errors": ["a search is a JSON object"]})
    errors: dict[str, list[str]] = {}
    for unknown in sorted(set(message) - FIELDS):
        errors.setdefault(unknown, []).append("unknown field")

    def fail(name: str, text: str) -> None:
        errors.setdefault(name, []).append(text)

    topic = message.get("topic")
    if not isinstance(topic, str) or not TOPIC_NAME.match(topic):
        fail("topic", "a topic name: 1-249 letters, digits, '.', '_' or '-'")
    key = _needle(message, "key", fail)
    key_match = message.get("key_match", "contains")
    if key_match not in KEY_MATCHES:
        fail("key_match", 'one of "exact", "contains"')
    header_name = message.get("header_name")
    if header_name is not None and (not isinstance(header_name, str) or not header_name or len(header_name) > 1024):
        fail("header_name", "a header name: text of 1-1024 characters")
    header_value = _needle(message, "header_value", fail)
    value = _needle(message, "value", fail)
    partitions = _partitions(message.get("partitions"), fail)
    from_time = _timestamp(message, "from_time", fail)
    to_time = _timestamp(message, "to_time", fail)
    if from_time is not None and to_time is not None and to_time < from_time:
        fail("to_time", "at or after from_time")
    bounds = _bounds(message, fail)
    if errors:
        raise CriteriaError(errors)
    echo = {name: message[name] for name in sorted(FIELDS - {"action"}) if message.get(name) is not None}
    return Criteria(
        topic=topic,
        bounds=bounds,
        key=key,
        key_exact=key_match == "exact",
        header_name=header_name,
        header_value=header_value,
        value=value,
        partitions=partitions,
        from_time=from_time,
        to_time=to_time,
        echo=echo,
    )


def _needle(message: dict, name: str, fail: Callable[[str, str], None]) -> bytes | None:
    """The bytes a text criterion looks for: its text as UTF-8, or its hex digits with ``<name>_format: "hex"``."""
    text, text_format = message.get(name), message.get(f"{name}_format", "text")
    if text_format not in FORMATS:
        fail(f"{name}_format", 'one of "text", "hex"')
        return None
    if text is None:
        return None
    if not isinstance(text, str) or not text:
        fail(name, "text, not empty (leave the field out to match any)")
        return None
    if text_format == "hex":
        try:
            needle = bytes.fromhex(text)
        except ValueError:
            fail(name, "hex digits, two per byte (spaces allowed), e.g. 'c3 28'")
            return None
    else:
        try:
            needle = text.encode()
        except UnicodeEncodeError:
            fail(name, "text that UTF-8 can encode (no lone surrogates)")
            return None
    if not needle or len(needle) > MAX_NEEDLE_BYTES:
        fail(name, f"1-{MAX_NEEDLE_BYTES} bytes")
        return None
    return needle


def _partitions(value: Any, fail: Callable[[str, str], None]) -> tuple[int, ...] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or len(value) > MAX_PARTITIONS
        or not all(type(p) is int and 0 <= p < 2**31 for p in value)
    ):
        fail("partitions", "a list of partition numbers (0 or more), not empty; leave it out for every partition")
        return None
    return tuple(sorted(set(value)))


def _timestamp(message: dict, name: str, fail: Callable[[str, str], None]) -> int | None:
    value = message.get(name)
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_TIMESTAMP_MS:
        fail(name, "milliseconds since the epoch, a whole number from 0")
        return None
    return value


def _bounds(message: dict, fail: Callable[[str, str], None]) -> Bounds:
    ceiling = ceilings()
    chosen = {}
    for name in ("max_records", "max_bytes", "max_seconds", "max_matches"):
        top = getattr(ceiling, name)
        value = message.get(name)
        if value is None:
            chosen[name] = top
            continue
        whole = name != "max_seconds"
        if type(value) is bool or not isinstance(value, int if whole else (int, float)) or not 0 < value <= top:
            fail(name, f"{'a whole number' if whole else 'a number'} above 0, at most {top} (the server's ceiling)")
            chosen[name] = top
        else:
            chosen[name] = value
    return Bounds(**chosen)
