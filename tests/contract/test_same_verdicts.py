"""One table of inputs through REST and gRPC: the same verdict and the same message per field.

Each row is an input both transports can carry (gRPC sends enums as numbers, so an unknown item is a number on
both sides: REST sends its digits as text). The rules are orders.rules; neither transport adds its own.
"""

import json

import grpc
import pytest
from rest_framework.test import APIClient

from grpc_bridge.generated import orders_pb2 as pb
from orders import rules
from orders.models import Order
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)

KEYBOARD, MOUSE = 0, 1
TOO_MANY = rules.MAX_EQUIPMENT_ITEMS + 1

# name: (REST body, gRPC OrderMessage fields)
CREATE_INPUTS = {
    "valid": (
        {"created_by": "ana", "equipment": ["KEYBOARD", "MOUSE"]},
        {"created_by": "ana", "equipment": [KEYBOARD, MOUSE]},
    ),
    "blank created_by": ({"created_by": "   ", "equipment": ["MOUSE"]}, {"created_by": "   ", "equipment": [MOUSE]}),
    "empty created_by": ({"created_by": "", "equipment": ["MOUSE"]}, {"equipment": [MOUSE]}),
    "created_by too long": (
        {"created_by": "a" * 151, "equipment": ["MOUSE"]},
        {"created_by": "a" * 151, "equipment": [MOUSE]},
    ),
    "null character": (
        {"created_by": "a\x00b", "equipment": ["MOUSE"]},
        {"created_by": "a\x00b", "equipment": [MOUSE]},
    ),
    "no equipment": ({"created_by": "ana", "equipment": []}, {"created_by": "ana"}),
    "too many items": (
        {"created_by": "ana", "equipment": ["MOUSE"] * TOO_MANY},
        {"created_by": "ana", "equipment": [MOUSE] * TOO_MANY},
    ),
    "unknown item": (
        {"created_by": "ana", "equipment": ["MOUSE", "9"]},
        {"created_by": "ana", "equipment": [MOUSE, 9]},
    ),
    "unknown status": (
        {"created_by": "ana", "equipment": ["MOUSE"], "status": "7"},
        {"created_by": "ana", "equipment": [MOUSE], "status": 7},
    ),
    "bad created_at": (
        {"created_by": "ana", "equipment": ["MOUSE"], "created_at": "yesterday"},
        {"created_by": "ana", "equipment": [MOUSE], "created_at": "yesterday"},
    ),
    "everything wrong": (
        {"created_by": " ", "equipment": ["MOUSE"] * TOO_MANY, "created_at": "soon", "status": "9"},
        {"created_by": " ", "equipment": [MOUSE] * TOO_MANY, "created_at": "soon", "status": 9},
    ),
}

# name: (REST query, gRPC ListRequest fields)
LIST_INPUTS = {
    "page too large": ({"page_size": str(rules.MAX_PAGE_SIZE + 1)}, {"page_size": rules.MAX_PAGE_SIZE + 1}),
    "page size negative": ({"page_size": "-1"}, {"page_size": -1}),
    "largest page": ({"page_size": str(rules.MAX_PAGE_SIZE)}, {"page_size": rules.MAX_PAGE_SIZE}),
    "unknown status filter": ({"status": "7"}, {"status": 7}),
    "known status filter": ({"status": "QUEUED"}, {"status": 0}),
}


def grpc_verdict(call, request) -> tuple[str, dict]:
    """("ok", {}) or ("invalid", field errors) as a gRPC client sees them."""
    try:
        call(request, timeout=5)
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT, error
        return "invalid", json.loads(dict(error.trailing_metadata())["field-errors"])
    return "ok", {}


def rest_verdict(response) -> tuple[str, dict]:
    if response.status_code in (200, 201):
        return "ok", {}
    assert response.status_code == 400, response.content
    return "invalid", response.json()


@pytest.mark.parametrize("name", CREATE_INPUTS)
def test_create_gets_one_verdict_over_both_transports(name, stub):
    rest_body, grpc_fields = CREATE_INPUTS[name]
    rest = rest_verdict(APIClient().post("/api/orders/computers", rest_body, format="json"))
    over_grpc = grpc_verdict(stub.Create, pb.OrderMessage(**grpc_fields))
    assert rest == over_grpc
    if rest[0] == "invalid":
        assert rest[1], "a refusal names the fields"
        assert not Order.objects.exists() and not OutboxEvent.objects.exists(), "a refused order changes nothing"


@pytest.mark.parametrize("name", LIST_INPUTS)
def test_list_gets_one_verdict_over_both_transports(name, stub):
    rest_query, grpc_fields = LIST_INPUTS[name]
    rest = rest_verdict(APIClient().get("/api/orders/computers", rest_query))
    assert rest == grpc_verdict(stub.List, pb.ListRequest(**grpc_fields))


def test_the_messages_are_the_domains():
    body, _ = CREATE_INPUTS["everything wrong"]
    response = APIClient().post("/api/orders/computers", body, format="json")
    assert response.json() == rules.order_errors(**{"status": "QUEUED", **body})
    assert set(response.json()) == {"created_by", "equipment", "created_at", "status"}
