"""Topic helpers for tests and benchmarks: create a topic, read everything on it, its end offsets."""

import time

from kafka import KafkaAdminClient

from messaging.readers import open_reader


def create_topic(bootstrap_servers: str, name: str, partitions: int = 3) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.create_topics({name: {"num_partitions": partitions, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()


def read_records(bootstrap_servers: str, topic: str, *, expected: int, timeout: float = 20.0) -> list:
    """All records on `topic` from the beginning, waiting until at least `expected` arrived or `timeout` passed."""
    consumer = open_reader(topic, start="beginning", client_id="harness-reader", bootstrap_servers=bootstrap_servers)
    try:
        records, deadline = [], time.monotonic() + timeout
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        # A short extra poll catches records beyond those expected (duplicates would show here).
        for batch in consumer.poll(timeout_ms=300).values():
            records.extend(batch)
        return sorted(records, key=lambda r: (r.timestamp, r.partition, r.offset))
    finally:
        consumer.close()


def end_offsets(bootstrap_servers: str, topic: str) -> dict[int, int]:
    """The next offset to be written, per partition."""
    consumer = open_reader(topic, client_id="harness-reader", bootstrap_servers=bootstrap_servers)
    try:
        return {tp.partition: offset for tp, offset in consumer.end_offsets(list(consumer.assignment())).items()}
    finally:
        consumer.close()
