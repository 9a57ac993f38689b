"""Orders with a real history on the topic, and forged records about them, for the tests of what readers believe."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from messaging import clients
from orders import events, services
from orders.models import Order
from outbox.publisher import publish_pending


@dataclass(frozen=True)
class Orders:
    completed: str  # created, PROCESSING, COMPLETED
    queued: str  # created only


def place_orders() -> Orders:
    """Two orders through the services and the outbox publisher: one taken to COMPLETED, one left QUEUED."""
    done = services.create_order(created_by="genuine-done", equipment=["MOUSE"], source="rest")
    waiting = services.create_order(created_by="genuine-waiting", equipment=["WEBCAM"], source="grpc")
    for status in ("PROCESSING", "COMPLETED"):
        services.change_status(order_id=done.order_id, to=status, source="worker")
    publish_all()
    return Orders(str(done.order_id), str(waiting.order_id))


def publish_all() -> None:
    producer = clients.build_producer()
    try:
        while publish_pending(producer).sent:
            pass
    finally:
        clients.close_producer(producer, timeout=5)


def forged(order_id: str, event_type: str, status: str, **rewritten) -> dict:
    """A record any producer could write: a well-formed event about a real order, claiming `status` (and the
    `rewritten` order fields)."""
    snapshot = {**events.order_snapshot(Order.objects.get(order_id=order_id)), **rewritten}
    event = forged_event(snapshot, event_type, status)
    return {"key": order_id.encode(), "value": event.to_value(), "headers": event.headers()}


def forged_event(order: dict, event_type: str, status: str) -> events.OrderEvent:
    """A well-formed event about `order` (its REST body or snapshot), claiming `status`, stamped in the future."""
    return events.OrderEvent(
        event_id=str(uuid.uuid4()),
        type=event_type,
        occurred_at="2099-01-01T00:00:00Z",  # a client's clock from the future: it must not win either
        source="worker",
        order={**order, "status": status},
    )


def malformed(order_id: str) -> dict:
    return {"key": order_id.encode(), "value": b'{"type": "order.status_changed", "order": {"status": "QUEUED"'}


def status_of(order_id: str) -> str:
    return Order.objects.get(order_id=order_id).status
