"""Order events on a real Kafka broker: the right record, once, and only for committed orders."""

import json
import threading
import time

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from harness.topics import read_records
from messaging import clients
from orders import services
from outbox import selectors
from outbox.models import OutboxEvent
from outbox.publisher import OutboxPublisher, publish_pending

pytestmark = pytest.mark.django_db(transaction=True)


def test_rest_order_arrives_with_key_value_and_headers(orders_topic, kafka_broker):
    body = (
        APIClient()
        .post("/api/orders/computers", {"created_by": "ana", "equipment": ["MONITOR", "MOUSE"]}, format="json")
        .json()
    )
    producer = clients.build_producer()
    try:
        assert publish_pending(producer).sent == 1
    finally:
        producer.close()
    [record] = read_records(kafka_broker.bootstrap_servers, orders_topic, expected=1)
    value = json.loads(record.value)
    assert record.key == body["order_id"].encode()
    assert value["type"] == "order.created" and value["source"] == "rest"
    assert value["order"] == body
    headers = dict(record.headers)
    assert headers["event-type"] == b"order.created"
    assert headers["content-type"] == b"application/json"
    assert headers["event-id"] == value["event_id"].encode()
    row = OutboxEvent.objects.get()
    assert row.sent_at is not None and (row.partition, row.offset) == (record.partition, record.offset)


def test_events_of_one_order_share_a_partition_in_order(orders_topic, kafka_broker):
    order = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    services.cancel_order(order_id=order.order_id, source="rest")
    producer = clients.build_producer()
    try:
        publish_pending(producer)
    finally:
        producer.close()
    records = read_records(kafka_broker.bootstrap_servers, orders_topic, expected=2)
    assert [json.loads(r.value)["type"] for r in records] == ["order.created", "order.status_changed"]
    assert len({r.partition for r in records}) == 1
    assert records[0].offset < records[1].offset


def test_nothing_is_published_for_a_rolled_back_order(orders_topic, kafka_broker):
    with pytest.raises(RuntimeError), transaction.atomic():
        services.create_order(created_by="ghost", equipment=["MOUSE"], source="rest")
        raise RuntimeError("rolled back after the order was written")
    kept = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    producer = clients.build_producer()
    try:
        assert publish_pending(producer).sent == 1
    finally:
        producer.close()
    records = read_records(kafka_broker.bootstrap_servers, orders_topic, expected=2, timeout=3)
    assert [r.key for r in records] == [str(kept.order_id).encode()]


def test_publisher_loop_creates_the_topic_and_keeps_up(kafka_broker, settings):
    settings.KAFKA_ORDERS_TOPIC = "orders-loop-" + str(time.monotonic_ns())
    publisher = OutboxPublisher(poll_seconds=0.05)
    thread = threading.Thread(target=publisher.run, daemon=True)
    thread.start()
    try:
        created = [services.create_order(created_by=f"user{i}", equipment=["WEBCAM"], source="rest") for i in range(20)]
        records = read_records(kafka_broker.bootstrap_servers, settings.KAFKA_ORDERS_TOPIC, expected=20)
    finally:
        publisher.stop()
        thread.join(10)
    assert sorted(r.key for r in records) == sorted(str(o.order_id).encode() for o in created)
    assert len({r.partition for r in records}) > 1, "keys should spread over the topic's 3 partitions"
    assert not selectors.backlog().waiting
