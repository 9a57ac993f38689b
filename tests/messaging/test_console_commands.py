"""The course-style console producer and consumer against the real broker."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from messaging import clients
from orders import services
from outbox.publisher import publish_pending

pytestmark = pytest.mark.django_db(transaction=True)


def test_produced_lines_are_consumed_with_partition_offset_key_and_value(orders_topic, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO("k1:hello\nplain line\n"))
    sent = io.StringIO()
    call_command("kafka_produce", "--key-separator", ":", stdout=sent)
    assert sent.getvalue().count("sent partition=") == 2

    out = io.StringIO()
    call_command(
        "kafka_consume", "--from-beginning", "--max-records", "2", "--timeout", "10", stdout=out, stderr=io.StringIO()
    )
    lines = out.getvalue().splitlines()
    assert any("key=k1 value=hello" in line and "offset=" in line for line in lines)
    assert any("key=None value=plain line" in line for line in lines)


def test_consumer_in_a_group_prints_order_events(orders_topic):
    order = services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    producer = clients.build_producer()
    try:
        publish_pending(producer)
    finally:
        producer.close()
    out = io.StringIO()
    call_command(
        "kafka_consume",
        "--from-beginning",
        "--group",
        "console-test",
        "--max-records",
        "1",
        "--timeout",
        "15",
        stdout=out,
        stderr=io.StringIO(),
    )
    value = json.loads(out.getvalue().split(" value=", 1)[1])
    assert value["order"]["order_id"] == str(order.order_id)


def test_create_topic_command_is_idempotent(kafka_broker, settings):
    settings.KAFKA_ORDERS_TOPIC = "orders-created-by-command"
    first, second = io.StringIO(), io.StringIO()
    call_command("kafka_create_topic", stdout=first)
    call_command("kafka_create_topic", stdout=second)
    assert "created" in first.getvalue() and "already exists" in second.getvalue()


def test_consumer_of_a_missing_topic_is_a_clear_error(kafka_broker, settings):
    settings.KAFKA_ORDERS_TOPIC = "no-such-topic-here"
    with pytest.raises(CommandError, match="does not exist"):
        call_command("kafka_consume", "--timeout", "2", stdout=io.StringIO(), stderr=io.StringIO())
