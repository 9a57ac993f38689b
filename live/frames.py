"""The websocket frame of one Kafka record, whatever its bytes: what the live view shows of it.

Every record gets a frame, and every frame encodes as UTF-8 JSON (``pack_frame``): bytes that decode as UTF-8 are
shown as text, any other bytes as base64 with the reason. Fields (protocol: live.consumers, docs/protocol.md):

- ``key`` / ``key_format``: the key as text ("text"), base64 ("base64", with ``key_reason``) or null ("null");
- ``headers``: ``{name: text or null}`` for every header whose value is text or null (a repeated name keeps its
  last value) — what the dashboard shows; ``headers_raw``, only when ``headers`` is not a faithful copy (a value
  that is not UTF-8, or a repeated name): every header in order, ``{"name", "value", "value_format": "text" |
  "base64" | "null", "reason"?}``. Header *names* are always text: kafka-python cannot read a record whose header
  name is not UTF-8 at all, and such a record gets an ``unreadable`` frame (below);
- ``value`` / ``value_format``: the event dict ("json-event": an order event of this schema whose strings encode
  as UTF-8), the raw text ("text"), base64 ("base64", with ``value_reason``: not UTF-8, or an event whose JSON
  holds ``\\ud800``-style escapes UTF-8 cannot encode), or null ("null", a tombstone);
- ``size``: key + value bytes; ``truncated``: true when a key, value or header value was over FIELD_MAX_BYTES
  and the frame carries only its first FIELD_MAX_BYTES (text cut at a character boundary; never parsed as an
  event); then ``key_size`` / ``value_size`` give the full lengths;
- ``verdict``: "accepted" | "refused" | "invalid", what a reader believes of the record (messaging.judging: the
  order rules applied in log order), with ``verdict_reason`` unless accepted; ``hand_made``: true when the record
  was produced from the page (its ``hand-made`` header). Only an accepted record moves an order on the page.

The shared reader and a replay add, when they apply: ``out_of_order``, why a record is out of its key's sequence
(messaging.ordering: another partition, a lower offset, an event that goes back), and ``relay_span``
(``{"trace_id", "span_id"}``, only on live frames while tracing records): the relay's span of the record, which the
page's "shown" span continues (docs/tracing.md).

A record the client library cannot decode at all gets ``unreadable_frame``: a record frame with
``value_format`` "unreadable", ``error``, and null key and value, so a client's resume offsets pass it too.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from django.conf import settings

from messaging import judging
from orders import events

TIMESTAMP_TYPES = {0: "create", 1: "log_append"}
# Default of settings.RELAY_FRAME_FIELD_MAX_BYTES: the most of one key, value or header value a frame carries.
FIELD_MAX_BYTES = 128 * 1024
NOT_UTF8 = "not UTF-8"
SURROGATES = "an order event whose JSON holds \\u escapes of lone surrogates, which UTF-8 cannot encode"


def field_max_bytes() -> int:
    return getattr(settings, "RELAY_FRAME_FIELD_MAX_BYTES", FIELD_MAX_BYTES)


def record_frame(record, judged: judging.Judged) -> dict[str, Any]:
    """The websocket frame of one Kafka ConsumerRecord and its verdict, whatever its bytes: never raises (see the
    module doc). The value shows as an event when the verdict parsed one and it is within the cap."""
    cap = field_max_bytes()
    frame: dict[str, Any] = {
        "type": "record",
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": record.timestamp,
        "timestamp_type": TIMESTAMP_TYPES.get(record.timestamp_type),
    }
    truncated = False
    key, key_format, key_reason, cut = _shown(record.key, cap)
    truncated |= cut
    frame.update(key=key, key_format=key_format)
    if key_reason:
        frame["key_reason"] = key_reason
    headers, raw, cut = _headers(record.headers or (), cap)
    truncated |= cut
    frame["headers"] = headers
    if raw is not None:
        frame["headers_raw"] = raw
    value, value_format, value_reason, cut = _frame_value(record.value, judged.event, cap)
    truncated |= cut
    frame.update(value=value, value_format=value_format)
    if value_reason:
        frame["value_reason"] = value_reason
    frame["size"] = max(record.serialized_key_size, 0) + max(record.serialized_value_size, 0)
    frame["truncated"] = truncated
    if truncated:
        frame["key_size"] = None if record.key is None else len(record.key)
        frame["value_size"] = None if record.value is None else len(record.value)
    frame.update(verdict_fields(judged))
    return frame


def verdict_fields(judged: judging.Judged) -> dict[str, Any]:
    fields: dict[str, Any] = {"verdict": judged.verdict}
    if not judged.accepted:
        fields["verdict_reason"] = judged.reason
    fields["hand_made"] = judged.hand_made
    return fields


def unreadable_frame(topic: str, partition: int, offset: int, error: str) -> dict[str, Any]:
    """The frame of a record the client library could not decode: which one, and why; the stream passes it."""
    return {
        "type": "record",
        "topic": topic,
        "partition": partition,
        "offset": offset,
        "timestamp": None,
        "timestamp_type": None,
        "key": None,
        "key_format": "null",
        "headers": {},
        "value": None,
        "value_format": "unreadable",
        "error": error,
        "size": None,
        "truncated": False,
        **verdict_fields(judging.unreadable(error)),
    }


def pack_frame(frame: dict[str, Any]) -> str:
    """The frame as compact JSON text that is sure to encode as UTF-8 (a websocket text frame); never raises.

    Should the frame not encode (it cannot, by construction: this is the last guard), its value is replaced by
    a note, so one odd record never closes a socket or stops the relay.
    """
    try:
        text = json.dumps(frame, separators=(",", ":"), ensure_ascii=False)
        text.encode()
        return text
    except (ValueError, TypeError, RecursionError, UnicodeError) as exc:
        safe = unreadable_frame(
            frame.get("topic"),
            frame.get("partition"),
            frame.get("offset"),
            f"the frame could not be encoded: {type(exc).__name__}",
        )
        return json.dumps(safe, separators=(",", ":"), ensure_ascii=True)


def _shown(raw: bytes | None, cap: int) -> tuple[str | None, str, str | None, bool]:
    """(shown, format, reason, truncated) of one byte field: text when UTF-8, else base64; cut at `cap` bytes."""
    if raw is None:
        return None, "null", None, False
    raw = bytes(raw)
    try:
        raw.decode()
    except UnicodeDecodeError:
        cut = raw[:cap]
        return base64.b64encode(cut).decode("ascii"), "base64", NOT_UTF8, len(raw) > cap
    if len(raw) <= cap:
        return raw.decode(), "text", None, False
    # The full value is UTF-8; a cut may split a character, which is left out.
    return raw[:cap].decode(errors="ignore"), "text", None, True


def _headers(headers, cap: int) -> tuple[dict[str, str | None], list[dict[str, Any]] | None, bool]:
    shown: dict[str, str | None] = {}
    raw: list[dict[str, Any]] = []
    faithful, truncated = True, False
    for name, value in headers:
        text, value_format, reason, cut = _shown(value, cap)
        truncated |= cut
        entry: dict[str, Any] = {"name": name, "value": text, "value_format": value_format}
        if reason:
            entry["reason"] = reason
        raw.append(entry)
        if name in shown:
            faithful = False
        if value_format == "base64":
            faithful = False
        else:
            shown[name] = text
    return shown, (None if faithful else raw), truncated


def _frame_value(value: bytes | None, event: events.OrderEvent | None, cap: int) -> tuple[Any, str, str | None, bool]:
    if value is None:
        return None, "null", None, False
    if event is not None and len(value) <= cap:
        shown = event.to_dict()
        try:
            json.dumps(shown, ensure_ascii=False).encode()
        except UnicodeEncodeError:
            return base64.b64encode(value).decode("ascii"), "base64", SURROGATES, False
        return shown, "json-event", None, False
    return _shown(value, cap)
