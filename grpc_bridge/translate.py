"""Proto messages <-> domain values. Unknown enum numbers reach the domain as text, which its rules refuse.

Domain errors become statuses here too, each part cut to a size: a message may quote what the client sent, and
a client's metadata limit (8 KB by default) fails the whole call with RESOURCE_EXHAUSTED when trailers pass it.
"""

from __future__ import annotations

import json

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from grpc_bridge.generated import orders_pb2
from messaging import judging
from orders import events
from orders.exceptions import InvalidOrder, InvalidTransition, OrderError, OrderNotFound

STATUS = orders_pb2.OrderMessage.Status
EQUIPMENT = orders_pb2.OrderMessage.Equipment
VERDICT = orders_pb2.RecordVerdict.Kind

# Domain errors to gRPC status codes, in one table.
STATUS_CODES = {
    InvalidOrder: grpc.StatusCode.INVALID_ARGUMENT,
    OrderNotFound: grpc.StatusCode.NOT_FOUND,
    InvalidTransition: grpc.StatusCode.FAILED_PRECONDITION,
}


# The trailer with {field: [messages]} as JSON that clients read since before the BadRequest detail (the dashboard).
FIELD_ERRORS_KEY = "field-errors"
# Size limits on what a refusal sends back. Worst case (every character non-ASCII, so grpc-message is
# percent-encoded to 3x its UTF-8 and JSON escapes to \uXXXX) the trailers stay near 6 KB, under the 8 KB
# where clients start refusing metadata; plain ASCII stays near 4 KB.
MAX_VIOLATION_CHARS = 200  # one field's message
MAX_VIOLATION_JSON_CHARS = 400  # ... and its JSON (an emoji is 12 characters there), so several always fit
MAX_FIELD_NAME_CHARS = 64  # field names are the domain's own, but nothing sent back is left unbounded
MAX_FIELD_ERRORS_CHARS = 1536  # the field-errors JSON; the BadRequest detail carries the same pairs
MAX_DETAILS_BYTES = 512  # the status message (UTF-8), in grpc-message and again in the Status proto
ELLIPSIS = "\u2026"


def status_code_for(error: OrderError) -> grpc.StatusCode:
    return STATUS_CODES[type(error)]


def clipped(text: str, limit: int) -> str:
    """`text` cut to `limit` characters (an ellipsis included), with anything UTF-8 cannot carry replaced."""
    if len(text) > limit:
        text = text[: limit - 1] + ELLIPSIS
    return text.encode("utf-8", "replace").decode("utf-8")


def clipped_details(text: str, limit: int = MAX_DETAILS_BYTES) -> str:
    """A status message cut to `limit` UTF-8 bytes: gRPC percent-encodes every non-ASCII byte of it."""
    encoded = text.encode("utf-8", "replace")
    if len(encoded) <= limit:
        return encoded.decode("utf-8")
    return encoded[: limit - len(ELLIPSIS.encode())].decode("utf-8", "ignore") + ELLIPSIS


def clipped_for_json(text: str, limit: int) -> str:
    """`text` cut so that its JSON string (quotes and \\uXXXX escapes included) is at most `limit` characters."""
    if len(json.dumps(text)) <= limit:
        return text
    budget, used, kept = limit - len(json.dumps(ELLIPSIS)), 0, []
    for character in text:
        used += len(json.dumps(character)) - 2
        if used > budget:
            break
        kept.append(character)
    return "".join(kept) + ELLIPSIS


def bounded_field_errors(errors: dict[str, list[str]]) -> tuple[dict[str, list[str]], int]:
    """The field errors a client is sent, each message clipped, the whole under MAX_FIELD_ERRORS_CHARS of JSON;
    and how many messages were left out to stay under it (0 for any input the domain refuses today)."""
    kept: dict[str, list[str]] = {}
    size = len(json.dumps(kept))
    total = sum(len(messages) for messages in errors.values())
    for field, messages in errors.items():
        name = clipped(str(field), MAX_FIELD_NAME_CHARS)
        for message in messages:
            text = clipped_for_json(clipped(str(message), MAX_VIOLATION_CHARS), MAX_VIOLATION_JSON_CHARS)
            # What this pair adds to the JSON: the message and its separator, plus the key the first time.
            added = len(json.dumps(text)) + 2 + (len(json.dumps(name)) + 6 if name not in kept else 0)
            if size + added > MAX_FIELD_ERRORS_CHARS:
                return kept, total - sum(len(m) for m in kept.values())
            kept.setdefault(name, []).append(text)
            size += added
    return kept, 0


def invalid_argument_status(error: InvalidOrder) -> grpc.Status:
    """INVALID_ARGUMENT as grpcurl, grpcui and any google.rpc-aware client read it: the message, the standard
    `grpc-status-details-bin` trailer (a google.rpc.Status with one BadRequest.FieldViolation per message) and,
    for older clients, the `field-errors` JSON trailer. All of it bounded whatever the client sent."""
    errors, left_out = bounded_field_errors(error.errors)
    note = f" ({left_out} more messages left out)" if left_out else ""
    # The domain's own wording of the summary, over the clipped messages.
    message = clipped_details(str(InvalidOrder(errors)), MAX_DETAILS_BYTES - len(note)) + note
    detail = error_details_pb2.BadRequest(
        field_violations=[
            error_details_pb2.BadRequest.FieldViolation(field=field, description=text)
            for field, texts in errors.items()
            for text in texts
        ]
    )
    status = status_pb2.Status(code=code_pb2.INVALID_ARGUMENT, message=message)
    status.details.add().Pack(detail)
    rich = rpc_status.to_status(status)
    return rich._replace(trailing_metadata=(*rich.trailing_metadata, (FIELD_ERRORS_KEY, json.dumps(errors))))


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
        "delivery_note": message.delivery_note,
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
        delivery_note=snapshot.get("delivery_note", ""),
    )


def event_to_proto(event: events.OrderEvent, *, partition: int, offset: int, **verdict) -> orders_pb2.OrderEvent:
    return orders_pb2.OrderEvent(
        event_id=event.event_id,
        type=event.type,
        occurred_at=event.occurred_at,
        source=event.source,
        order=snapshot_to_proto(event.order),
        partition=partition,
        offset=offset,
        **verdict,
    )


def judged_to_proto(judged: judging.Judged, *, partition: int, offset: int) -> orders_pb2.OrderEvent:
    """A Watch message for one judged record: its event with the verdict (absent for a plain accepted event, so
    those keep their bytes), or, for a record that is no event a proto can carry, only where it is and why."""
    verdict = {}
    if not judged.accepted or judged.hand_made:
        verdict["verdict"] = orders_pb2.RecordVerdict(
            kind=VERDICT.Value(judged.verdict.upper()), reason=clipped(judged.reason, 1000), hand_made=judged.hand_made
        )
    if judged.event is not None:
        try:
            return event_to_proto(judged.event, partition=partition, offset=offset, **verdict)
        except ValueError:
            # JSON's "\ud800" escapes parse into text a protobuf string (UTF-8) cannot carry; the verdict says so.
            pass
    return orders_pb2.OrderEvent(partition=partition, offset=offset, **verdict)
