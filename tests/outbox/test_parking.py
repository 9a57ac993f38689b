"""Events the broker refuses for themselves are parked after a bounded number of tries; nothing else stops.

The topic here refuses records over 700 bytes (max.message.bytes), as a topic policy on a real cluster would.
"""

import json
import uuid

import pytest
from django.core.management import call_command
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource
from kafka.partitioner.default import murmur2
from rest_framework.test import APIClient

from harness.topics import read_records
from messaging import clients
from orders import services
from outbox import parking, selectors
from outbox.models import OutboxEvent
from outbox.publisher import publish_pending

pytestmark = pytest.mark.django_db(transaction=True)

ATTEMPTS = 3
BIG = "€" * 150  # 450 bytes of UTF-8: the event no longer fits in 700


@pytest.fixture
def strict_topic(kafka_broker, settings):
    name = f"orders-strict-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        admin.create_topics(
            {name: {"num_partitions": 3, "replication_factor": 1, "configs": {"max.message.bytes": "700"}}},
            wait_for_metadata=True,
        )
    finally:
        admin.close()
    settings.KAFKA_ORDERS_TOPIC = name
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_broker.bootstrap_servers
    return name


def publish_rounds(rounds: int):
    producer = clients.build_producer()
    try:
        return [publish_pending(producer, max_attempts=ATTEMPTS) for _ in range(rounds)]
    finally:
        clients.close_producer(producer, timeout=5)


def order_ids_on(kafka_broker, topic, expected):
    records = read_records(kafka_broker.bootstrap_servers, topic, expected=expected, timeout=10)
    return [(json.loads(r.value)["type"], json.loads(r.value)["order"]["created_by"]) for r in records]


def allow_large_records(kafka_broker, topic):
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        admin.alter_configs([ConfigResource("TOPIC", topic, configs={"max.message.bytes": "1000000"})])
    finally:
        admin.close()


def refuse_headers_of(order):
    """Give the order's created event a header value that is not text, as a row edited by hand might have: the
    publisher cannot make it a record. (Not a lone surrogate, which SQLite stores but PostgreSQL's JSON refuses.)"""
    OutboxEvent.objects.filter(key=str(order.order_id)).update(headers=[["note", 7]])


def partition_of(order) -> int:
    """kafka-python's default partitioner, for a topic of 3 partitions."""
    return (murmur2(str(order.order_id).encode()) & 0x7FFFFFFF) % 3


def order_beside(big):
    """A small order whose event goes to another partition than the big one's.

    The broker refuses a record batch, not a record: kafka-python splits a refused batch and retries, yet a small
    event sharing the big one's partition was seen refused with it (docs/protocol.md, the event on the topic), so this
    test keeps them apart to show what it is about: other keys go on.
    """
    while True:
        small = services.create_order(created_by="small", equipment=["MOUSE"], source="rest")
        if partition_of(small) != partition_of(big):
            return small
        OutboxEvent.objects.filter(key=str(small.order_id)).delete()
        small.delete()


def test_an_event_too_large_for_the_topic_is_parked_and_others_go_on(kafka_broker, strict_topic):
    big = services.create_order(created_by=BIG, equipment=["MOUSE"], source="rest")
    order_beside(big)

    results = publish_rounds(ATTEMPTS)

    assert sum(result.sent for result in results) == 1, "the other key's event went out"
    assert [result.parked for result in results] == [0] * (ATTEMPTS - 1) + [1]
    [parked] = selectors.parked()
    assert parked.key == str(big.order_id) and parked.attempts == ATTEMPTS and "TooLarge" in parked.last_error
    assert order_ids_on(kafka_broker, strict_topic, 1) == [("order.created", "small")]
    health = APIClient().get("/health").json()
    assert health["status"] == "degraded" and health["outbox"]["parked"] == 1

    allow_large_records(kafka_broker, strict_topic)
    assert parking.retry_parked() == 1
    publish_rounds(1)
    assert selectors.backlog().parked == 0 and selectors.backlog().waiting == 0
    assert order_ids_on(kafka_broker, strict_topic, 2)[-1] == ("order.created", BIG)


def test_a_parked_event_holds_back_later_events_of_its_key(kafka_broker, orders_topic, capsys):
    refused = services.create_order(created_by="refused", equipment=["MOUSE"], source="rest")
    refuse_headers_of(refused)
    services.cancel_order(order_id=refused.order_id, source="rest")
    services.create_order(created_by="other", equipment=["MOUSE"], source="rest")

    publish_rounds(ATTEMPTS)

    [parked] = selectors.parked()
    assert parked.key == str(refused.order_id)
    cancel = OutboxEvent.objects.get(key=str(refused.order_id), parked_at__isnull=True)
    assert cancel.sent_at is None and cancel.attempts == 0, "the later event of that key waits behind it"
    assert order_ids_on(kafka_broker, orders_topic, 1) == [("order.created", "other")]

    call_command("outbox", "list")
    assert str(parked.event_id) in capsys.readouterr().out
    OutboxEvent.objects.filter(pk=parked.pk).update(headers=[["note", "fixed"]])
    call_command("outbox", "retry", str(parked.event_id))
    publish_rounds(1)
    assert order_ids_on(kafka_broker, orders_topic, 3)[1:] == [
        ("order.created", "refused"),
        ("order.status_changed", "refused"),
    ]


def test_dropping_a_parked_event_lets_its_key_go_on(kafka_broker, orders_topic):
    refused = services.create_order(created_by="refused", equipment=["MOUSE"], source="rest")
    refuse_headers_of(refused)
    services.cancel_order(order_id=refused.order_id, source="rest")
    publish_rounds(ATTEMPTS)
    [parked] = selectors.parked()

    assert parking.drop_parked([str(parked.event_id)]) == 1
    publish_rounds(1)

    assert not OutboxEvent.objects.filter(event_id=parked.event_id).exists()
    assert order_ids_on(kafka_broker, orders_topic, 1) == [("order.status_changed", "refused")]


def test_a_row_that_cannot_become_a_record_is_refused_without_stopping_the_batch(kafka_broker, orders_topic):
    services.create_order(created_by="before", equipment=["MOUSE"], source="rest")
    broken = services.create_order(created_by="broken", equipment=["MOUSE"], source="rest")
    services.create_order(created_by="after", equipment=["MOUSE"], source="rest")
    refuse_headers_of(broken)

    [result] = publish_rounds(1)

    assert (result.sent, result.refused, result.failed) == (2, 1, 0)
    on_topic = sorted(order_ids_on(kafka_broker, orders_topic, 2))
    assert on_topic == [("order.created", "after"), ("order.created", "before")]
    assert "AttributeError" in OutboxEvent.objects.get(key=str(broken.order_id)).last_error
