"""Finished spans into the shared database (SpanRecord), and the traces read back for the page.

The exporter runs on the SDK's batch thread, so a slow or locked database delays spans, never a request; a batch
it cannot write is dropped (and counted in the log), never retried into an ever-growing queue. Bounded: after a
write, rows older than the newest TRACING_MAX_SPANS are deleted, oldest first.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import format_span_id, format_trace_id

from tracing.models import SpanRecord

logger = logging.getLogger(__name__)

ORDER_ATTRIBUTE = "order.id"
# What one span may keep: attribute values and event texts are clipped, and at most this many links and events.
MAX_TEXT = 500
MAX_LINKS = 16
MAX_EVENTS = 16
# Trimming past the bound costs a query: done once per this many exported spans.
TRIM_EVERY = 500


# The columns one INSERT writes, in its order; the JSON ones are adapted by the database's backend as it is written.
COLUMNS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "service",
    "instance",
    "start_ns",
    "end_ns",
    "status",
    "order_id",
    "attributes",
    "links",
    "events",
)
JSON_COLUMNS = frozenset({"attributes", "links", "events"})


def to_row(span: ReadableSpan) -> dict:
    """A finished span as the values of its row (tracing.models.SpanRecord's fields), clipped to their bounds."""
    context, resource = span.get_span_context(), span.resource.attributes
    attributes = {name: _plain(value) for name, value in (span.attributes or {}).items()}
    return {
        "trace_id": format_trace_id(context.trace_id),
        "span_id": format_span_id(context.span_id),
        "parent_span_id": format_span_id(span.parent.span_id) if span.parent else "",
        "name": span.name[:200],
        "kind": span.kind.name,
        "service": str(resource.get("service.name", ""))[:64],
        "instance": str(resource.get("service.instance.id", ""))[:128],
        "start_ns": span.start_time or 0,
        "end_ns": span.end_time or span.start_time or 0,
        "status": span.status.status_code.name,
        "order_id": str(attributes.get(ORDER_ATTRIBUTE, ""))[:36],
        "attributes": attributes,
        "links": [
            {
                "trace_id": format_trace_id(link.context.trace_id),
                "span_id": format_span_id(link.context.span_id),
                "attributes": {name: _plain(value) for name, value in (link.attributes or {}).items()},
            }
            for link in list(span.links)[:MAX_LINKS]
        ],
        "events": [
            {"name": event.name[:200], "time_ns": event.timestamp, "attributes": _plain_all(event.attributes)}
            for event in list(span.events)[:MAX_EVENTS]
        ],
    }


def _plain(value):
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, tuple | list):
        return [_plain(each) for each in value[:MAX_LINKS]]
    return value


def _plain_all(attributes) -> dict:
    return {name: _plain(value) for name, value in (attributes or {}).items()}


class DatabaseSpanExporter(SpanExporter):
    """Writes each batch in one INSERT; keeps the table to the newest `max_spans` rows."""

    def __init__(self, max_spans: int | None = None):
        self.max_spans = max_spans or settings.TRACING_MAX_SPANS
        self._trims = TrimCounter()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        close_old_connections()
        try:
            keep([to_row(span) for span in spans], self.max_spans, self._trims)
        except DatabaseError as exc:
            logger.warning("dropped %d spans: the database refused them (%s)", len(spans), exc)
            return SpanExportResult.FAILURE
        finally:
            close_old_connections()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        close_old_connections()


class TrimCounter:
    """Counts the spans written since the last trim, across threads: trimming costs a query, done every TRIM_EVERY."""

    def __init__(self):
        self._lock = threading.Lock()
        self._since = 0

    def due(self, written: int) -> bool:
        with self._lock:
            self._since += written
            if self._since < TRIM_EVERY:
                return False
            self._since = 0
            return True


# The spans the page sends (tracing.browser) are counted here, all requests of the process together.
browser_trims = TrimCounter()


def keep(rows: list[dict], max_spans: int, trims: TrimCounter) -> None:
    """Write `rows` (each SpanRecord's fields by name, as `to_row` gives them) in one INSERT, then trim the table to
    the newest `max_spans` when `trims` says it is due: the one way spans go into the table, from the SDK's exporter
    and from the page alike."""
    insert(rows)
    if trims.due(len(rows)):
        trim(max_spans)


def insert(rows: list[dict]) -> None:
    """One executemany, not the ORM's bulk_create: building a model and compiling its insert cost ~135 us a span, the
    exporter's thread held the GIL for ~40 ms a second at 300 gRPC Creates/s, and each call waited behind it."""
    if not rows:
        return
    adapt_json, defaults = connection.ops.adapt_json_value, _defaults()
    values = [
        [
            adapt_json(row.get(name, defaults[name]), None) if name in JSON_COLUMNS else row.get(name, defaults[name])
            for name in COLUMNS
        ]
        for row in rows
    ]
    # One transaction: in autocommit each row of an executemany would be a commit of its own.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(_insert_sql(), values)


@functools.cache
def _defaults() -> dict:
    """What a row leaves out is written as the model's default (a page's span has no status: "UNSET")."""
    return {name: SpanRecord._meta.get_field(name).get_default() for name in COLUMNS}


def _insert_sql() -> str:
    quote, meta = connection.ops.quote_name, SpanRecord._meta
    columns = ", ".join(quote(meta.get_field(name).column) for name in COLUMNS)
    return f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"


def trim(max_spans: int) -> int:
    """Delete all but the newest `max_spans` spans; return how many went."""
    newest = SpanRecord.objects.order_by("-id").values_list("id", flat=True)[max_spans : max_spans + 1]
    cut = next(iter(newest), None)
    if cut is None:
        return 0
    deleted, _ = SpanRecord.objects.filter(id__lte=cut).delete()
    return deleted


def trace(trace_id: str) -> list[SpanRecord]:
    return list(SpanRecord.objects.filter(trace_id=trace_id).order_by("start_ns", "id"))


def traces_of_order(order_id: str, limit: int = 20) -> list[str]:
    """The traces that touched an order, newest first: its creation's, and any a forged or hand-made record of it
    started."""
    ids = SpanRecord.objects.filter(order_id=order_id).order_by("-start_ns").values_list("trace_id", flat=True)
    return list(dict.fromkeys(ids[: limit * 50]))[:limit]
