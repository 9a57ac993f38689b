"""Direct kafka-python helpers for tests: create a topic, read everything on it."""

import time

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition


def create_topic(bootstrap_servers: str, name: str, partitions: int = 3) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap_servers)
    try:
        admin.create_topics({name: {"num_partitions": partitions, "replication_factor": 1}}, wait_for_metadata=True)
    finally:
        admin.close()


def read_records(bootstrap_servers: str, topic: str, *, expected: int, timeout: float = 20.0) -> list:
    """All records on `topic` from the beginning, waiting until at least `expected` arrived or `timeout` passed."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
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
