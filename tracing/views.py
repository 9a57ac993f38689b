"""The spans the page draws: one trace, or every trace that touched an order (its waterfall)."""

from __future__ import annotations

import re

from django.http import JsonResponse

from tracing import store
from tracing.models import SpanRecord

TRACE_ID = re.compile(r"[0-9a-f]{32}")


def span_json(span: SpanRecord) -> dict:
    return {
        "trace_id": span.trace_id,
        "span_id": span.span_id,
        "parent_span_id": span.parent_span_id or None,
        "name": span.name,
        "kind": span.kind,
        "service": span.service,
        "instance": span.instance,
        "start_ns": span.start_ns,
        "end_ns": span.end_ns,
        "duration_ms": round((span.end_ns - span.start_ns) / 1e6, 3),
        "status": span.status,
        "order_id": span.order_id or None,
        "attributes": span.attributes,
        "links": span.links,
        "events": span.events,
    }


def trace_detail(request, trace_id: str) -> JsonResponse:
    if not TRACE_ID.fullmatch(trace_id):
        return JsonResponse({"detail": "a trace id is 32 lowercase hex digits"}, status=400)
    spans = store.trace(trace_id)
    if not spans:
        return JsonResponse({"detail": f"no spans of trace {trace_id} are kept"}, status=404)
    return JsonResponse({"trace_id": trace_id, "spans": [span_json(span) for span in spans]})


def order_traces(request, order_id) -> JsonResponse:
    traces = [
        {"trace_id": trace_id, "spans": [span_json(span) for span in store.trace(trace_id)]}
        for trace_id in store.traces_of_order(str(order_id))
    ]
    return JsonResponse({"order_id": str(order_id), "traces": traces})
