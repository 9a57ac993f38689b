"""A gRPC order is the same order everywhere: in the REST API and on the real Kafka topic."""

import json
import threading

import grpc
from rest_framework.test import APIClient

from grpc_bridge.generated import orders_pb2 as pb
from harness.topics import read_records
from messaging import clients
from outbox.publisher import publish_pending


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
