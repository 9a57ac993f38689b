"""The dashboard's gRPC gateway calls rungrpc over a real channel and reports what a gRPC client sees."""

import json

import pytest

from localkafka import free_port
from orders.models import Order

URL = "/dashboard/grpc/create"


@pytest.fixture
def gateway(client, settings, grpc_target):
    settings.GRPC_TARGET = grpc_target
    return lambda body: client.post(URL, json.dumps(body) if not isinstance(body, (str, bytes)) else body,
                                    content_type="application/json")


def test_ok_call_returns_the_order_code_and_duration(gateway):
    response = gateway({"created_by": "web", "equipment": ["MONITOR", "MONITOR"]})
    body = response.json()
    assert response.status_code == 200 and body["code"] == "OK"
    assert body["order"]["equipment"] == ["MONITOR", "MONITOR"] and body["order"]["status"] == "QUEUED"
    assert body["duration_ms"] > 0
    assert Order.objects.get(order_id=body["order"]["id"]).created_by == "web"


def test_invalid_argument_comes_back_with_field_errors(gateway):
    body = gateway({"created_by": "", "equipment": []}).json()
    assert body["code"] == "INVALID_ARGUMENT" and "created_by" in body["message"]
    assert set(body["field_errors"]) == {"created_by", "equipment"}
    assert Order.objects.count() == 0


@pytest.mark.parametrize("raw", ["{", "[]", '{"equipment": "MOUSE"}', '{"equipment": ["TOASTER"]}',
                                 '{"created_by": 5, "equipment": ["MOUSE"]}', "[" * 100_000, b"\xff\xfe"])
def test_what_cannot_be_put_on_the_wire_is_400(gateway, raw):
    assert gateway(raw).status_code == 400
    assert Order.objects.count() == 0


def test_unreachable_server_is_reported_as_unavailable(client, settings, transactional_db):
    settings.GRPC_TARGET = f"127.0.0.1:{free_port()}"
    settings.GRPC_CALL_TIMEOUT = 2
    body = client.post(URL, json.dumps({"created_by": "x", "equipment": ["MOUSE"]}),
                       content_type="application/json").json()
    assert body["code"] in {"UNAVAILABLE", "DEADLINE_EXCEEDED"}


def test_get_is_not_allowed(client, transactional_db):
    assert client.get(URL).status_code == 405
