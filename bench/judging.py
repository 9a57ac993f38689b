"""What judging every record costs the relay: a record frame with its verdict (parse, ledger, frame, JSON) against
the same frame with a fixed verdict (parse, frame, JSON: the work the relay did before records were judged), and
with the ordering check too (messaging.ordering); then the warm-up a relay or a `Watch` from the end does (judging
the last 5,000 records of 3 partitions unseen), and the ledger's and the ordering checker's sizes at their bounds.

    .venv/bin/python -m bench.judging [--orders 5000] [--rounds 3]

In process, no broker: the records are built as the outbox publishes them (each order created, PROCESSING,
COMPLETED, keyed by order id in its key's partition of 3). Per-record figures are the best of `rounds` passes.
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
import uuid

PARTITIONS = 3


def order_records(orders: int) -> list:
    from kafka.consumer.fetcher import ConsumerRecord

    from harness.order_events import order_event
    from messaging import judging
    from orders import events

    offsets = [0] * PARTITIONS
    records = []
    for _ in range(orders):
        order_id = str(uuid.uuid4())
        partition = judging.home_partition(order_id.encode(), PARTITIONS)
        for event_type, status in (
            (events.ORDER_CREATED, "QUEUED"),
            (events.ORDER_STATUS_CHANGED, "PROCESSING"),
            (events.ORDER_STATUS_CHANGED, "COMPLETED"),
        ):
            at = "2026-01-31T12:00:00.123456Z"
            event = order_event(
                order_id, event_type, status, at=at, created_by="bench", equipment=["KEYBOARD", "MOUSE"]
            )
            value, key, offset = event.to_value(), order_id.encode(), offsets[partition]
            fields = (key, value, event.headers(), None, len(key), len(value), -1)
            records.append(ConsumerRecord("orders", partition, 0, offset, 0, 0, *fields))
            offsets[partition] += 1
    return records


def per_record_us(work, records: list, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        work(records)
        best = min(best, time.perf_counter() - started)
    return best / len(records) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=5000, help="orders (3 records each)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from live import relay
    from messaging import judging, ordering

    records = order_records(args.orders)
    fixed = judging.Judged("accepted")

    def judged(batch):
        ledger = judging.Ledger(PARTITIONS)
        for record in batch:
            relay.pack(record, ledger.judge)

    def judged_and_checked(batch):
        ledger, checker = judging.Ledger(PARTITIONS), ordering.OrderingChecker()
        for record in batch:
            relay.pack(record, ledger.judge, checker)

    def unjudged(batch):
        for record in batch:
            relay.pack(record, lambda record, event, problem: fixed)

    def warm_up_only(batch):
        ledger = judging.Ledger(PARTITIONS)
        for record in batch:
            ledger.judge(record, *judging.read_event(record.value, record.key))

    ours, baseline = per_record_us(judged, records, args.rounds), per_record_us(unjudged, records, args.rounds)
    warm = per_record_us(warm_up_only, records, args.rounds)
    checked = per_record_us(judged_and_checked, records, args.rounds)
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"\nJudging records  (cores: {os.cpu_count()}, load: {load}, records: {len(records)})")
    print(f"{'relay frame with its verdict':<44} {ours:>8.1f} us/record")
    print(f"{'relay frame with a fixed verdict (before)':<44} {baseline:>8.1f} us/record")
    print(f"{'ratio':<44} {ours / baseline:>8.2f}")
    print(f"{'relay frame with its verdict and order check':<44} {checked:>8.1f} us/record")
    lookback = judging.LOOKBACK_RECORDS * PARTITIONS
    print(f"{'warm-up: judging only':<44} {warm:>8.1f} us/record = {warm * lookback / 1e6:.2f} s for {lookback}")

    many = order_records(judging.MAX_ORDERS // 10)
    tracemalloc.start()  # what the ledger keeps: the records themselves were allocated before
    ledger = judging.Ledger(PARTITIONS, max_orders=judging.MAX_ORDERS)
    for record in many:
        ledger.judge(record, *judging.read_event(record.value, record.key))
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(
        f"{'ledger of ' + str(len(ledger)) + ' orders':<44} counted {ledger.bytes / 1024:.0f} KiB, "
        f"allocated {held / 1024:.0f} KiB (bound: {judging.MAX_ORDERS} orders, {judging.MAX_BYTES // 2**20} MiB)"
    )
    tracemalloc.start()
    checker = ordering.OrderingChecker()
    for record in many:
        checker.check(record.partition, record.offset, judging.read_event(record.value, record.key)[0])
    held = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"{'ordering checker at its bound':<44} {len(checker)} keys, allocated {held / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
