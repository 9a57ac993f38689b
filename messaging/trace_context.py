"""W3C trace context in Kafka record headers (`traceparent`, `tracestate`), as OpenTelemetry's propagator writes
and reads it. A record produced with no context (the console producer, a record from the page) has none, and its
reader starts a trace of its own; a malformed `traceparent` counts as none.
"""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

TRACE_HEADERS = ("traceparent", "tracestate")
# A traceparent is 55 characters; a tracestate at most 32 entries of 256: anything larger is no trace context.
MAX_HEADER_BYTES = 8192


def extract(headers: Iterable[tuple[str, bytes | str | None]] | None) -> otel_context.Context:
    """The context a record's headers carry (an empty one when they carry none)."""
    carrier = {}
    for name, value in headers or ():
        if name in TRACE_HEADERS and value is not None and len(value) <= MAX_HEADER_BYTES:
            try:
                carrier[name] = value.decode() if isinstance(value, bytes) else value
            except UnicodeDecodeError:
                continue
    return propagate.extract(carrier)


def current_headers(context: otel_context.Context | None = None) -> list[tuple[str, str]]:
    """The trace headers of `context` (the current one by default), for a record about to be written."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier, context=context)
    return [(name, carrier[name]) for name in TRACE_HEADERS if name in carrier]


def untraced_headers() -> list[tuple[str, str]]:
    """The headers of a change made with no span while this process traces: its trace was decided against before a
    span was made (tracing.sampling leaves such a gRPC call out of the interceptor), so they name a trace that is
    not sampled, and the publisher and the readers, which follow the decision, trace none of it. None when the
    process does not trace: the publisher then starts the record's trace."""
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        return []
    ids = RandomIdGenerator()
    untraced = trace.SpanContext(ids.generate_trace_id(), ids.generate_span_id(), is_remote=False)
    return current_headers(trace.set_span_in_context(trace.NonRecordingSpan(untraced)))


def with_trace_headers(headers: Iterable[tuple[str, bytes | str]], context=None) -> list[tuple[str, bytes | str]]:
    """`headers` without any trace header of theirs, then those of `context` (the current one by default)."""
    kept = [(name, value) for name, value in headers if name not in TRACE_HEADERS]
    return kept + current_headers(context)


def span_context_of(headers) -> trace.SpanContext | None:
    """The span a record's headers name, for a link; None when they name none."""
    span_context = trace.get_current_span(extract(headers)).get_span_context()
    return span_context if span_context.is_valid else None


def export_now(timeout_ms: int = 500) -> None:
    """Export the spans this process has queued, now rather than at the next batch: for a span that must outlive a
    crash a moment later (a member killed mid-order). Nothing when the process does not trace."""
    flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if flush is not None:
        flush(timeout_ms)
