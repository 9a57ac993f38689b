"""With the broker stopped, orders are still accepted fast; once it is back, the waiting events arrive in order."""

import json
import threading
import time

import pytest
from rest_framework.test import APIClient

from harness.topics import read_records
from messaging.clients import DELIVERY_TIMEOUT_MS
from outbox import selectors
from outbox.models import OutboxEvent
from outbox.publisher import OutboxPublisher
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def wait_until_outbox_empty(timeout: float = 30.0) -> None:
    wait_until(
        lambda: not selectors.backlog().waiting,
        timeout=timeout,
        interval=0.1,
        message=lambda: f"the outbox still holds {selectors.backlog().waiting} waiting events",
    )


def test_orders_accepted_while_broker_down_are_delivered_in_order_after_restart(own_broker):
    api = APIClient()
    publisher = OutboxPublisher(poll_seconds=0.05, retry_seconds=0.5)
    thread = threading.Thread(target=publisher.run, daemon=True)
    thread.start()
    try:
        first = api.post("/api/orders/computers", {"created_by": "before", "equipment": ["MOUSE"]}, format="json")
        assert first.status_code == 201
        wait_until_outbox_empty()

        own_broker.kill()
        order_ids, slowest = [], 0.0
        for i in range(10):
            started = time.monotonic()
            response = api.post(
                "/api/orders/computers", {"created_by": f"during-{i}", "equipment": ["WEBCAM"]}, format="json"
            )
            slowest = max(slowest, time.monotonic() - started)
            assert response.status_code == 201
            order_ids.append(response.json()["order_id"])
        cancelled = api.post(f"/api/orders/computers/{order_ids[0]}/cancel")
        assert cancelled.status_code == 200
        assert slowest < 1.0, f"a POST took {slowest:.2f} s while the broker was down"
        # Look only once the publisher has tried the waiting events against the dead broker and given up: a failed
        # try is counted on the row (attempts, last_error) when the producer's delivery timeout expires it.
        tried_and_failed = OutboxEvent.objects.filter(sent_at__isnull=True, attempts__gte=1).exclude(last_error="")
        wait_until(
            tried_and_failed.exists,
            timeout=DELIVERY_TIMEOUT_MS / 1000 + 30,
            message="the publisher recorded no failed attempt at the events waiting while the broker is down",
        )
        assert selectors.backlog().waiting == 11

        own_broker.start()
        records = read_records(own_broker.bootstrap_servers, "orders", expected=12, timeout=60)
        wait_until_outbox_empty()
    finally:
        publisher.stop()
        thread.join(15)

    events = {}
    for record in records:
        events.setdefault(json.loads(record.value)["event_id"], record)
    assert len(events) == 12
    assert not selectors.backlog().waiting
    first_order = [json.loads(r.value) for r in events.values() if r.key == order_ids[0].encode()]
    assert [e["type"] for e in first_order] == ["order.created", "order.status_changed"]
