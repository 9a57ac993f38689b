"""The charts' series as JSON, over the last METRICS_WINDOW_SECONDS: rates and lag from the sampler's rows,
latencies from the kept spans."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from metrics import latency, series

# The latency charts' resolution: one p50 and p99 per this many seconds.
LATENCY_BUCKET_SECONDS = 30
# The latency read costs ~0.1 s over a busy window (bench/metrics_sampler.py): each process answers every open page
# from one read for this long.
LATENCY_CACHE_SECONDS = 2


def _answer(body: dict) -> JsonResponse:
    return JsonResponse(
        {
            "topic": settings.KAFKA_ORDERS_TOPIC,
            "window_s": settings.METRICS_WINDOW_SECONDS,
            "interval_s": settings.METRICS_SAMPLE_SECONDS,
            **body,
        }
    )


@require_GET
def rates(request) -> JsonResponse:
    return _answer(series.partition_rates(settings.KAFKA_ORDERS_TOPIC, timezone.now()))


@require_GET
def lag(request) -> JsonResponse:
    return _answer(series.group_lags(settings.KAFKA_ORDERS_TOPIC, timezone.now()))


@require_GET
def latencies(request) -> JsonResponse:
    topic = settings.KAFKA_ORDERS_TOPIC
    return _answer(cache.get_or_set(f"metrics-latency:{topic}", lambda: _latencies(topic), LATENCY_CACHE_SECONDS))


def _latencies(topic: str) -> dict:
    now_ns = time.time_ns()
    since_ns = now_ns - settings.METRICS_WINDOW_SECONDS * 1_000_000_000

    def distribution(points):
        return latency.distribution(points, since_ns, now_ns, LATENCY_BUCKET_SECONDS)

    return {
        "bucket_s": LATENCY_BUCKET_SECONDS,
        "produce_consume": distribution(latency.produce_consume(topic, since_ns)),
        "click_shown": distribution(latency.click_shown(since_ns)),
    }
