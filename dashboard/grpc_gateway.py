"""POST /dashboard/grpc/create: the dashboard's way to place an order over a real gRPC channel to rungrpc.

Browsers cannot speak gRPC over HTTP/2 themselves, so this view makes the call and reports what a gRPC
client sees: the status code, its message, field errors from the trailing metadata, and the duration.
"""

from __future__ import annotations

import json
import threading
import time

import grpc
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST
from google.protobuf import json_format

from grpc_bridge.generated import orders_pb2 as pb, orders_pb2_grpc

_channel_lock = threading.Lock()
_channels: dict[str, grpc.Channel] = {}


def order_stub() -> orders_pb2_grpc.OrderServiceStub:
    """One long-lived channel per target, as gRPC intends: it multiplexes all calls and reconnects itself."""
    with _channel_lock:
        target = settings.GRPC_TARGET
        if target not in _channels:
            _channels[target] = grpc.insecure_channel(target)
        return orders_pb2_grpc.OrderServiceStub(_channels[target])


class GatewayInputError(ValueError):
    """The body cannot be expressed as an OrderMessage at all; `errors` maps fields to messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors


def request_message(body: object) -> pb.OrderMessage:
    """JSON to OrderMessage. Only what cannot go on the wire is refused here; the server judges the rest."""
    if not isinstance(body, dict):
        raise GatewayInputError({"non_field_errors": ["Send a JSON object with created_by and equipment."]})
    created_by, equipment = body.get("created_by", ""), body.get("equipment", [])
    errors = {}
    if not isinstance(created_by, str):
        errors["created_by"] = ["Must be text."]
    if not isinstance(equipment, list):
        errors["equipment"] = ["Must be a list of equipment names."]
    elif unknown := [str(name) for name in equipment if name not in pb.OrderMessage.Equipment.keys()]:
        errors["equipment"] = [f"Not in the proto enum: {', '.join(unknown)}."]
    if errors:
        raise GatewayInputError(errors)
    return pb.OrderMessage(created_by=created_by,
                           equipment=[pb.OrderMessage.Equipment.Value(name) for name in equipment])


@require_POST
def grpc_create(request: HttpRequest) -> JsonResponse:
    """Always 200 once the call was made: the gRPC outcome (OK or not) is in the body, as a client sees it."""
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; RecursionError is deeply nested JSON.
        return JsonResponse({"non_field_errors": ["Malformed JSON."]}, status=400)
    try:
        message = request_message(body)
    except GatewayInputError as exc:
        return JsonResponse(exc.errors, status=400)
    started = time.perf_counter()
    try:
        reply = order_stub().Create(message, timeout=settings.GRPC_CALL_TIMEOUT)
        outcome = {"code": grpc.StatusCode.OK.name, "message": "",
                   "order": json_format.MessageToDict(reply, always_print_fields_with_no_presence=True,
                                                      preserving_proto_field_name=True)}
    except grpc.RpcError as error:
        trailers = dict(error.trailing_metadata() or ())
        outcome = {"code": error.code().name, "message": error.details() or "",
                   "field_errors": json.loads(trailers.get("field-errors", "{}"))}
    outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    outcome["target"] = settings.GRPC_TARGET
    return JsonResponse(outcome)
