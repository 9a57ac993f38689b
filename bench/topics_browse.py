"""What a page of the topic browser costs: GET /kafka/topics/<name>/records's work in process (the topic's
partitions, their log starts and ends, read the newest `limit` records of each partition, merge, frame) against a
raw kafka-python consumer reading the same records (assign, seek to end - limit, poll to the end; no frames).

    .venv/bin/python -m bench.topics_browse [--records 30000] [--limit 200] [--rounds 20]

On a throwaway broker: a 3-partition topic of `records` 300-byte records. Each round is one page, a fresh client each
(as the endpoint does); the figures are pages per second and their latency.
"""

from __future__ import annotations

import argparse
import time

from bench.broker import throwaway_broker
from bench.in_process import setup_django
from bench.report import Figure, print_table

TOPIC = "bench-browse"
PARTITIONS = 3


def fill(bootstrap: str, records: int) -> None:
    from kafka import KafkaProducer

    from harness.topics import create_topic

    create_topic(bootstrap, TOPIC, partitions=PARTITIONS)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20)
    for index in range(records):
        producer.send(TOPIC, key=str(index).encode(), value=b"v" * 300, partition=index % PARTITIONS)
    producer.flush()
    producer.close()


def ours(limit: int) -> int:
    from topics import browse, browse_query

    return len(browse.browse(TOPIC, browse_query.Query(limit=limit))["records"])


def raw_consumer(bootstrap: str, limit: int) -> int:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tps = [TopicPartition(TOPIC, p) for p in range(PARTITIONS)]
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        for tp in tps:
            consumer.seek(tp, max(ends[tp] - limit, 0))
        read = 0
        while any(consumer.position(tp) < ends[tp] for tp in tps):
            read += sum(len(batch) for batch in consumer.poll(timeout_ms=200).values())
        return read
    finally:
        consumer.close()


def measure(name: str, page, rounds: int) -> Figure:
    latencies = []
    started = time.perf_counter()
    for _ in range(rounds):
        began = time.perf_counter()
        page()
        latencies.append((time.perf_counter() - began) * 1000)
    return Figure(name, rounds / (time.perf_counter() - started), latencies)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=30_000)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with throwaway_broker() as broker:
        setup_django(broker.bootstrap_servers, "orders")
        fill(broker.bootstrap_servers, args.records)
        assert ours(args.limit) == args.limit
        mine = measure(f"topic browser, newest {args.limit}", lambda: ours(args.limit), args.rounds)
        raw = measure(
            f"raw consumer, {args.limit} x {PARTITIONS} partitions",
            lambda: raw_consumer(broker.bootstrap_servers, args.limit),
            args.rounds,
        )
    print_table(
        f"A page of {args.limit} records from {args.records:,} on {PARTITIONS} partitions", mine, raw, "pages/s"
    )


if __name__ == "__main__":
    main()
