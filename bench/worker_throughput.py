"""Fulfilment worker throughput: orders/s one group member fulfils, vs a bare kafka-python consumer that only reads
and commits the same records.

    .venv/bin/python -m bench.worker_throughput [--orders 2000] [--mode effectively-once] [--cluster]

Both are one member of a group of their own, read one record per poll and commit each record's offset (the bare
consumer synchronously, the worker as its delivery mode does); the worker also does its two steps per order (each
a transaction with its outbox event and processed-events record). Latency is the time from one record finished to
the next.

By default: one throwaway local broker, SQLite, no tracing, no step delay. `--cluster` is `make cluster`'s setting
for a worker: three brokers (replication 3, min in-sync 2), a throwaway PostgreSQL (connections kept 60 s), tracing
on with half the orders traced (the share the web and gRPC processes' 10 new traces/s keep of the scale test's
burst), and a 10 ms step delay.
"""

import argparse
import contextlib
import itertools
import threading
import time
import uuid

from bench.broker import throwaway_broker, throwaway_cluster
from bench.databases import database_url
from bench.in_process import setup_django
from bench.report import Figure, print_table

CLUSTER_STEP_DELAY_MS = 10
CLUSTER_TRACED_SHARE = 0.5


def publish_orders(count: int, traced_share: float) -> None:
    from opentelemetry import trace

    from messaging import clients
    from orders import services
    from outbox.publisher import publish_pending

    tracer = trace.get_tracer(__name__)
    for index in range(count):
        # A traced order as a web process makes one: its creation in a sampled span, its trace in the record.
        traced = index < count * traced_share
        with tracer.start_as_current_span("bench create") if traced else contextlib.nullcontext():
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


def worker(count: int, mode: str, step_delay_ms: int) -> Figure:
    from fulfilment import controls
    from fulfilment.member import GroupMember
    from fulfilment.models import ProcessedEvent
    from orders.models import Order

    controls.update(step_delay_ms=step_delay_ms, failure_rate=0.0, delivery_mode=mode)
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
    return Figure(f"fulfilment worker, {mode}, {step_delay_ms} ms delay", (count - 1) / elapsed, gaps)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument(
        "--mode", default="effectively-once", choices=["at-most-once", "at-least-once", "effectively-once"]
    )
    parser.add_argument("--cluster", action="store_true", help="make cluster's setting (module docstring)")
    options = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if options.cluster:
            bootstrap = stack.enter_context(throwaway_cluster()).bootstrap_servers
            database = stack.enter_context(database_url("postgres"))
            env = {
                "DATABASE_URL": database,
                "DATABASE_CONN_MAX_AGE": "60",
                "KAFKA_REPLICATION_FACTOR": "3",
                # Every new trace kept: `traced_share` decides which orders are traced, as the web processes did.
                "TRACING_NEW_TRACES_PER_SECOND": str(options.orders),
            }
            title, step_delay_ms, traced_share = "make cluster's setting", CLUSTER_STEP_DELAY_MS, CLUSTER_TRACED_SHARE
        else:
            bootstrap, env = stack.enter_context(throwaway_broker()).bootstrap_servers, {}
            title, step_delay_ms, traced_share = "one broker, SQLite, untraced", 0, 0.0
        setup_django(bootstrap, f"bench-worker-{uuid.uuid4().hex[:8]}", FULFILMENT_LOG_LEVEL="WARNING", **env)
        if options.cluster:
            from tracing import setup as tracing_setup

            tracing_setup.start("worker")
        from messaging import clients

        clients.ensure_topic()
        publish_orders(options.orders, traced_share)
        bare = bare_consumer(options.orders)
        ours = worker(options.orders, options.mode, step_delay_ms)
        print_table(f"Fulfilment worker, one member, {title} (latency = record to record)", ours, bare, unit="orders/s")


if __name__ == "__main__":
    main()
