"""GET /health reports the database and whether Kafka answers, without ever failing the request."""

import time

import pytest
from kafka.errors import KafkaConnectionError

from localkafka import free_port
from messaging import clients
from orders import services

pytestmark = pytest.mark.django_db


def test_health_reports_kafka_unreachable_and_waiting_events(client, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{free_port()}"
    services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
    response = client.get("/health")
    body = response.json()
    assert response.status_code == 200
    assert body["database"]["ok"] is True
    assert body["kafka"]["reachable"] is False and body["kafka"]["error"]
    assert body["outbox"]["waiting"] == 1
    assert body["status"] == "degraded"


def test_an_unreachable_broker_is_reported_in_one_short_line(client, settings):
    port = free_port()
    settings.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{port}"
    error = client.get("/health").json()["kafka"]["error"]
    assert error == f"no answer from 127.0.0.1:{port} within 0.8 s"
    assert "Error" not in error and "\n" not in error


def test_the_status_reason_never_doubles_the_exception_name():
    doubled = KafkaConnectionError("KafkaConnectionError: KafkaConnectionError: socket closed\nmore")
    assert clients.status_reason(doubled, "x:1") == "socket closed"
    assert len(clients.status_reason(OSError("x" * 500), "x:1")) <= 80


def test_the_status_is_fresh_within_a_second(client, settings):
    """A cached "reachable" answer is asked again after at most a second: the badge turns within about 2 s."""
    clients._status_cache.last = clients.BrokerStatus(
        reachable=True, bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, checked_at=time.monotonic() - 1.01
    )
    assert clients.broker_status().checked_at > time.monotonic() - 1


def test_two_dead_brokers_of_three_never_make_the_live_one_look_down(settings, kafka_broker):
    """kafka-python bootstraps from a random server and waits out a dead one's backoff: from three servers of which
    two refuse, one status in twelve said "down" before the dead ones were left out."""
    dead = [f"127.0.0.1:{free_port()}" for _ in range(2)]
    settings.KAFKA_BOOTSTRAP_SERVERS = ",".join([dead[0], kafka_broker.bootstrap_servers, dead[1]])
    answers = [clients.broker_status(max_age=0) for _ in range(40)]
    assert [answer.error for answer in answers if not answer.reachable] == []
