"""Every topic's endpoints against the real broker; the page's views in Chromium against the real processes."""

import json
import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaProducer


@pytest.fixture
def local_broker(settings, kafka_broker, tmp_path):
    """The session's broker as the local one `make run` would have started: a control file naming its address and
    its JVM's pid, where local_broker.status() looks. Create and delete need it, and the controls' switch on."""
    settings.FULFILMENT_CONTROLS = True
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_broker.bootstrap_servers
    settings.LOCAL_KAFKA_PIDFILE = tmp_path / "run.json"
    settings.LOCAL_KAFKA_PIDFILE.write_text(
        json.dumps(
            {"pid": kafka_broker.process.pid, "bootstrap_servers": kafka_broker.bootstrap_servers, "state": "running"}
        )
    )
    return kafka_broker


@pytest.fixture
def new_name():
    """A fresh topic name per call: tests on one session broker never see each other's topics."""
    return lambda prefix="topics-test": f"{prefix}-{uuid.uuid4().hex[:10]}"


def make_topic(bootstrap: str, name: str, partitions: int = 3, configs: dict | None = None) -> str:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics(
            {name: {"num_partitions": partitions, "replication_factor": 1, "configs": configs or {}}},
            wait_for_metadata=True,
        )
    finally:
        admin.close()
    return name


def produce(bootstrap: str, topic: str, records: list[tuple[int, bytes | None, bytes | None, list]]) -> None:
    """Each (partition, key, value, headers) in order, acknowledged before this returns. Each record's time is a
    millisecond after the one before: sent back to back, several would share a millisecond, and the newest-first
    order would break their tie by partition, not by the order they were sent in."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=2 * 1024 * 1024)
    start = time.time_ns() // 1_000_000
    for index, (partition, key, value, headers) in enumerate(records):
        producer.send(
            topic, key=key, value=value, partition=partition, headers=headers, timestamp_ms=start + index
        ).get(timeout=10)
    producer.close()
