"""What the charts cost: one sample of `manage.py sample_metrics` (the groups panel's admin reads, then the rows
written and the window trimmed) against the admin reads alone; and the reads behind /metrics/ over a full window.

    .venv/bin/python -m bench.metrics_sampler [--rounds 50] [--spans 20000]

On a throwaway broker: a 3-partition topic, two groups with commits, and a window already full (450 samples, 15
minutes every 2 s), so each sample also deletes the oldest one. The latency read runs over `spans` publish/process
pairs in the window (and as many browser click/shown pairs).
"""

from __future__ import annotations

import argparse
import secrets
import time
from datetime import timedelta

from bench.broker import throwaway_broker
from bench.in_process import setup_django
from bench.report import Figure, print_table

TOPIC = "bench-charts"
PARTITIONS = 3
WINDOW_SAMPLES = 450


def prepare(bootstrap: str, spans: int) -> None:
    from django.utils import timezone
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    from harness.topics import create_topic
    from metrics import sampler
    from tracing.models import SpanRecord

    create_topic(bootstrap, TOPIC, partitions=PARTITIONS)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    for index in range(3000):
        producer.send(TOPIC, value=b"v" * 100, partition=index % PARTITIONS)
    producer.flush()
    producer.close()
    for group in ("fulfilment", "audit"):
        consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
        consumer.commit({TopicPartition(TOPIC, p): OffsetAndMetadata(500, "", -1) for p in range(PARTITIONS)})
        consumer.close()
    now = timezone.now()
    snapshot = {
        "topic": TOPIC,
        "partitions": [{"partition": p, "log_end": 1000} for p in range(PARTITIONS)],
        "groups": [{"group_id": "fulfilment", "lag": 5}, {"group_id": "audit", "lag": 9}],
    }
    for index in range(WINDOW_SAMPLES):
        sampler.record(snapshot, now - timedelta(seconds=2 * (WINDOW_SAMPLES - index)))
    start = time.time_ns() - 800 * 10**9
    rows = []
    for index in range(spans):
        at = start + index * (800 * 10**9 // spans)
        trace, send, click = secrets.token_hex(16), secrets.token_hex(8), secrets.token_hex(8)
        rows += [
            SpanRecord(
                trace_id=trace,
                span_id=send,
                name=f"publish {TOPIC}",
                kind="PRODUCER",
                service="publisher",
                start_ns=at,
                end_ns=at + 10**6,
            ),
            SpanRecord(
                trace_id=trace,
                span_id=secrets.token_hex(8),
                parent_span_id=send,
                name=f"process {TOPIC}",
                kind="CONSUMER",
                service="worker",
                start_ns=at + 3 * 10**6,
                end_ns=at + 9 * 10**6,
            ),
            SpanRecord(
                trace_id=trace,
                span_id=click,
                name="click",
                kind="INTERNAL",
                service="browser",
                start_ns=at,
                end_ns=at + 10**6,
            ),
            SpanRecord(
                trace_id=trace,
                span_id=secrets.token_hex(8),
                parent_span_id=click,
                name="shown",
                kind="INTERNAL",
                service="browser",
                start_ns=at + 40 * 10**6,
                end_ns=at + 50 * 10**6,
            ),
        ]
    SpanRecord.objects.bulk_create(rows, batch_size=2000)


def measure(name: str, task, rounds: int, pause: float = 0.0) -> Figure:
    latencies, spent = [], 0.0
    for _ in range(rounds):
        began = time.perf_counter()
        task()
        latencies.append((time.perf_counter() - began) * 1000)
        spent += time.perf_counter() - began
        time.sleep(pause)
    return Figure(name, rounds / spent, latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=50)
    parser.add_argument("--spans", type=int, default=20_000)
    args = parser.parse_args()
    with throwaway_broker() as broker:
        setup_django(broker.bootstrap_servers, TOPIC)
        from django.core.cache import cache
        from django.test import Client

        from dashboard.fulfilment_panel import consumer_groups
        from metrics import sampler

        prepare(broker.bootstrap_servers, args.spans)
        sampler.sample_once()
        # Past the groups panel's 0.5 s cache each round, so every round asks the broker.
        pause = consumer_groups.CACHE_SECONDS + 0.05
        sample = measure("one sample (admin reads, write, trim)", sampler.sample_once, args.rounds, pause)
        reads = measure(
            "admin reads alone (the panel's snapshot)", lambda: consumer_groups.snapshot(TOPIC), args.rounds, pause
        )
        print_table(f"A sample of {PARTITIONS} partitions and 2 groups, the window full", sample, reads, "samples/s")
        client = Client(HTTP_HOST="127.0.0.1")
        rates = measure(
            "GET /metrics/rates + /metrics/lag",
            lambda: (client.get("/metrics/rates"), client.get("/metrics/lag")),
            args.rounds,
        )
        # Past the answer's cache, so every round reads the spans.
        latency = measure("GET /metrics/latency", lambda: (cache.clear(), client.get("/metrics/latency")), args.rounds)
        print_table(
            f"The charts' reads: {WINDOW_SAMPLES} samples; {args.spans:,} records and clicks in spans",
            rates,
            latency,
            "reads/s",
        )


if __name__ == "__main__":
    main()
