"""Outbox publishing: events/s of the publisher draining the outbox vs a raw kafka-python producer.

    .venv/bin/python -m bench.outbox_publish [--events 20000] [--batch-size 500]

Both use the same producer settings (acks=all, idempotence, linger 5 ms) against a throwaway local broker
and send the same bytes; the outbox side also reads the rows and marks them sent in SQLite.
"""

import argparse
import time
import uuid

from bench.broker import throwaway_broker
from bench.in_process import setup_django
from bench.report import Figure, print_table


def fill_outbox(count: int) -> list:
    from orders import services
    from outbox.models import OutboxEvent

    for _ in range(count):
        services.create_order(created_by="bench", equipment=["KEYBOARD", "MOUSE"], source="rest")
    return list(OutboxEvent.objects.order_by("id"))


def drain_outbox(batch_size: int, count: int) -> Figure:
    from messaging import clients
    from outbox.publisher import publish_pending

    producer = clients.build_producer()
    batch_ms, sent, began = [], 0, time.perf_counter()
    while sent < count:
        started = time.perf_counter()
        sent += publish_pending(producer, limit=batch_size).sent
        batch_ms.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    producer.close()
    return Figure(f"outbox publisher (batches of {batch_size})", count / elapsed, batch_ms)


def raw_produce(rows: list, topic: str, batch_size: int) -> Figure:
    from messaging import clients

    producer = clients.build_producer()
    batch_ms, began = [], time.perf_counter()
    for start in range(0, len(rows), batch_size):
        started = time.perf_counter()
        futures = [
            producer.send(
                topic, key=row.key.encode(), value=row.value.encode(), headers=[(n, v.encode()) for n, v in row.headers]
            )
            for row in rows[start : start + batch_size]
        ]
        producer.flush()
        for future in futures:
            future.get(0)
        batch_ms.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    producer.close()
    return Figure(f"raw kafka-python producer (batches of {batch_size})", len(rows) / elapsed, batch_ms)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=500)
    options = parser.parse_args()
    topic = f"bench-outbox-{uuid.uuid4().hex[:8]}"
    with throwaway_broker() as broker:
        setup_django(broker.bootstrap_servers, topic)
        from messaging import clients

        clients.ensure_topic()
        rows = fill_outbox(options.events)
        raw_produce(rows[:1000], topic + "-warmup", options.batch_size)
        raw = raw_produce(rows, topic + "-raw", options.batch_size)
        ours = drain_outbox(options.batch_size, options.events)
        print_table("Outbox publishing (latency = one batch)", ours, raw, unit="events/s")


if __name__ == "__main__":
    main()
