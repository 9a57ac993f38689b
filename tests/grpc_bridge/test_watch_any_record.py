"""gRPC Watch goes on past anything a producer writes: after arbitrary records (Hypothesis, the real producer and
broker; the strategies of tests/live/test_any_record.py), the next real order still arrives on the stream."""

import queue
import threading

import grpc
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from kafka import KafkaProducer

from grpc_bridge.generated import orders_pb2 as pb
from messaging import clients
from orders import services
from outbox.publisher import publish_pending
from tests.live.test_any_record import a_record
from tests.support.waiting import poll_until, wait_until

pytestmark = pytest.mark.django_db(transaction=True)


class WatchReader:
    """A Watch stream read by a thread of its own into a queue, so the test can wait with a deadline."""

    def __init__(self, stub, request: pb.WatchRequest | None = None):
        self.call = stub.Watch(request or pb.WatchRequest(), timeout=300)
        self.events: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for event in self.call:
                self.events.put(event)
        except grpc.RpcError as error:
            self.events.put(error)

    def take(self, order_id: str):
        """The next streamed event if it is of this order; None for another order's, or none within 0.1 s."""
        try:
            item = self.events.get(timeout=0.1)
        except queue.Empty:
            return None
        assert not isinstance(item, grpc.RpcError), f"Watch ended: {item.code()} {item.details()}"
        return item if item.order.id == order_id else None

    def until_order(self, order_id: str, timeout: float = 30.0):
        return wait_until(
            lambda: self.take(order_id), timeout=timeout, interval=0, message=f"Watch never streamed order {order_id}"
        )

    def until_live(self, publisher, timeout: float = 30.0) -> None:
        """Watch starts at the topic's end once its reader is assigned: place orders until one comes through."""

        def one_comes_through() -> bool:
            order = services.create_order(created_by="warm-up", equipment=["MOUSE"], source="grpc")
            assert publish_pending(publisher).sent == 1
            return bool(poll_until(lambda: self.take(str(order.order_id)), timeout=2, interval=0))

        wait_until(one_comes_through, timeout=timeout, interval=0, message="Watch never streamed a new order")


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
