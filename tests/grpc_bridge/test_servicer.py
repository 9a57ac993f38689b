"""Every OrderService RPC and every client mistake, over a real channel."""

import json

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from grpc_bridge.generated import orders_pb2 as pb
from localkafka import free_port
from orders.models import Order
from outbox.models import OutboxEvent

KEYBOARD, MOUSE, WEBCAM, MONITOR = range(4)


def new_order(**fields):
    return pb.OrderMessage(**{"created_by": "ana", "equipment": [KEYBOARD, MOUSE, MOUSE], **fields})


def code_and_message(call, *args):
    with pytest.raises(grpc.RpcError) as caught:
        call(*args, timeout=5)
    return caught.value.code(), caught.value.details()


def test_create_stores_the_equipment_it_was_sent(stub):
    created = stub.Create(new_order(status=pb.OrderMessage.PROCESSING, created_at="2026-01-31T12:00:00Z"))
    assert created.id and created.created_by == "ana"
    assert list(created.equipment) == [KEYBOARD, MOUSE, MOUSE]
    assert created.status == pb.OrderMessage.PROCESSING
    assert created.created_at == "2026-01-31T12:00:00Z"
    stored = Order.objects.get(order_id=created.id)
    assert stored.equipment == ["KEYBOARD", "MOUSE", "MOUSE"]
    assert OutboxEvent.objects.get().value.count('"source":"grpc"') == 1


def test_create_ignores_a_client_chosen_id_and_defaults_time(stub):
    created = stub.Create(new_order(id="my-own-id"))
    assert created.id != "my-own-id" and created.created_at.endswith("Z")


def test_get_lists_newest_accepted_first(stub):
    first = stub.Create(new_order(created_at="2026-02-01T00:00:00Z"))
    second = stub.Create(new_order(created_at="2026-01-01T00:00:00Z"))
    assert [o.id for o in stub.Get(pb.Empty()).orders] == [second.id, first.id]


def test_get_order_and_cancel(stub):
    created = stub.Create(new_order())
    assert stub.GetOrder(pb.OrderId(id=created.id)) == created
    cancelled = stub.Cancel(pb.OrderId(id=created.id))
    assert cancelled.status == pb.OrderMessage.CANCELLED
    assert OutboxEvent.objects.count() == 2


def test_list_filters_and_pages(stub):
    for name in ["ana", "bo", "bo", "bo"]:
        stub.Create(new_order(created_by=name))
    stub.Create(new_order(created_by="bo", status=pb.OrderMessage.COMPLETED))
    page = stub.List(pb.ListRequest(created_by="bo", status=pb.OrderMessage.QUEUED, page_size=2))
    assert len(page.orders) == 2 and page.next_page_token
    rest = stub.List(
        pb.ListRequest(created_by="bo", status=pb.OrderMessage.QUEUED, page_size=2, page_token=page.next_page_token)
    )
    assert len(rest.orders) == 1 and not rest.next_page_token
    assert {o.created_by for o in [*page.orders, *rest.orders]} == {"bo"}
    assert len(stub.List(pb.ListRequest()).orders) == 5
    completed = stub.List(pb.ListRequest(status=pb.OrderMessage.COMPLETED)).orders
    assert [o.status for o in completed] == [pb.OrderMessage.COMPLETED]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"created_by": ""}, "created_by"),
        ({"created_by": "x" * 151}, "created_by"),
        ({"equipment": []}, "equipment"),
        ({"equipment": [MOUSE] * 21}, "equipment"),
        ({"equipment": [MOUSE, 9]}, "equipment"),
        ({"status": 7}, "status"),
        ({"created_at": "last tuesday"}, "created_at"),
        ({"created_at": "0001-01-01T00:00:00+01:00"}, "created_at"),
        ({"created_by": "a\x00b"}, "created_by"),
    ],
)
def test_bad_create_is_invalid_argument_naming_the_field(stub, fields, field):
    code, message = code_and_message(stub.Create, new_order(**fields))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in message
    assert Order.objects.count() == 0 and OutboxEvent.objects.count() == 0


def test_invalid_argument_carries_field_errors_as_trailing_metadata(stub):
    with pytest.raises(grpc.RpcError) as caught:
        stub.Create(new_order(created_by="", equipment=[]), timeout=5)
    trailers = dict(caught.value.trailing_metadata())
    assert set(json.loads(trailers["field-errors"])) == {"created_by", "equipment"}


@pytest.mark.parametrize(
    "request_fields",
    [{"status": 12}, {"page_size": 501}, {"page_token": "abc"}, {"page_token": "\u00b2"}, {"page_token": "9" * 30}],
)
def test_bad_list_is_invalid_argument(stub, request_fields):
    assert code_and_message(stub.List, pb.ListRequest(**request_fields))[0] == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("order_id", ["0b6c8d0e-5a7c-4a39-9d5f-2c1e8a0f4b11", "nope", ""])
def test_unknown_id_is_not_found(stub, order_id):
    assert code_and_message(stub.GetOrder, pb.OrderId(id=order_id))[0] == grpc.StatusCode.NOT_FOUND
    assert code_and_message(stub.Cancel, pb.OrderId(id=order_id))[0] == grpc.StatusCode.NOT_FOUND


def test_cancelling_a_finished_order_is_failed_precondition(stub):
    done = stub.Create(new_order(status=pb.OrderMessage.COMPLETED))
    code, message = code_and_message(stub.Cancel, pb.OrderId(id=done.id))
    assert code == grpc.StatusCode.FAILED_PRECONDITION and "COMPLETED" in message


def test_oversized_request_is_refused_by_the_limit(stub):
    code, _ = code_and_message(stub.Create, new_order(created_by="x" * 100_000))
    assert code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert Order.objects.count() == 0


def test_create_succeeds_with_kafka_down(stub, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = f"127.0.0.1:{free_port()}"
    created = stub.Create(new_order())
    assert OutboxEvent.objects.get(key=created.id).sent_at is None


def test_reflection_lists_the_services(channel):
    services = set(ProtoReflectionDescriptorDatabase(channel).get_services())
    assert {"OrderService", "grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"} <= services


def test_health_is_serving(channel):
    health = health_pb2_grpc.HealthStub(channel)
    for service in ("", "OrderService"):
        response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert response.status == health_pb2.HealthCheckResponse.SERVING
