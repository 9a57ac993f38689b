"""Latency distributions from the kept spans (tracing.SpanRecord), over the charts' window.

- produce -> consume, per record: the worker's first `receive <topic>` span start (a member taking the record) minus
  the start of the `publish <topic>` span it is a child of. The send's start, not its end: the end is the broker's
  acknowledgement, which a member may read the record before (docs/tracing.md), and the send's start is when the
  record left the publisher. A redelivery is left out: it measures a killed member's timeout, not the pipe.
- click -> shown, per trace: the latest end of the browser's `shown` spans minus the start of its root `click` span.

Each read is bounded: the window, and at most MAX_SPANS spans of each kind, the newest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from django.db.models import Max

from tracing.models import SpanRecord

MAX_SPANS = 5_000
BROWSER = "browser"


def produce_consume(topic: str, since_ns: int) -> list[tuple[int, float]]:
    """(the send's start in ns, milliseconds until a member started on the record), one per record of `topic`."""
    newest_sends = (
        SpanRecord.objects.filter(kind="PRODUCER", name=f"publish {topic}", start_ns__gte=since_ns)
        .order_by("-start_ns")
        .values_list("trace_id", "span_id", "start_ns")[:MAX_SPANS]
    )
    sends = {(trace_id, span_id): start for trace_id, span_id, start in newest_sends}
    first_read: dict[tuple[str, str], int] = {}
    for trace_id, parent, start in (
        SpanRecord.objects.filter(kind="CONSUMER", name=f"receive {topic}", start_ns__gte=since_ns)
        .order_by("-start_ns")
        .values_list("trace_id", "parent_span_id", "start_ns")[:MAX_SPANS]
    ):
        key = (trace_id, parent)
        if key in sends:
            first_read[key] = min(start, first_read.get(key, start))
    return sorted((sends[key], (read - sends[key]) / 1e6) for key, read in first_read.items())


def click_shown(since_ns: int) -> list[tuple[int, float]]:
    """(the click's start in ns, milliseconds until the page drew the record), one per click that was shown."""
    clicks = dict(
        SpanRecord.objects.filter(service=BROWSER, name="click", parent_span_id="", start_ns__gte=since_ns)
        .order_by("-start_ns")
        .values_list("trace_id", "start_ns")[:MAX_SPANS]
    )
    shown = (
        SpanRecord.objects.filter(service=BROWSER, name="shown", trace_id__in=list(clicks))
        .values("trace_id")
        .annotate(last=Max("end_ns"))
        .values_list("trace_id", "last")
    )
    return sorted(
        (clicks[trace_id], (last - clicks[trace_id]) / 1e6) for trace_id, last in shown if last >= clicks[trace_id]
    )


def percentile(ordered: list[float], fraction: float) -> float | None:
    """The nearest-rank percentile of an ascending list (None for none)."""
    if not ordered:
        return None
    return ordered[max(math.ceil(fraction * len(ordered)) - 1, 0)]


def distribution(points: Iterable[tuple[int, float]], since_ns: int, now_ns: int, bucket_seconds: int) -> dict:
    """The window's count and percentiles, and p50 and p99 per bucket of time (null where a bucket has none), each
    at its bucket's middle."""
    points = list(points)
    every = sorted(ms for _, ms in points)
    bucket_ns = bucket_seconds * 1_000_000_000
    buckets: list[list[float]] = [[] for _ in range(max(math.ceil((now_ns - since_ns) / bucket_ns), 1))]
    for at, ms in points:
        buckets[min(max((at - since_ns) // bucket_ns, 0), len(buckets) - 1)].append(ms)
    for bucket in buckets:
        bucket.sort()

    def rounded(value):
        return None if value is None else round(value, 3)

    return {
        "count": len(every),
        "p50": rounded(percentile(every, 0.50)),
        "p90": rounded(percentile(every, 0.90)),
        "p99": rounded(percentile(every, 0.99)),
        "max": rounded(every[-1] if every else None),
        "t": [round((since_ns + (i + 0.5) * bucket_ns) / 1e9, 3) for i in range(len(buckets))],
        "series": {
            "p50": [rounded(percentile(bucket, 0.50)) for bucket in buckets],
            "p99": [rounded(percentile(bucket, 0.99)) for bucket in buckets],
        },
    }
