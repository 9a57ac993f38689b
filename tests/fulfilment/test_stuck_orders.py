"""Stranded orders on a real broker: a client of the worker's group commits past an order, the order is listed as
stuck, and recovery drives it on once, even when the group reads its record again later."""

import json
import time

from kafka import KafkaConsumer

from harness.topics import read_records
from tests.dashboard.test_fulfilment_panel import commit_as_group
from tests.fulfilment.test_worker import group_of, place, wait_statuses
from tests.support.waiting import wait_until

FAST = {"FULFILMENT_STEP_DELAY_MS": "50", "FULFILMENT_FAILURE_RATE": "0", "FULFILMENT_STUCK_AFTER_SECONDS": "2"}


def commit_past(bootstrap_servers: str, topic: str, group_id: str, order_id: str) -> tuple[int, int]:
    """Join the group as any client may, read up to the order's record and commit past it without doing the work;
    return where the record is."""
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap_servers,
        group_id=group_id,
        client_id="stranger",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    try:
        consumer.subscribe([topic])
        deadline, found = time.monotonic() + 30, None
        while found is None and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                found = next((r for r in records if r.key == order_id.encode()), found)
        assert found is not None, "the stranger never got the order's record"
        consumer.commit()
        return found.partition, found.offset
    finally:
        consumer.close()


def order_records(stack, bootstrap_servers: str, order_id: str, expected: int) -> list[tuple[str, str]]:
    records = read_records(bootstrap_servers, stack.topic, expected=expected, timeout=5)
    values = [json.loads(r.value) for r in sorted(records, key=lambda r: r.offset) if r.key == order_id.encode()]
    return [(value["order"]["status"], value["source"]) for value in values]


def steps_of(stack, order_id: str) -> list[list]:
    """The processed-events rows of the order, read from the stack's database."""
    code = (
        "import json; from fulfilment.models import ProcessedEvent as P; "
        f"print(json.dumps([[r.step, r.member, r.skipped] for r in P.objects.filter(order_id='{order_id}')]))"
    )
    return json.loads(stack.manage("shell", "-v", "0", "-c", code))


def stuck_ids(stack) -> tuple[list[str], list[str]]:
    """The stuck orders as `manage.py fulfilment stuck --json` and as the panel's JSON list them."""
    listed = json.loads(stack.manage("fulfilment", "stuck", "--json"))["orders"]
    shown = stack.fulfilment()["stuck"]["orders"]
    return [order["order_id"] for order in listed], [order["order_id"] for order in shown]


def test_an_order_a_stranger_committed_past_is_listed_in_every_mode_and_recovered_once(make_stack, kafka_broker):
    bootstrap = kafka_broker.bootstrap_servers
    stack = make_stack(bootstrap, services=("web", "publisher"), FULFILMENT_RECOVERY_SECONDS="0", **FAST)
    group = f"fulfilment-{stack.topic}"
    stack.fulfilment()  # the controls' row, and the counters' start, come before the order
    [order_id] = place(stack, 1, "stranded")
    assert stack.wait_outbox_drained(20) == 0
    partition, offset = commit_past(bootstrap, stack.topic, group, order_id)

    stack.start_service("worker")
    wait_until(
        lambda: any(m["positions"].get(str(partition)) == offset + 1 for m in stack.fulfilment()["members"]),
        timeout=40,
        message=lambda: f"no member took partition {partition} past {offset}: {stack.fulfilment()['members']}",
    )
    wait_until(
        lambda: [order["order_id"] for order in stack.fulfilment()["stuck"]["orders"]] == [order_id],
        timeout=20,
        message=lambda: f"the order is not listed as stuck: {stack.fulfilment()['stuck']}",
    )
    text = stack.manage("fulfilment", "stuck")
    assert "1 stuck order(s)" in text and f"{order_id} QUEUED" in text
    [shown] = stack.fulfilment()["stuck"]["orders"]
    assert (shown["status"], shown["partition"], shown["offset"], shown["last_member"]) == (
        "QUEUED",
        partition,
        offset,
        None,
    )
    assert stack.statuses()[order_id] == "QUEUED", "a member of the group processed it after all"
    assert stack.fulfilment()["counters"]["lost"] == 1

    # The counter starts over with the mode; the list is read from the orders and the members, so it stays.
    stack.manage("fulfilment", "set", "--delivery-mode", "at-most-once")
    state = stack.fulfilment()
    assert state["counters"]["lost"] == 0
    assert [order["order_id"] for order in state["stuck"]["orders"]] == [order_id]
    stack.manage("fulfilment", "set", "--delivery-mode", "effectively-once")
    assert stuck_ids(stack) == ([order_id], [order_id])

    output = stack.manage("fulfilment", "stuck", "--recover")
    assert f"recovered {order_id}: completed" in output and "0 stuck order(s)" in output
    wait_statuses(stack, [order_id], "COMPLETED", timeout=10)
    assert stack.wait_outbox_drained(20) == 0
    once = [("QUEUED", "rest"), ("PROCESSING", "worker"), ("COMPLETED", "worker")]
    assert order_records(stack, bootstrap, order_id, expected=3) == once
    assert stack.fulfilment()["stuck"]["orders"] == []

    # The group reads the record again after all: stop the worker, commit the group back to it, start it again.
    worker = stack.processes.pop("worker")
    worker.terminate()
    assert worker.wait(20) == 0
    commit_as_group(bootstrap, stack.topic, group, {partition: offset})
    stack.start_service("worker")
    wait_until(
        lambda: any(
            row["partition"] == partition and row["committed"] == row["log_end"]
            for row in group_of(stack).get("partitions", [])
        ),
        timeout=40,
        message=lambda: f"the worker did not read the record again: {group_of(stack)}",
    )
    steps = steps_of(stack, order_id)
    assert [(step, member.split("-")[0]) for step, member, skipped in steps if not skipped] == [
        ("start", "recovery"),
        ("finish", "recovery"),
    ]
    assert [(step, member.split("-")[0]) for step, member, skipped in steps if skipped] == [("finish", "fulfilment")]
    assert order_records(stack, bootstrap, order_id, expected=4) == once
    assert stack.fulfilment()["counters"]["processed_twice"] == 0


def test_the_worker_recovers_a_stranded_order_on_its_own(make_stack, kafka_broker):
    bootstrap = kafka_broker.bootstrap_servers
    stack = make_stack(bootstrap, services=("web", "publisher"), FULFILMENT_RECOVERY_SECONDS="1", **FAST)
    [order_id] = place(stack, 1, "stranded-alone")
    assert stack.wait_outbox_drained(20) == 0
    commit_past(bootstrap, stack.topic, f"fulfilment-{stack.topic}", order_id)
    stack.start_service("worker")
    wait_statuses(stack, [order_id], "COMPLETED", timeout=40)
    steps = steps_of(stack, order_id)
    assert [step for step, _, _ in steps] == ["start", "finish"]
    assert all(member.startswith("recovery-") and not skipped for _, member, skipped in steps)
    assert stack.wait_outbox_drained(20) == 0
    assert order_records(stack, bootstrap, order_id, expected=3) == [
        ("QUEUED", "rest"),
        ("PROCESSING", "worker"),
        ("COMPLETED", "worker"),
    ]
