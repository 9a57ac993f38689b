"""The frames of /ws/search/ (docs/protocol.md, "Searching a topic"), as compact JSON text.

A ``match`` carries the record frame the live feed shows (live.frames) as ``record``, packed once; the others are
small. Every frame is a UTF-8 JSON object with a ``type``.
"""

from __future__ import annotations

import json
from typing import Any

from topic_search.criteria import Criteria


def _packed(frame: dict[str, Any]) -> str:
    return json.dumps(frame, separators=(",", ":"), ensure_ascii=False)


def started_frame(criteria: Criteria, ranges: dict[int, tuple[int, int]]) -> str:
    """What the search will read: the criteria as sent, its bounds, and the offsets [from, until) per partition."""
    bounds = criteria.bounds
    return _packed(
        {
            "type": "started",
            "topic": criteria.topic,
            "criteria": criteria.echo,
            "bounds": {
                "max_records": bounds.max_records,
                "max_bytes": bounds.max_bytes,
                "max_seconds": bounds.max_seconds,
                "max_matches": bounds.max_matches,
            },
            "partitions": {str(p): {"from": start, "until": until} for p, (start, until) in ranges.items()},
            "records_in_range": sum(until - start for start, until in ranges.values()),
        }
    )


def match_frame(record: str) -> str:
    """A match: the record's packed frame (live.frames.pack_frame) inside, not parsed again."""
    return f'{{"type":"match","record":{record}}}'


def progress_frame(progress: dict[str, Any]) -> str:
    return _packed({"type": "progress", **progress})


def done_frame(reason: str, progress: dict[str, Any], message: str = "") -> str:
    frame = {"type": "done", "reason": reason, **progress}
    if message:
        frame["message"] = message
    return _packed(frame)


def error_frame(message: str, *, field_errors: dict[str, list[str]] | None = None, code: str | None = None) -> str:
    frame: dict[str, Any] = {"type": "error", "message": message}
    if field_errors:
        frame["field_errors"] = field_errors
    if code:
        frame["code"] = code
    return _packed(frame)
