"""With OTEL_EXPORTER_OTLP_ENDPOINT set, every process also sends its spans over OTLP: a real receiver, Jaeger's
all-in-one (built by `make tools` from tracing/jaeger/go.mod), shows the same trace, span for span, as the
playground's own store."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import grpc
import pytest

from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from localkafka import free_port
from tests.conftest import ARTIFACTS
from tests.support.waiting import poll_until
from tests.tracing.test_order_trace import SERVICES, browser_traceparent, complete_trace, relaying, start_traced_stack

ROOT = Path(__file__).resolve().parents[2]
JAEGER = ROOT / ".tools" / "jaeger"
CONFIG = ROOT / "tracing" / "jaeger" / "config.yaml"


def get_json(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.load(response)
    except (urllib.error.URLError, ConnectionError, ValueError):
        return None


@pytest.fixture(scope="module")
def jaeger():
    """Jaeger on free ports: OTLP/HTTP in, its query API out. Missing is a failure: `make tools` builds it."""
    assert JAEGER.exists(), f"{JAEGER} is missing: `make tools` builds it"
    ports = {name: free_port() for name in ("JAEGER_OTLP_HTTP", "JAEGER_QUERY_HTTP", "JAEGER_QUERY_GRPC")}
    env = {**os.environ, **{name: f"127.0.0.1:{port}" for name, port in ports.items()}}
    env.pop("OTEL_EXPORTER_OTLP_ENDPOINT", None)
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "jaeger.log", "wb") as log:
        process = subprocess.Popen([JAEGER, "--config", CONFIG], env=env, stdout=log, stderr=subprocess.STDOUT)
    query = f"http://127.0.0.1:{ports['JAEGER_QUERY_HTTP']}"
    try:
        assert poll_until(lambda: get_json(f"{query}/api/services") is not None, timeout=60), "Jaeger never answered"
        yield {"otlp": f"http://127.0.0.1:{ports['JAEGER_OTLP_HTTP']}", "query": query}
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_otlp_receiver_shows_the_same_trace(make_stack, kafka_broker, jaeger):
    stack = start_traced_stack(make_stack, kafka_broker, OTEL_EXPORTER_OTLP_ENDPOINT=jaeger["otlp"])
    trace_id, caller_span, traceparent = browser_traceparent()
    with relaying(stack), grpc.insecure_channel(stack.grpc_target) as channel:
        orders_pb2_grpc.OrderServiceStub(channel).Create(
            orders_pb2.OrderMessage(created_by="exported", equipment=[orders_pb2.OrderMessage.MOUSE]),
            metadata=[("traceparent", traceparent)],
            timeout=10,
        )
        stored = complete_trace(stack, trace_id, servers=("grpc",))
    # Jaeger keeps a parent and the links as references, one per span referred to.
    expected = {
        span["span_id"]: (
            span["service"],
            span["name"],
            {span["parent_span_id"], *(link["span_id"] for link in span["links"])} - {""},
        )
        for span in stored
    }

    in_jaeger_url = f"{jaeger['query']}/api/traces/{trace_id}"

    def received():
        body = get_json(in_jaeger_url) or {}
        [found] = body.get("data") or [{}]
        processes = found.get("processes", {})
        spans = {
            span["spanID"]: (
                processes[span["processID"]]["serviceName"],
                span["operationName"],
                {reference["spanID"] for reference in span["references"]},
            )
            for span in found.get("spans", [])
        }
        return spans if set(spans) >= set(expected) else None

    in_jaeger = poll_until(received, timeout=30)
    assert in_jaeger, f"Jaeger holds {get_json(in_jaeger_url)}"
    # The caller's own span was never exported (it is the test's): Jaeger names it as a parent only.
    assert {span_id: in_jaeger[span_id] for span_id in expected} == expected
    assert {service for service, _, _ in in_jaeger.values()} == set(SERVICES)
    [entry] = [span_id for span_id, (_, _, referred) in in_jaeger.items() if referred == {caller_span}]
    assert in_jaeger[entry][:2] == ("grpc", "/OrderService/Create")
