"""The publisher dies after the broker acknowledged its events but before it marked them sent."""

import json
import sqlite3
import time
import urllib.request
import uuid

import pytest

from harness.processes import Stack
from tests.conftest import ARTIFACTS
from harness.topics import create_topic, read_records

pytestmark = pytest.mark.faults

ORDERS = 10


def post_order(stack, index):
    request = urllib.request.Request(f"{stack.base_url}/api/orders/computers", method="POST",
                                     data=json.dumps({"created_by": f"crash-{index}", "equipment": ["MOUSE"]}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


@pytest.fixture
def stack(kafka_broker):
    topic = f"orders-crash-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS / "faults",
                    services=("web",)).start()
    yield running
    running.stop()


def test_event_acknowledged_but_not_marked_is_sent_again_and_deduped_by_event_id(stack, kafka_broker):
    for index in range(ORDERS):
        post_order(stack, index)
    # Hold SQLite's write lock: the publisher can read and send, but blocks when it marks the rows sent.
    blocker = sqlite3.connect(stack.database, isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    stack.start_service("publisher")
    acknowledged = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=ORDERS, timeout=30)
    assert len(acknowledged) == ORDERS, "the broker should hold every event before the crash"
    time.sleep(0.5)
    stack.kill("publisher")
    blocker.execute("ROLLBACK")
    blocker.close()
    assert stack.unsent_events() == ORDERS

    stack.start_service("publisher")
    assert stack.wait_outbox_drained(30) == 0
    records = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=2 * ORDERS, timeout=30)
    event_ids = [json.loads(record.value)["event_id"] for record in records]
    assert len(records) == 2 * ORDERS, "each event is on the topic twice: at least once, not exactly once"
    assert len(set(event_ids)) == ORDERS, "a reader deduping by event_id sees each order once"
