"""gRPC Watch goes on past anything a producer writes: after arbitrary records (Hypothesis, the real producer and
broker; the strategies of tests/live/test_any_record.py), the next real order still arrives on the stream."""

import queue
import threading
import time

import grpc
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from kafka import KafkaProducer

from grpc_bridge.generated import orders_pb2 as pb
from messaging import clients
from orders import services
from outbox.publisher import publish_pending
from tests.live.test_any_record import a_record

pytestmark = pytest.mark.django_db(transaction=True)


class WatchReader:
    """A Watch stream read by a thread of its own into a queue, so the test can wait with a deadline."""

    def __init__(self, stub):
        self.call = stub.Watch(pb.WatchRequest(), timeout=300)
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.call:
                self.events.put(event)
        except grpc.RpcError as error:
            self.events.put(error)

    def until_order(self, order_id: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while True:
            item = self.events.get(timeout=max(deadline - time.monotonic(), 0.01))
            assert not isinstance(item, grpc.RpcError), f"Watch ended: {item.code()} {item.details()}"
            if item.order.id == order_id:
                return item

    def until_live(self, publisher, timeout: float = 30.0) -> None:
        """Watch starts at the topic's end once its reader is assigned: place orders until one comes through."""
        deadline = time.monotonic() + timeout
        while True:
            order = services.create_order(created_by="warm-up", equipment=["MOUSE"], source="grpc")
            assert publish_pending(publisher).sent == 1
            try:
                self.until_order(str(order.order_id), timeout=2)
                return
            except queue.Empty:
                assert time.monotonic() < deadline, "Watch never streamed a new order"


def test_watch_delivers_real_orders_after_any_records(stub, kafka_broker, orders_topic):
    reader = WatchReader(stub)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers, linger_ms=0)
    publisher = clients.build_producer()
    try:
        reader.until_live(publisher)

        @hsettings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(records=st.lists(a_record(), min_size=1, max_size=6))
        def orders_still_arrive(records):
            for record in records:
                producer.send(orders_topic, **record)
            producer.flush(30)
            order = services.create_order(created_by="after-hostile", equipment=["MOUSE"], source="grpc")
            assert publish_pending(publisher).sent == 1
            assert reader.until_order(str(order.order_id)).type == "order.created"

        orders_still_arrive()
    finally:
        reader.call.cancel()
        producer.close()
        clients.close_producer(publisher, timeout=5)
