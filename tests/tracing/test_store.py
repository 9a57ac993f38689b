"""tracing.store: spans from the SDK into the shared table, bounded, and read back by trace and by order."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.trace import Link, SpanKind

from tracing import store
from tracing.models import SpanRecord

pytestmark = pytest.mark.django_db(transaction=True)
ORDER = "73b40bd7-5c1e-4f6a-9d2b-0e8f1a2b3c4d"


def tracer_into(exporter):
    """A provider of the test's own (the global one is set once per process, and not in tests)."""
    provider = TracerProvider(resource=Resource.create({"service.name": "worker", "service.instance.id": "7@here"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("test")


def test_a_trace_is_kept_with_its_parents_links_and_order():
    tracer = tracer_into(store.DatabaseSpanExporter(max_spans=100))
    with tracer.start_as_current_span("publish orders", kind=SpanKind.PRODUCER, attributes={"order.id": ORDER}) as sent:
        pass
    link = Link(sent.get_span_context(), {"messaging.kafka.offset": 7})
    with tracer.start_as_current_span("process orders", context=None, links=[link]) as processed:
        processed.set_attribute("text", "x" * 10_000)

    trace_id = format(sent.get_span_context().trace_id, "032x")
    [kept] = store.trace(trace_id)
    assert (kept.name, kept.kind, kept.service, kept.instance, kept.order_id) == (
        "publish orders",
        "PRODUCER",
        "worker",
        "7@here",
        ORDER,
    )
    assert kept.end_ns >= kept.start_ns > 0 and kept.parent_span_id == ""
    [other] = SpanRecord.objects.exclude(trace_id=trace_id)
    assert other.links == [{"trace_id": trace_id, "span_id": kept.span_id, "attributes": {"messaging.kafka.offset": 7}}]
    assert len(other.attributes["text"]) == store.MAX_TEXT, "an attribute is clipped"
    assert store.traces_of_order(ORDER) == [trace_id]


def test_the_table_keeps_only_the_newest_spans():
    exporter = store.DatabaseSpanExporter(max_spans=50)
    tracer = tracer_into(exporter)
    for n in range(store.TRIM_EVERY + 10):
        tracer.start_span(f"span {n}").end()
    names = list(SpanRecord.objects.order_by("id").values_list("name", flat=True))
    assert len(names) <= 50 + store.TRIM_EVERY and names[-1] == f"span {store.TRIM_EVERY + 9}"
    assert store.trim(50) > 0
    assert list(SpanRecord.objects.order_by("id").values_list("name", flat=True)) == names[-50:]


def test_a_batch_the_database_refuses_is_dropped_not_raised(monkeypatch):
    from django.db import DatabaseError

    def refuse(*args, **kwargs):
        raise DatabaseError("database is locked")

    monkeypatch.setattr(store, "_insert_sql", refuse)
    span = TracerProvider().get_tracer("t").start_span("lost")
    span.end()
    assert store.DatabaseSpanExporter(max_spans=10).export([span]) == SpanExportResult.FAILURE
    assert SpanRecord.objects.count() == 0
