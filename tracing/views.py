"""The spans the page draws: one trace, or every trace that touched an order (its waterfall); and the page's own
spans, which it sends here."""

from __future__ import annotations

import json
import logging
import re

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from playground.library_internals import CsrfCheck
from tracing import browser, store
from tracing.models import SpanRecord

logger = logging.getLogger(__name__)
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
    # The page says why an order may have none: not exported yet, or not kept by the sampler (tracing/sampling.py).
    return JsonResponse(
        {"order_id": str(order_id), "traces": traces, "new_traces_per_second": settings.TRACING_NEW_TRACES_PER_SECOND}
    )


class _JsonCsrfCheck(CsrfCheck):
    """Django's CSRF check (the page's X-CSRFToken, as every write of api.js sends it), refusing in JSON."""

    def process_view(self, request, callback, callback_args, callback_kwargs):
        reason = super().process_view(request, callback, callback_args, callback_kwargs)
        if reason is None:
            return None
        return JsonResponse({"detail": f"CSRF Failed: {reason.rstrip('.')}."}, status=403)


@csrf_exempt
@require_POST
@decorator_from_middleware(_JsonCsrfCheck)
def browser_spans(request) -> JsonResponse:
    """POST {"spans": [...]}: the page's own spans (tracing.browser), stored with the others; 400 with the field
    errors for anything else, storing nothing."""
    if request.content_type != "application/json":
        return JsonResponse({"non_field_errors": ["Send application/json."]}, status=400)
    too_big = {"non_field_errors": [f"The body is over {browser.MAX_BODY_BYTES} bytes."]}
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > browser.MAX_BODY_BYTES:
            return JsonResponse(too_big, status=400)
    except ValueError:
        return JsonResponse({"non_field_errors": ["A bad Content-Length."]}, status=400)
    body = request.read(browser.MAX_BODY_BYTES + 1)
    if len(body) > browser.MAX_BODY_BYTES:
        return JsonResponse(too_big, status=400)
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; RecursionError is deeply nested JSON.
        return JsonResponse({"non_field_errors": ["Malformed JSON."]}, status=400)
    try:
        records = browser.records(payload)
    except browser.Refused as refused:
        return JsonResponse(refused.errors, status=400)
    try:
        store.keep(records, settings.TRACING_MAX_SPANS, store.browser_trims)
    except DatabaseError:
        logger.exception("the page's spans could not be stored")
        return JsonResponse({"detail": "The spans could not be stored now; they are dropped."}, status=503)
    return JsonResponse({"stored": len(records)}, status=202)
