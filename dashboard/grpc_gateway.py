"""POST /dashboard/grpc/create: the dashboard's way to place an order over a real gRPC channel to rungrpc.

Browsers cannot speak gRPC over HTTP/2 themselves, so this view makes the call and reports what a gRPC
client sees: the status code, its message, field errors from the trailing metadata, and the duration.

It answers only the dashboard's own page: Django's CSRF check (the Origin header, then the X-CSRFToken the page
sends) refuses everything else with a 403 in JSON, and a body must be application/json. Its answers never carry
internal details: not the address of rungrpc (GRPC_TARGET), and not grpc's own text for a failed transport
(UNAVAILABLE and the like name addresses and connection errors), which goes to the log instead.
"""

from __future__ import annotations

import json
import logging
import time

import grpc
from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.decorators import decorator_from_middleware
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from google.protobuf import json_format

from dashboard import grpc_channel
from dashboard.errors import field_errors_as_400
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from orders import rules
from orders.exceptions import InvalidInput
from playground.library_internals import CsrfCheck

logger = logging.getLogger(__name__)

# A list, not a dict's keys: `in` must also answer for an unhashable JSON value (a list or an object).
EQUIPMENT_NAMES = pb.OrderMessage.Equipment.keys()

# The statuses rungrpc's servicer sets itself for a client's mistake: their messages are written for the client.
# Any other status comes from the transport or the server's innards; the client gets a fixed sentence instead.
CLIENT_STATUSES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.FAILED_PRECONDITION}
FIXED_MESSAGES = {
    grpc.StatusCode.UNAVAILABLE: "The gRPC server is not reachable (is rungrpc running?).",
    grpc.StatusCode.DEADLINE_EXCEEDED: "The gRPC server did not answer in time.",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "The gRPC server refused the call as too large or too many.",
}


def order_stub() -> orders_pb2_grpc.OrderServiceStub:
    return orders_pb2_grpc.OrderServiceStub(grpc_channel.channel())


def request_message(body: object) -> pb.OrderMessage:
    """JSON to OrderMessage, or InvalidInput for what cannot go on the wire; the server judges the rest."""
    if not isinstance(body, dict):
        raise InvalidInput({"non_field_errors": ["Send a JSON object with created_by and equipment."]})
    created_by, equipment = body.get("created_by", ""), body.get("equipment", [])
    errors = {}
    if not isinstance(created_by, str):
        errors["created_by"] = ["Must be text."]
    elif not rules.is_unicode_text(created_by):
        # JSON takes "\ud800", protobuf strings are UTF-8: the domain's own message for it (a lone surrogate).
        errors["created_by"] = rules.created_by_errors(created_by)
    if not isinstance(equipment, list):
        errors["equipment"] = ["Must be a list of equipment names."]
    elif unknown := [str(name) for name in equipment if name not in EQUIPMENT_NAMES]:
        errors["equipment"] = [f"Not in the proto enum: {', '.join(unknown)}."]
    if errors:
        raise InvalidInput(errors)
    return pb.OrderMessage(
        created_by=created_by, equipment=[pb.OrderMessage.Equipment.Value(name) for name in equipment]
    )


class _JsonCsrfCheck(CsrfCheck):
    """Django's CSRF check, with its refusal as JSON (the page shows it) instead of Django's HTML page."""

    def process_view(self, request, callback, callback_args, callback_kwargs):
        reason = super().process_view(request, callback, callback_args, callback_kwargs)
        if reason is None:
            return None
        detail = f"CSRF Failed: {reason.rstrip('.')}. Place orders from the dashboard page itself."
        return JsonResponse({"detail": detail}, status=403)


def client_message(error: grpc.RpcError) -> str:
    """What the dashboard may show of a failed call's details (see the module doc)."""
    code = error.code()
    if code in CLIENT_STATUSES:
        return error.details() or ""
    logger.warning("gRPC gateway call failed: %s %s", code.name, error.details())
    return FIXED_MESSAGES.get(code, "The gRPC call failed on the server; its log has the details.")


# csrf_exempt only moves the check: Django's CsrfViewMiddleware would refuse with an HTML page; the same check
# runs inside instead (decorator_from_middleware), on every POST, JSON or not, and refuses in JSON.
@csrf_exempt
@require_POST
@decorator_from_middleware(_JsonCsrfCheck)
@field_errors_as_400
def grpc_create(request: HttpRequest) -> JsonResponse:
    """Always 200 once the call was made: the gRPC outcome (OK or not) is in the body, as a client sees it."""
    if request.content_type != "application/json":
        return JsonResponse({"non_field_errors": ["Send application/json."]}, status=415)
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, RecursionError):
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; RecursionError is deeply nested JSON.
        raise InvalidInput({"non_field_errors": ["Malformed JSON."]}) from None
    message = request_message(body)
    started = time.perf_counter()
    try:
        reply = order_stub().Create(message, timeout=settings.GRPC_CALL_TIMEOUT)
        outcome = {
            "code": grpc.StatusCode.OK.name,
            "message": "",
            "order": json_format.MessageToDict(
                reply, always_print_fields_with_no_presence=True, preserving_proto_field_name=True
            ),
        }
    except grpc.RpcError as error:
        trailers = dict(error.trailing_metadata() or ())
        outcome = {
            "code": error.code().name,
            "message": client_message(error),
            "field_errors": json.loads(trailers.get("field-errors", "{}")),
        }
    outcome["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
    return JsonResponse(outcome)
