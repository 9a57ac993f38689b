"""The latency distributions from span rows written here as each process writes them (tracing.SpanRecord): the
publisher's send and the worker's delivery, and the browser's click and shown spans (the contract of the page's
own spans: a root `click` whose span id the page's traceparent carries, and `shown` spans in its trace)."""

import secrets
import time

import pytest
from django.core.cache import cache

from metrics import latency
from tracing.models import SpanRecord

pytestmark = pytest.mark.django_db
MS = 1_000_000


def span(trace_id: str, name: str, service: str, kind: str, start_ns: int, end_ns: int, parent: str = "") -> str:
    span_id = secrets.token_hex(8)
    SpanRecord.objects.create(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=name,
        kind=kind,
        service=service,
        instance="1@test",
        start_ns=start_ns,
        end_ns=end_ns,
    )
    return span_id


def record_sent_and_read(start_ns: int, *reads_after_ms: float, topic: str = "orders") -> None:
    """One record: the publisher's send at `start_ns`, then a worker delivery each `reads_after_ms` later."""
    trace_id = secrets.token_hex(16)
    send = span(trace_id, f"publish {topic}", "publisher", "PRODUCER", start_ns, start_ns + 5 * MS)
    for after in reads_after_ms:
        at = start_ns + int(after * MS)
        span(trace_id, f"receive {topic}", "worker", "CONSUMER", at, at, parent=send)


def click_then_shown(click_ns: int, *shown_end_ms: float, service: str = "browser") -> None:
    trace_id = secrets.token_hex(16)
    click = span(trace_id, "click", service, "INTERNAL", click_ns, click_ns + MS)
    for after in shown_end_ms:
        end = click_ns + int(after * MS)
        span(trace_id, "shown", service, "INTERNAL", end - MS, end, parent=click)


def test_produce_to_consume_is_the_first_delivery_after_the_send_started():
    now = time.time_ns()
    record_sent_and_read(now - 60_000 * MS, 12)
    record_sent_and_read(now - 30_000 * MS, 40, 31_000)  # redelivered after a member was killed: the first counts
    record_sent_and_read(now - 10_000 * MS)  # not read yet
    assert [ms for _, ms in latency.produce_consume("orders", now - 900_000 * MS)] == [12.0, 40.0]


def test_produce_to_consume_leaves_out_spans_before_the_window_and_records_with_no_send():
    now = time.time_ns()
    record_sent_and_read(now - 1000_000 * MS, 5)
    trace_id = secrets.token_hex(16)  # a record from the console producer: its delivery has no send
    span(trace_id, "receive orders", "worker", "CONSUMER", now - MS, now)
    assert latency.produce_consume("orders", now - 900_000 * MS) == []


def test_click_to_shown_is_the_last_shown_end_minus_the_click():
    now = time.time_ns()
    click_then_shown(now - 50_000 * MS, 80, 95.5)  # two records drawn for one click (created, then a status)
    click_then_shown(now - 20_000 * MS, 120)
    click_then_shown(now - 10_000 * MS)  # never shown
    click_then_shown(now - 5_000 * MS, 10, service="web")  # not the browser's
    assert [(at, ms) for at, ms in latency.click_shown(now - 900_000 * MS)] == [
        (now - 50_000 * MS, 95.5),
        (now - 20_000 * MS, 120.0),
    ]


def test_a_distribution_has_the_windows_percentiles_and_a_p50_and_p99_per_bucket():
    since, bucket = 0, 30
    points = [(1 * 10**9, float(ms)) for ms in range(1, 101)] + [(95 * 10**9, 500.0)]
    answer = latency.distribution(points, since, 120 * 10**9, bucket)
    assert (answer["count"], answer["p50"], answer["p90"], answer["p99"], answer["max"]) == (101, 51, 91, 100, 500)
    assert answer["t"] == [15, 45, 75, 105]
    assert answer["series"] == {"p50": [50, None, None, 500], "p99": [99, None, None, 500]}


def test_an_empty_window_has_no_figures():
    answer = latency.distribution([], 0, 60 * 10**9, 30)
    assert (answer["count"], answer["p50"], answer["max"]) == (0, None, None)
    assert answer["series"]["p99"] == [None, None]


def test_produce_to_consume_counts_only_the_charts_topic():
    now = time.time_ns()
    record_sent_and_read(now - MS * 1000, 7, topic="orders")
    record_sent_and_read(now - MS * 1000, 9, topic="elsewhere")
    assert [ms for _, ms in latency.produce_consume("elsewhere", now - 900_000 * MS)] == [9.0]


def test_the_latency_endpoint_answers_both_distributions(client, settings):
    settings.KAFKA_ORDERS_TOPIC = "orders"
    cache.clear()
    now = time.time_ns()
    for index in range(10):
        record_sent_and_read(now - (100 + index) * 1000 * MS, 10 + index)
        click_then_shown(now - (200 + index) * 1000 * MS, 100 + 10 * index)
    answer = client.get("/metrics/latency").json()
    produced, clicked = answer["produce_consume"], answer["click_shown"]
    assert (produced["count"], produced["p50"], produced["max"]) == (10, 14.0, 19.0)
    assert (clicked["count"], clicked["p50"], clicked["p99"]) == (10, 140.0, 190.0)
    assert answer["bucket_s"] == 30 and len(produced["t"]) == 900 // 30
    assert sum(1 for value in clicked["series"]["p50"] if value is not None) >= 1
