"""Tracing for one process: OpenTelemetry's SDK with its spans kept in the shared database (tracing.store), also
sent over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and the ecosystem's instrumentations switched on: ASGI
(every HTTP request and its `traceparent`, wrapped around the web application by `asgi`) and gRPC (server and client,
`traceparent` in the metadata).

Why ASGI's and not Django's middleware: Django's is sync-only, so under daphne each request hopped from the event
loop to a thread for it and back to the loop for the async middlewares below it, then to a thread again for the
view: +2.7 ms of the web process's CPU per REST create (bench/tracing_cost.py). ASGI's runs on the loop.

The playground's own hops (the outbox, the publisher, the worker, the relay) use only OpenTelemetry's API, which
does nothing until a provider is set here: code that runs untraced pays almost nothing.
"""

from __future__ import annotations

import os
import re
import socket

from django.conf import settings
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from tracing.sampling import NewTracesPerSecond, calls_to_trace, sampler_for
from tracing.store import DatabaseSpanExporter

# The SDK's batch queue: spans past it are dropped (the SDK counts them), so a burst never grows memory.
MAX_QUEUED_SPANS = 8192
EXPORT_BATCH = 512
EXPORT_DELAY_MS = 1000

_provider: TracerProvider | None = None
# A regex route's named group, `(?P<pk>[^/.]+)`, is named as a path converter's is: `<pk>`.
NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)")


def start_from_environment() -> None:
    """Start tracing when this process names itself (OTEL_SERVICE_NAME) and TRACING is on."""
    name = os.environ.get("OTEL_SERVICE_NAME", "")
    if name and settings.TRACING:
        start(name)


def start(service: str) -> TracerProvider:
    """Set the process's provider (once: the global provider cannot be replaced) and the instrumentations."""
    global _provider  # noqa: PLW0603 - one provider per process, as OpenTelemetry's global is
    if _provider is not None:
        return _provider
    resource = Resource.create(
        {"service.name": service, "service.instance.id": f"{os.getpid()}@{socket.gethostname()}"}
    )
    new_traces = NewTracesPerSecond(settings.TRACING_NEW_TRACES_PER_SECOND)
    sampler = sampler_for(new_traces)
    provider = TracerProvider(resource=resource, sampler=sampler)
    provider.add_span_processor(_batch(DatabaseSpanExporter()))
    if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(_batch(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    _instrument(calls_to_trace(new_traces) if sampler is not None else None)
    _provider = provider
    return provider


def flush(timeout_ms: int = 5000) -> bool:
    """Export what is queued now (a test, or a process about to stop)."""
    return _provider.force_flush(timeout_ms) if _provider is not None else True


def _batch(exporter) -> BatchSpanProcessor:
    return BatchSpanProcessor(
        exporter,
        max_queue_size=MAX_QUEUED_SPANS,
        max_export_batch_size=EXPORT_BATCH,
        schedule_delay_millis=EXPORT_DELAY_MS,
    )


def asgi(application):
    """The HTTP application, traced when this process traces: a server span per request, its parent the caller's
    `traceparent`. The page's own polls and the static files are left out: they would drown the orders' traces."""
    if _provider is None:
        return application
    from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware

    return OpenTelemetryMiddleware(
        application,
        excluded_urls=settings.TRACING_EXCLUDED_URLS,
        default_span_details=span_details,
        # One span per request, not one more per ASGI message of its body and answer.
        exclude_spans=["receive", "send"],
    )


def span_details(scope: dict) -> tuple[str, dict]:
    """`POST /api/orders/computers/<pk>`: the request's method and Django route, so that every order's request has
    the same name (its path is in the attributes). A router's regex route loses its anchors."""
    from django.urls import Resolver404, resolve

    method, path = scope.get("method", "HTTP"), scope.get("path", "")
    try:
        route = "/" + (resolve(path).route or path).lstrip("^/").rstrip("$")
    except Resolver404:
        route = path
    route = NAMED_GROUP.sub(r"<\1>", route)
    return f"{method} {route}", {"http.route": route}


def _instrument(grpc_calls_to_trace) -> None:
    from opentelemetry.instrumentation.grpc import GrpcInstrumentorClient, GrpcInstrumentorServer

    GrpcInstrumentorServer(filter_=grpc_calls_to_trace).instrument()
    GrpcInstrumentorClient().instrument()
