"""Three real `publish_outbox` processes on one database and the real broker, while orders change: every event is
on the topic exactly once, and each order's events in commit order.

In `make test` this runs on SQLite, where the publishers take turns, and again on PostgreSQL, where they claim
batches side by side (outbox.claims).
"""

import json
import subprocess
import sys
from collections import Counter, defaultdict

from harness.processes import ROOT
from harness.topics import read_records

ORDERS = 700  # three events each (created, PROCESSING, COMPLETED): 2100 events over 700 keys
PUBLISHERS = 3
# Each step for every order before the next step, so one order's events lie far apart, in different claims.
CREATE = f"""
from orders import services
for index in range({ORDERS}):
    services.create_order(created_by=f"publisher-test-{{index}}", equipment=["MOUSE"], source="rest")
"""
MOVE_ALL_TO = """
from orders import services
from orders.models import Order
for order_id in Order.objects.values_list("order_id", flat=True):
    services.change_status(order_id=order_id, to="{status}", source="worker")
"""
OUTBOX_IDS = """
import json
from outbox.models import OutboxEvent
print(json.dumps({str(event_id): row_id for event_id, row_id in OutboxEvent.objects.values_list("event_id", "id")}))
"""


def start_publishers(stack) -> list[subprocess.Popen]:
    """Several `publish_outbox` processes on the stack's database and topic (one of them gets the wake-ups)."""
    for index in range(PUBLISHERS):
        log = open(stack.log_dir / f"stack-publisher-{index}.log", "a")
        stack.processes[f"publisher-{index}"] = subprocess.Popen(
            [sys.executable, "manage.py", "publish_outbox", "--batch-size", "50"],
            cwd=ROOT,
            env=stack.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return [stack.processes[f"publisher-{index}"] for index in range(PUBLISHERS)]


def test_several_publishers_send_every_event_once_in_each_keys_order(kafka_broker, make_stack):
    stack = make_stack(kafka_broker.bootstrap_servers, services=(), OUTBOX_POLL_SECONDS="0.05")
    stack.manage("shell", "-v0", "-c", CREATE)  # a backlog waits when the publishers start
    publishers = start_publishers(stack)
    stack.manage("shell", "-v0", "-c", MOVE_ALL_TO.format(status="PROCESSING"))
    stack.manage("shell", "-v0", "-c", MOVE_ALL_TO.format(status="COMPLETED"))

    assert stack.wait_outbox_drained(90) == 0
    records = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=3 * ORDERS, timeout=60)
    outbox_id = json.loads(stack.manage("shell", "-v0", "-c", OUTBOX_IDS))

    assert all(publisher.poll() is None for publisher in publishers), f"a publisher died; see {stack.log_dir}"
    copies = Counter(json.loads(record.value)["event_id"] for record in records)
    assert len(outbox_id) == 3 * ORDERS
    assert set(copies) == set(outbox_id), "every event of the outbox is on the topic"
    assert [event for event, count in copies.items() if count > 1] == [], "no event was sent twice"
    by_key = defaultdict(list)
    for record in sorted(records, key=lambda record: record.offset):
        by_key[record.key].append((record.partition, outbox_id[json.loads(record.value)["event_id"]]))
    assert len(by_key) == ORDERS
    out_of_order = {
        key: events
        for key, events in by_key.items()
        if len({partition for partition, _ in events}) != 1 or events != sorted(events)
    }
    assert out_of_order == {}, "each key's events are on one partition, in outbox (commit) order"
