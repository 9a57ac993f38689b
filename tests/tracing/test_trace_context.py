"""messaging.trace_context: W3C trace context in Kafka headers; whatever a producer wrote there is input."""

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import set_span_in_context

from messaging import trace_context

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def test_a_records_context_is_read_back_and_replaced_by_the_senders():
    parent = trace_context.span_context_of([("content-type", b"json"), ("traceparent", TRACEPARENT.encode())])
    assert (format(parent.trace_id, "032x"), format(parent.span_id, "016x")) == (
        "0af7651916cd43dd8448eb211c80319c",
        "b7ad6b7169203331",
    )
    span = (
        TracerProvider()
        .get_tracer("t")
        .start_span("send", context=trace_context.extract([("traceparent", TRACEPARENT)]))
    )
    headers = trace_context.with_trace_headers(
        [("traceparent", TRACEPARENT), ("event-type", "x")], set_span_in_context(span)
    )
    assert headers[0] == ("event-type", "x")
    [(name, value)] = headers[1:]
    assert name == "traceparent" and value.startswith("00-0af7651916cd43dd8448eb211c80319c-") and value != TRACEPARENT


def test_headers_that_hold_no_context_give_none():
    for headers in (
        None,
        [],
        [("traceparent", b"00-not-a-context")],
        [("traceparent", b"\xff\xfe")],
        [("traceparent", None)],
        [("traceparent", b"0" * 100_000)],
        [("traceparent", b"00-00000000000000000000000000000000-b7ad6b7169203331-01")],
    ):
        assert trace_context.span_context_of(headers) is None, headers


def test_with_no_current_span_no_header_is_written():
    assert trace_context.current_headers() == []
    assert trace_context.with_trace_headers([("event-type", "x"), ("traceparent", "old")]) == [("event-type", "x")]


def test_a_change_made_untraced_says_so_only_where_the_process_traces(monkeypatch):
    assert trace_context.untraced_headers() == [], "a process that does not trace leaves the record's trace to readers"
    monkeypatch.setattr(trace, "get_tracer_provider", TracerProvider)
    [(name, value)] = trace_context.untraced_headers()
    untraced = trace_context.span_context_of([(name, value)])
    assert name == "traceparent" and value.endswith("-00") and untraced is not None and not untraced.trace_flags.sampled
    assert untraced.trace_id != trace_context.span_context_of(trace_context.untraced_headers()).trace_id
