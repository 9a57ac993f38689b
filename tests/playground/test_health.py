"""GET /health reports the database and whether Kafka answers, without ever failing the request."""

import pytest

from localkafka import free_port
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
