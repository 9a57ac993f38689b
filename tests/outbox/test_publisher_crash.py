"""The publisher dies after the broker acknowledged its events but before it marked them sent."""

import json
import platform
import sqlite3
import urllib.request
import uuid
from pathlib import Path

import pytest

from harness.processes import Stack
from harness.topics import create_topic, read_records
from tests.conftest import ARTIFACTS
from tests.support.waiting import wait_until

pytestmark = pytest.mark.faults

ORDERS = 10
# Linux's nanosleep and clock_nanosleep: where SQLite's busy handler sleeps between tries at a lock.
SLEEP_SYSCALLS = {"x86_64": {35, 230}, "aarch64": {101, 115}}


def post_order(stack, index):
    request = urllib.request.Request(
        f"{stack.base_url}/api/orders/computers",
        method="POST",
        data=json.dumps({"created_by": f"crash-{index}", "equipment": ["MOUSE"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 201


def main_thread_syscall(pid: int) -> str:
    """What the process's main thread is doing in the kernel: a syscall number, "running", or "-1" (no syscall)."""
    return Path(f"/proc/{pid}/task/{pid}/syscall").read_text().split(" ", 1)[0].strip()


def waiting_for_the_lock(publisher) -> bool:
    """Whether the publisher, its sends acknowledged, sleeps in SQLite's busy handler: marking the rows sent.

    Once the broker holds the batch, the publisher's main thread only waits on the producer's futures (futex),
    then marks the rows in one transaction; nothing else on that thread sleeps.
    """
    assert publisher.poll() is None, f"the publisher exited with {publisher.returncode}"
    syscall = main_thread_syscall(publisher.pid)
    return syscall.isdigit() and int(syscall) in SLEEP_SYSCALLS[platform.machine()]


@pytest.fixture
def stack(kafka_broker):
    topic = f"orders-crash-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    running = Stack(
        bootstrap_servers=kafka_broker.bootstrap_servers, topic=topic, log_dir=ARTIFACTS / "faults", services=("web",)
    ).start()
    yield running
    running.stop()


def test_event_acknowledged_but_not_marked_is_sent_again_and_deduped_by_event_id(stack, kafka_broker):
    for index in range(ORDERS):
        post_order(stack, index)
    # Hold SQLite's write lock: the publisher can read and send, but blocks when it marks the rows sent.
    blocker = sqlite3.connect(stack.database, isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    publisher = stack.start_service("publisher")
    acknowledged = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=ORDERS, timeout=30)
    assert len(acknowledged) == ORDERS, "the broker should hold every event before the crash"
    # Kill it while it is blocked marking the rows sent (it would give up after SQLite's 20 s busy timeout).
    wait_until(
        lambda: waiting_for_the_lock(publisher),
        timeout=15,
        interval=0.02,
        message=lambda: (
            "the publisher never blocked on the database lock to mark its events sent; its main "
            f"thread is in syscall {main_thread_syscall(publisher.pid)}"
        ),
    )
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
