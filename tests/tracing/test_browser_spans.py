"""POST /tracing/spans: the page's own spans ("click", "shown") are stored with the others; anything else any client
sends is a 400 with its field errors that stores nothing, never a 500."""

from __future__ import annotations

import json
import secrets
import time

import pytest
from django.test import Client

from tracing import browser, store
from tracing.models import SpanRecord

pytestmark = pytest.mark.django_db
ORDER = "73b40bd7-5c1e-4f6a-9d2b-0e8f1a2b3c4d"


def click(**changed) -> dict:
    now = time.time_ns()
    return {
        "trace_id": secrets.token_hex(16),
        "span_id": secrets.token_hex(8),
        "parent_span_id": "",
        "name": "click",
        "start_ns": now - 30_000_000,
        "end_ns": now,
        "attributes": {"order.id": ORDER, "order.transport": "rest", "order.outcome": "HTTP 201"},
        **changed,
    }


def shown(**changed) -> dict:
    return {
        **click(),
        "parent_span_id": secrets.token_hex(8),
        "name": "shown",
        "attributes": {"order.id": ORDER, "messaging.destination.partition.id": "2", "messaging.kafka.offset": 41},
        **changed,
    }


def post(body, client=None, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return (client or Client()).post("/tracing/spans", data=data, content_type=content_type)


def test_a_good_batch_is_stored_as_browser_spans_of_its_trace_and_order():
    first, second = click(), shown()
    second["trace_id"] = first["trace_id"]
    response = post({"spans": [first, second]})
    assert (response.status_code, response.json()) == (202, {"stored": 2})
    kept = store.trace(first["trace_id"])
    assert [(s.name, s.kind, s.service, s.parent_span_id) for s in kept] == [
        ("click", "INTERNAL", "browser", ""),
        ("shown", "INTERNAL", "browser", second["parent_span_id"]),
    ]
    assert kept[0].start_ns == first["start_ns"] and kept[1].attributes["messaging.kafka.offset"] == 41
    assert store.traces_of_order(ORDER) == [first["trace_id"]]


NOW = time.time_ns()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"spans": [click(trace_id="ABC")]}, "spans[0].trace_id"),
        ({"spans": [click(trace_id="0" * 32)]}, "spans[0].trace_id"),
        ({"spans": [click(span_id="a" * 15)]}, "spans[0].span_id"),
        ({"spans": [click(), click(name="server")]}, "spans[1].name"),
        ({"spans": [click(parent_span_id="a" * 16)]}, "spans[0].parent_span_id"),
        ({"spans": [shown(parent_span_id="")]}, "spans[0].parent_span_id"),
        ({"spans": [click(start_ns=NOW - 2 * 3600 * 10**9, end_ns=NOW)]}, "spans[0].start_ns"),
        ({"spans": [click(start_ns=float(NOW))]}, "spans[0].start_ns"),
        ({"spans": [click(start_ns=NOW, end_ns=NOW - 1)]}, "spans[0].end_ns"),
        ({"spans": [click(start_ns=NOW, end_ns=NOW + 6 * 60 * 10**9)]}, "spans[0].end_ns"),
        ({"spans": [click(attributes={"db.statement": "x"})]}, "spans[0].attributes"),
        ({"spans": [shown(attributes={"messaging.kafka.offset": -1})]}, "spans[0].attributes"),
        ({"spans": [click(attributes=[])]}, "spans[0].attributes"),
        ({"spans": [{**click(), "service": "web"}]}, "spans[0].non_field_errors"),
        ({"spans": ["click"]}, "spans[0].non_field_errors"),
        ({"spans": []}, "spans"),
        ({"spans": [click() for _ in range(browser.MAX_SPANS + 1)]}, "spans"),
        ({"spans": [click()], "more": 1}, "non_field_errors"),
        ([click()], "non_field_errors"),
        (b'{"spans": [', "non_field_errors"),
        (b"[" * 1000 + b"]" * 1000, "detail"),  # refused by the project's own depth guard, before the view
        (b"\xff\xfe", "non_field_errors"),
        (json.dumps({"spans": [click(attributes={"order.outcome": "x" * 70_000})]}).encode(), "non_field_errors"),
    ],
)
def test_each_kind_of_bad_input_is_a_400_naming_its_field_that_stores_nothing(body, field):
    response = post(body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    assert SpanRecord.objects.count() == 0


def test_not_json_is_a_400_and_the_csrf_rules_of_the_page_apply():
    assert post(b"spans", content_type="text/plain").status_code == 400
    refused = post({"spans": [click()]}, client=Client(enforce_csrf_checks=True))
    assert refused.status_code == 403 and refused.json()["detail"].startswith("CSRF Failed")
    assert Client().get("/tracing/spans").status_code == 405
    assert SpanRecord.objects.count() == 0


def test_browser_spans_go_through_the_bounded_store(monkeypatch, settings):
    settings.TRACING_MAX_SPANS = 5
    monkeypatch.setattr(store, "TRIM_EVERY", 10)
    for _ in range(4):
        assert post({"spans": [click() for _ in range(5)]}).status_code == 202
    assert SpanRecord.objects.count() <= 5 + 10
