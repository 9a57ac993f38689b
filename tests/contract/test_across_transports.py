"""A gRPC order is the same order everywhere: in the REST API and on the real Kafka topic."""

import json
import threading

import grpc
import pytest
from rest_framework.test import APIClient

from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.servicer import OrderServicer
from harness.topics import read_records
from messaging import clients
from outbox.publisher import publish_pending
from tests.support.waiting import wait_until


def publish_all():
    producer = clients.build_producer()
    try:
        return publish_pending(producer).sent
    finally:
        producer.close()


def test_grpc_order_is_visible_over_rest_and_on_kafka(stub, orders_topic, kafka_broker):
    created = stub.Create(pb.OrderMessage(created_by="grpc-user", equipment=[0, 3]), timeout=5)
    rest = APIClient().get(f"/api/orders/computers/{created.id}").json()
    assert rest["equipment"] == ["KEYBOARD", "MONITOR"] and rest["created_at"] == created.created_at
    assert publish_all() == 1
    [record] = read_records(kafka_broker.bootstrap_servers, orders_topic, expected=1)
    value = json.loads(record.value)
    assert record.key == created.id.encode()
    assert value["source"] == "grpc" and value["order"] == rest


def test_rest_and_grpc_events_have_the_same_shape(stub, orders_topic, kafka_broker):
    stub.Create(pb.OrderMessage(created_by="same", equipment=[1]), timeout=5)
    APIClient().post("/api/orders/computers", {"created_by": "same", "equipment": ["MOUSE"]}, format="json")
    publish_all()
    records = read_records(kafka_broker.bootstrap_servers, orders_topic, expected=2)
    values = [json.loads(r.value) for r in records]
    assert sorted(v["source"] for v in values) == ["grpc", "rest"]

    def strip(v):
        return {
            **v,
            "event_id": None,
            "occurred_at": None,
            "source": None,
            "order": {**v["order"], "order_id": None, "created_at": None},
        }

    assert strip(values[0]) == strip(values[1])
    assert [k for k, _ in records[0].headers] == [k for k, _ in records[1].headers]


def test_watch_streams_events_from_the_topic(channel, stub, orders_topic):
    from grpc_bridge.generated import orders_pb2_grpc

    watcher = orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest(from_beginning=True), timeout=30)
    received, done = [], threading.Event()

    def read():
        try:
            for event in watcher:
                received.append(event)
                if len(received) == 2:
                    break
        except grpc.RpcError:
            pass
        done.set()

    threading.Thread(target=read, daemon=True).start()
    first = stub.Create(pb.OrderMessage(created_by="w1", equipment=[2]), timeout=5)
    stub.Cancel(pb.OrderId(id=first.id), timeout=5)
    publish_all()
    assert done.wait(20), "Watch did not deliver two events"
    watcher.cancel()
    assert [e.type for e in received] == ["order.created", "order.status_changed"]
    assert all(e.order.id == first.id for e in received)
    assert received[1].order.status == pb.OrderMessage.CANCELLED
    assert received[0].partition == received[1].partition and received[0].offset < received[1].offset


@pytest.fixture
def servicers(monkeypatch):
    """The OrderServicers built while the test runs; ask for it before `channel` so the server's is among them."""
    built = []
    original_init = OrderServicer.__init__

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        built.append(self)

    monkeypatch.setattr(OrderServicer, "__init__", init)
    return built


def free_watch_slots(servicer: OrderServicer) -> int:
    return servicer.watch_slots._value  # read only: acquiring to probe could take a slot a stream is asking for


def test_watch_streams_are_capped_so_unary_calls_keep_a_thread(servicers, channel, stub, orders_topic):
    from grpc_bridge.generated import orders_pb2_grpc

    assert len(servicers) == 1, f"expected the test server's OrderServicer, caught {len(servicers)}"
    [servicer] = servicers
    assert servicer.max_watches == 2 and free_watch_slots(servicer) == 2
    watchers = [orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest(), timeout=30) for _ in range(2)]
    # A Watch sends nothing until an event arrives (none will), so the server's semaphore is what tells that both
    # streams really hold their slot before the third asks.
    wait_until(
        lambda: free_watch_slots(servicer) == 0,
        timeout=30,
        message=lambda: f"the two Watch streams did not both take a slot: {free_watch_slots(servicer)} free",
    )
    refused = orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest(), timeout=30)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            next(refused)
        assert caught.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert stub.Create(pb.OrderMessage(created_by="still-served", equipment=[1]), timeout=5).id
    finally:
        for watcher in watchers:
            watcher.cancel()
