"""The fulfilment worker as `make run` runs it: real `fulfil_orders` processes in a real group on a real broker."""

import json
import signal
import time

import pytest
from kafka import KafkaProducer

from harness.topics import read_records
from tests.support.http_orders import post_order
from tests.support.raw_records import RawHeaderName
from tests.support.waiting import wait_until

FAST = {"FULFILMENT_STEP_DELAY_MS": "50", "FULFILMENT_FAILURE_RATE": "0"}
SERVICES = ("web", "publisher", "worker")


def group_of(stack) -> dict:
    state = stack.fulfilment()
    return next((group for group in state["topic"]["groups"] if group["group_id"] == state["group_id"]), {})


def place(stack, count: int, prefix: str) -> list[str]:
    results = [post_order(stack.base_url, f"{prefix}-{index}") for index in range(count)]
    assert [status for status, _, _ in results] == [201] * count
    return [order_id for _, order_id, _ in results]


def wait_statuses(stack, order_ids, wanted: str, timeout: float = 60):
    return wait_until(
        lambda: all(stack.statuses().get(order_id) == wanted for order_id in order_ids),
        timeout=timeout,
        message=lambda: f"orders not all {wanted}: {stack.statuses()}",
    )


def test_every_order_is_fulfilled_with_worker_events_and_the_group_commits_to_the_end(make_stack, kafka_broker):
    stack = make_stack(kafka_broker.bootstrap_servers, services=SERVICES, **FAST)
    order_ids = place(stack, 6, "fulfil")
    wait_statuses(stack, order_ids, "COMPLETED")
    records = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=18)
    by_order = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        value = json.loads(record.value)
        by_order.setdefault(value["order"]["order_id"], []).append((value["order"]["status"], value["source"]))
    assert by_order == {
        order_id: [("QUEUED", "rest"), ("PROCESSING", "worker"), ("COMPLETED", "worker")] for order_id in order_ids
    }
    group = wait_until(
        lambda: (g := group_of(stack)) and g["lag"] == 0 and g,
        timeout=20,
        message=lambda: f"the group did not catch up: {group_of(stack)}",
    )
    assert group["state"] == "Stable" and len(group["members"]) == 1
    assert all(row["committed"] == row["log_end"] for row in group["partitions"] if row["log_end"])


def test_sigterm_mid_order_hands_the_partition_back_and_the_next_member_finishes_it(make_stack, kafka_broker):
    stack = make_stack(
        kafka_broker.bootstrap_servers, services=SERVICES, FULFILMENT_STEP_DELAY_MS="4000", FULFILMENT_FAILURE_RATE="0"
    )
    [order_id] = place(stack, 1, "graceful")
    wait_statuses(stack, [order_id], "PROCESSING", timeout=30)
    worker = stack.processes.pop("worker")
    started = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(15) == 0
    stopped_in = time.monotonic() - started
    assert stopped_in < 4, f"the worker took {stopped_in:.1f} s to stop: it should hand the order back, not finish it"
    assert stack.statuses()[order_id] == "PROCESSING"
    group = group_of(stack)
    # A group with no member and no commit on the topic is not listed at all.
    assert not group.get("members") and (not group or group["lag"] >= 1), (
        f"nothing should be committed for the unfinished order: {group}"
    )

    stack.start_service("worker")
    wait_statuses(stack, [order_id], "COMPLETED", timeout=60)
    state = stack.fulfilment()
    assert state["counters"]["processed_twice"] == 0, "effectively once: the redelivery did not repeat the work"
    wait_until(lambda: group_of(stack).get("lag") == 0, timeout=20, message="the finished order was not committed")


@pytest.mark.faults
def test_the_worker_outlives_the_broker_going_away_and_coming_back(make_stack, own_broker):
    stack = make_stack(own_broker.bootstrap_servers, services=SERVICES, **FAST)
    [first] = place(stack, 1, "before")
    wait_statuses(stack, [first], "COMPLETED")
    own_broker.stop()
    during = place(stack, 3, "during")
    time.sleep(3)  # the worker keeps trying while the broker is away; nothing can move the orders meanwhile
    assert {stack.statuses()[order_id] for order_id in during} == {"QUEUED"}
    own_broker.start()
    wait_statuses(stack, during, "COMPLETED", timeout=90)
    assert stack.processes["worker"].poll() is None


def test_records_that_are_no_order_event_are_stepped_past(make_stack, kafka_broker):
    stack = make_stack(kafka_broker.bootstrap_servers, services=SERVICES, **FAST)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    for partition in range(3):
        producer.send(stack.topic, partition=partition, key=b"\xff", value=b"\x00not json")
        producer.send(stack.topic, partition=partition, key=b"tombstone", value=None)
        producer.send(stack.topic, partition=partition, value=b'{"type": "order.created", "order": 1}')
        producer.send(stack.topic, partition=partition, value=b"[" * 100_000)
        producer.send(stack.topic, partition=partition, value=b"{}", headers=[(RawHeaderName(b"h\xff"), b"unreadable")])
    producer.flush()
    producer.close()
    order_ids = place(stack, 3, "after-garbage")
    wait_statuses(stack, order_ids, "COMPLETED")
    wait_until(
        lambda: group_of(stack).get("lag") == 0,
        timeout=20,
        message=lambda: f"the group did not commit past the foreign records: {group_of(stack)}",
    )
    assert stack.processes["worker"].poll() is None
