"""A records page's query string: which partitions, from where, how many; and the cursors pages hand on.

`partition`, `offset` (with `partition`), `before` / `after` (a cursor "partition:offset,…", from a page's `older` /
`newer`) and `limit`; every problem is a field error (InvalidInput), before Kafka is asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from orders.exceptions import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 2**63 - 1
CURSOR = re.compile(r"\d{1,9}:\d{1,19}(,\d{1,9}:\d{1,19}){0,9999}")
QUERY_FIELDS = {"limit", "partition", "offset", "before", "after"}


@dataclass(frozen=True)
class Query:
    """Which partitions (None: all), the direction from `bounds` (None: the newest), and how many records."""

    partitions: tuple[int, ...] | None = None
    direction: str = "older"  # "older": below the bounds (the log ends by default); "newer": from them on
    bounds: dict[int, int] | None = None
    limit: int = DEFAULT_LIMIT


def parse_query(params) -> Query:
    """The query string's page; InvalidInput with every field's problem."""
    errors: dict[str, list[str]] = {name: ["Unknown parameter."] for name in sorted(set(params) - QUERY_FIELDS)}
    limit = _number(params.get("limit"), DEFAULT_LIMIT, 1, MAX_LIMIT, "limit", errors)
    partition = _number(params.get("partition"), None, 0, 10**9 - 1, "partition", errors)
    offset = _number(params.get("offset"), None, 0, MAX_OFFSET, "offset", errors)
    given = [name for name in ("offset", "before", "after") if params.get(name) not in (None, "")]
    if len(given) > 1:
        errors["non_field_errors"] = [f"Give one of offset, before and after, not {' and '.join(given)}."]
    if offset is not None and partition is None:
        errors["offset"] = ["An offset needs its partition."]
    cursors = {name: _cursor(params.get(name), name, errors) for name in ("before", "after")}
    if errors:
        raise InvalidInput(errors)
    partitions = (partition,) if partition is not None else None
    if offset is not None:
        return Query(partitions, "newer", {partition: offset}, limit)
    for name, direction in (("before", "older"), ("after", "newer")):
        if cursors[name] is not None:
            bounds = cursors[name]
            if partition is not None:
                bounds = {p: o for p, o in bounds.items() if p == partition}
            return Query(partitions or tuple(sorted(bounds)), direction, bounds, limit)
    return Query(partitions, "older", None, limit)


def _number(text, default, low: int, high: int, name: str, errors: dict):
    if text in (None, ""):
        return default
    if not (isinstance(text, str) and text.isascii() and text.isdigit() and low <= int(text) <= high):
        errors[name] = [f"Use a whole number from {low} to {high}."]
        return default
    return int(text)


def _cursor(text, name: str, errors: dict) -> dict[int, int] | None:
    if text in (None, ""):
        return None
    if not isinstance(text, str) or not CURSOR.fullmatch(text):
        errors[name] = ['Use "partition:offset" pairs separated by commas, e.g. 0:12,1:7.']
        return None
    return {int(p): int(o) for p, o in (pair.split(":") for pair in text.split(","))}


def format_cursor(bounds: dict[int, int]) -> str:
    return ",".join(f"{p}:{o}" for p, o in sorted(bounds.items()))
