"""POST /workbench/grpc/stream: a server-streaming call (Watch) from the page, relayed as JSON lines as it runs.

Each line is one of {"type": "headers"}, {"type": "message", "at", "message"} or, last, {"type": "end", "code",
"message", "trailers", "details"}. The page cancels by dropping the request: Django cancels the response on the
client's disconnect and the gRPC call is cancelled with it, so no Watch outlives the page's interest.
"""

from __future__ import annotations

import json
import time

import grpc
from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_POST
from google.protobuf import json_format

from dashboard.errors import field_errors_as_400
from dashboard.workbench import grpc_calls
from dashboard.workbench.views import GrpcWorkbenchEnabled
from orders.exceptions import InvalidInput


@require_POST
@field_errors_as_400
async def grpc_stream(request):
    if not getattr(settings, GrpcWorkbenchEnabled.setting):  # the answer of the workbench's other gRPC endpoints
        return JsonResponse({"detail": GrpcWorkbenchEnabled.message}, status=403)
    try:
        body = json.loads(request.body or b"{}")
        if not isinstance(body, dict):
            raise ValueError
    except ValueError:
        raise InvalidInput({"non_field_errors": ["Send a JSON object."]}) from None
    try:
        prepared = await sync_to_async(grpc_calls.prepare)(
            path=body.get("method"),
            request=body.get("request"),
            metadata=body.get("metadata"),
            deadline_ms=body.get("deadline_ms"),
            streaming=True,
        )
    except grpc.RpcError as error:
        return JsonResponse({"detail": grpc_calls.not_listed(error)}, status=503)
    return StreamingHttpResponse(_lines(prepared), content_type="application/x-ndjson")


async def _lines(prepared: grpc_calls.Prepared):
    channel = grpc.aio.insecure_channel(settings.GRPC_TARGET)
    call = channel.unary_stream(
        prepared.path, request_serializer=grpc_calls.serialize, response_deserializer=prepared.output.FromString
    )(prepared.message, metadata=prepared.metadata, timeout=prepared.timeout)
    try:
        yield _line({"type": "headers", "headers": grpc_calls.pairs(await call.initial_metadata() or ())})
        async for message in call:
            yield _line(
                {
                    "type": "message",
                    "at": int(time.time() * 1000),
                    "message": json_format.MessageToDict(message, preserving_proto_field_name=True),
                }
            )
        code = await call.code()
        yield _line(await _end(call, code))
    except grpc.aio.AioRpcError as failed:
        yield _line(
            {
                "type": "end",
                "code": failed.code().name,
                "message": grpc_calls.FIXED_MESSAGES.get(failed.code(), (failed.details() or "")[:1000]),
                "trailers": grpc_calls.pairs(failed.trailing_metadata() or ()),
                "details": grpc_calls.details(failed.trailing_metadata() or ()),
            }
        )
    finally:
        call.cancel()
        await channel.close()


async def _end(call, code) -> dict:
    trailers = await call.trailing_metadata() or ()
    return {
        "type": "end",
        "code": code.name,
        "message": (await call.details() or "")[:1000],
        "trailers": grpc_calls.pairs(trailers),
        "details": grpc_calls.details(trailers),
    }


def _line(item: dict) -> bytes:
    return json.dumps(item).encode() + b"\n"
