"""Proto messages <-> domain values. Unknown enum numbers reach the domain as text, which its rules refuse."""

from __future__ import annotations

import grpc

from grpc_bridge.generated import orders_pb2
from orders import events
from orders.exceptions import InvalidOrder, InvalidTransition, OrderError, OrderNotFound

STATUS = orders_pb2.OrderMessage.Status
EQUIPMENT = orders_pb2.OrderMessage.Equipment

# Domain errors to gRPC status codes, in one table.
STATUS_CODES = {
    InvalidOrder: grpc.StatusCode.INVALID_ARGUMENT,
    OrderNotFound: grpc.StatusCode.NOT_FOUND,
    InvalidTransition: grpc.StatusCode.FAILED_PRECONDITION,
}


def status_code_for(error: OrderError) -> grpc.StatusCode:
    return STATUS_CODES[type(error)]


def status_name(number: int) -> str:
    """The status's name; an unknown number passes as its digits, for orders.rules to refuse like any name."""
    return STATUS.Name(number) if number in STATUS.values() else str(number)


def equipment_names(numbers) -> list[str]:
    """Names of known numbers; unknown ones pass as their digits, for orders.rules to refuse."""
    return [EQUIPMENT.Name(number) if number in EQUIPMENT.values() else str(number) for number in numbers]


def order_fields(message: orders_pb2.OrderMessage) -> dict:
    """The keyword arguments of services.create_order, from a Create request (its id is ignored)."""
    return {
        "created_by": message.created_by,
        "status": status_name(message.status),
        "created_at": message.created_at or None,
        "equipment": equipment_names(message.equipment),
    }


def order_to_proto(order) -> orders_pb2.OrderMessage:
    return snapshot_to_proto(events.order_snapshot(order))


def snapshot_to_proto(snapshot: dict) -> orders_pb2.OrderMessage:
    return orders_pb2.OrderMessage(
        id=snapshot["order_id"],
        created_by=snapshot["created_by"],
        status=STATUS.Value(snapshot["status"]),
        created_at=snapshot["created_at"],
        equipment=[EQUIPMENT.Value(name) for name in snapshot["equipment"]],
    )


def event_to_proto(event: events.OrderEvent, *, partition: int, offset: int) -> orders_pb2.OrderEvent:
    return orders_pb2.OrderEvent(
        event_id=event.event_id, type=event.type, occurred_at=event.occurred_at, source=event.source,
        order=snapshot_to_proto(event.order), partition=partition, offset=offset,
    )
