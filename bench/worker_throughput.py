"""Fulfilment worker throughput: orders/s one group member fulfils with no step delay, vs a bare kafka-python
consumer that only reads and commits the same records.

    .venv/bin/python -m bench.worker_throughput [--orders 2000] [--mode effectively-once]

Both are one member of a group of their own, read one record per poll and commit each record's offset
synchronously, against a throwaway local broker; the worker also does its two steps per order (each a SQLite
transaction with its outbox event and processed-events record). Latency is the time from one record finished to
the next.
"""

import argparse
import itertools
import threading
import time
import uuid

from bench.broker import throwaway_broker
from bench.in_process import setup_django
from bench.report import Figure, print_table


def publish_orders(count: int) -> None:
    from messaging import clients
    from orders import services
    from outbox.publisher import publish_pending

    for _ in range(count):
        services.create_order(created_by="bench", equipment=["KEYBOARD", "MOUSE"], source="rest")
    producer = clients.build_producer()
    sent = 0
    while sent < count:
        sent += publish_pending(producer, limit=500).sent
    producer.close()


def bare_consumer(count: int) -> Figure:
    from django.conf import settings
    from kafka.structs import OffsetAndMetadata

    from messaging import clients

    consumer = clients.build_consumer(
        group_id=f"bench-bare-{uuid.uuid4().hex[:6]}",
        from_beginning=True,
        client_id="bench-bare",
        enable_auto_commit=False,
    )
    consumer.subscribe([settings.KAFKA_ORDERS_TOPIC])
    done, gaps, began = 0, [], None
    last = time.perf_counter()
    while done < count:
        for tp, records in consumer.poll(timeout_ms=500, max_records=1).items():
            for record in records:
                consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "", -1)})
                now = time.perf_counter()
                if began is None:
                    began = now  # the first record pays for the group join; timing starts after it
                else:
                    gaps.append((now - last) * 1000)
                last, done = now, done + 1
    elapsed = time.perf_counter() - began
    consumer.close()
    return Figure("bare kafka-python consumer, commit per record", (count - 1) / elapsed, gaps)


def worker(count: int, mode: str) -> Figure:
    from fulfilment import controls
    from fulfilment.member import GroupMember
    from fulfilment.models import ProcessedEvent
    from orders.models import Order

    controls.update(step_delay_ms=0, failure_rate=0.0, delivery_mode=mode)
    member = GroupMember(name="bench-worker")
    thread = threading.Thread(target=member.run, daemon=True)
    thread.start()
    while Order.objects.filter(status="COMPLETED").count() < count:
        time.sleep(0.2)
    member.stop()
    thread.join(30)
    finished = sorted(ProcessedEvent.objects.filter(step="finish").values_list("processed_at", flat=True))
    gaps = [(b - a).total_seconds() * 1000 for a, b in itertools.pairwise(finished)]
    elapsed = (finished[-1] - finished[0]).total_seconds()
    return Figure(f"fulfilment worker, {mode}, no delay", (count - 1) / elapsed, gaps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument(
        "--mode", default="effectively-once", choices=["at-most-once", "at-least-once", "effectively-once"]
    )
    options = parser.parse_args()
    with throwaway_broker() as broker:
        setup_django(broker.bootstrap_servers, f"bench-worker-{uuid.uuid4().hex[:8]}", FULFILMENT_LOG_LEVEL="WARNING")
        from messaging import clients

        clients.ensure_topic()
        publish_orders(options.orders)
        bare = bare_consumer(options.orders)
        ours = worker(options.orders, options.mode)
        print_table("Fulfilment worker, one member (latency = record to record)", ours, bare, unit="orders/s")


if __name__ == "__main__":
    main()
