"""gRPC calls from the page, built from the server's reflection, not from our generated code.

The services, methods and request messages are whatever rungrpc lists (grpcio-reflection); a request arrives as
proto3 JSON, is encoded with the descriptor the server gave, and the answer is reported as a gRPC client sees it:
status code, message, structured error details (google.rpc.Status, e.g. BadRequest field violations), response
headers and trailers, duration, and the response both as it was on the wire and with proto3's defaults filled in.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass

import grpc
from django.conf import settings
from google.protobuf import descriptor_pool, json_format, message_factory
from google.protobuf.descriptor import FieldDescriptor
from google.rpc import error_details_pb2, status_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase

from dashboard import grpc_channel
from orders.exceptions import InvalidInput

MAX_DEADLINE_MS = 60_000
# A unary call the page makes without a deadline of its own gets this one; a stream gets the other. The page's
# stream is for watching a lesson; rungrpc ends any stream at its own lifetime too (stream_limits.py).
UNARY_DEADLINE_SECONDS = 30.0
STREAM_DEADLINE_SECONDS = 10 * 60.0
MAX_METADATA = 16
# Transport failures name addresses and sockets: the page gets a fixed sentence for these instead.
FIXED_MESSAGES = {grpc.StatusCode.UNAVAILABLE: "The gRPC server is not reachable (is rungrpc running?)."}
# When the server's methods could not be listed or described (reflection), the page gets one of these.
NOT_LISTED = {
    grpc.StatusCode.DEADLINE_EXCEEDED: "The gRPC server did not list its methods in time.",
    grpc.StatusCode.RESOURCE_EXHAUSTED: "The gRPC server is busy: every stream slot is taken (listing its methods "
    "takes one). Try again shortly.",
}
# Scalar field types by number, as a form names them ("string", "int32", ...).
SCALAR_TYPES = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in vars(FieldDescriptor).items()
    if name.startswith("TYPE_") and isinstance(value, int)
}
KINDS = {
    (False, False): "unary",
    (False, True): "server streaming",
    (True, False): "client streaming",
    (True, True): "bidirectional streaming",
}


_lock = threading.Lock()
_reflected: dict[str, tuple[grpc.Channel, ProtoReflectionDescriptorDatabase, descriptor_pool.DescriptorPool]] = {}


def _server():
    """The page's channel, and the descriptors the server listed through it (asked for again on a new channel)."""
    channel = grpc_channel.channel()
    with _lock:
        target = settings.GRPC_TARGET
        if target not in _reflected or _reflected[target][0] is not channel:
            database = ProtoReflectionDescriptorDatabase(channel)
            _reflected[target] = (channel, database, descriptor_pool.DescriptorPool(database))
        return _reflected[target]


def _forget() -> None:
    with _lock:
        channel, *_ = _reflected.pop(settings.GRPC_TARGET, (None,))
    if channel is not None:
        grpc_channel.discard(channel)


def services() -> list[dict]:
    """Every service the server lists, with each method's kind and request message as a form can show it."""
    try:
        _, database, pool = _server()
        listed = []
        for name in sorted(database.get_services()):
            service = pool.FindServiceByName(name)
            listed.append({"name": name, "methods": [_method(service, method) for method in service.methods]})
        return listed
    except grpc.RpcError:
        _forget()
        raise


def _method(service, method) -> dict:
    return {
        "name": method.name,
        "path": f"/{service.full_name}/{method.name}",
        "kind": KINDS[(method.client_streaming, method.server_streaming)],
        "input": method.input_type.full_name,
        "output": method.output_type.full_name,
        "fields": _fields(method.input_type),
    }


def _fields(message, depth: int = 0) -> list[dict]:
    fields = []
    for field in message.fields:
        entry = {
            "name": field.name,
            "json_name": field.json_name,
            "number": field.number,
            "type": _type_name(field),
            "repeated": field.is_repeated,
            "optional": field.has_presence and field.containing_oneof is not None,
        }
        if field.type == FieldDescriptor.TYPE_ENUM:
            entry["enum"] = [value.name for value in field.enum_type.values]
        if field.type == FieldDescriptor.TYPE_MESSAGE and depth < 2:
            entry["fields"] = _fields(field.message_type, depth + 1)
        fields.append(entry)
    return fields


def _type_name(field) -> str:
    if field.type == FieldDescriptor.TYPE_ENUM:
        return field.enum_type.full_name
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return field.message_type.full_name
    return SCALAR_TYPES[field.type]


@dataclass(frozen=True)
class Prepared:
    """A call the page asked for, checked and encoded with the server's descriptors, not yet made."""

    path: str
    message: object
    output: type
    metadata: list[tuple[str, str]]
    timeout: float | None


def prepare(*, path: object, request: object, metadata: object, deadline_ms: object, streaming: bool) -> Prepared:
    """Check and encode a unary (or, with `streaming`, a server-streaming) call; raise InvalidInput, listing every
    field the page sent wrong."""
    _, _, pool = _server()
    method = _find_method(pool, path, streaming)
    errors: dict[str, list[str]] = {}
    pairs = _metadata(metadata, errors)
    timeout = _deadline(deadline_ms, errors, default=STREAM_DEADLINE_SECONDS if streaming else UNARY_DEADLINE_SECONDS)
    message = _request(pool, method, request, errors)
    if errors:
        raise InvalidInput(errors)
    return Prepared(
        f"/{method.containing_service.full_name}/{method.name}",
        message,
        message_factory.GetMessageClass(method.output_type),
        pairs,
        timeout,
    )


def call(*, path: object, request: object, metadata: object, deadline_ms: object) -> dict:
    """Make one unary call; raise InvalidInput for what the page sent wrong (nothing is called then)."""
    prepared = prepare(path=path, request=request, metadata=metadata, deadline_ms=deadline_ms, streaming=False)
    channel, _, _ = _server()
    invoke = channel.unary_unary(
        prepared.path, request_serializer=serialize, response_deserializer=prepared.output.FromString
    )
    started = time.perf_counter()
    try:
        response, outcome = invoke.with_call(prepared.message, metadata=prepared.metadata, timeout=prepared.timeout)
    except grpc.RpcError as failed:
        return _report(failed, None, started, prepared.message)
    return _report(outcome, response, started, prepared.message)


def serialize(message) -> bytes:
    return message.SerializeToString()


def _find_method(pool, path: object, streaming: bool):
    try:
        service_name, method_name = str(path).strip("/").split("/")
        method = pool.FindServiceByName(service_name).methods_by_name[method_name]
    except (ValueError, KeyError):
        raise InvalidInput({"method": ["Choose a method the server lists."]}) from None
    kind = KINDS[(method.client_streaming, method.server_streaming)]
    if kind != ("server streaming" if streaming else "unary"):
        raise InvalidInput(
            {
                "method": [
                    f"{method.name} is {kind}; this endpoint calls "
                    f"{'server streaming' if streaming else 'unary'} methods."
                ]
            }
        )
    return method


def _metadata(metadata: object, errors: dict) -> list[tuple[str, str]]:
    pairs = metadata or []
    if (
        not isinstance(pairs, list)
        or len(pairs) > MAX_METADATA
        or not all(
            isinstance(pair, list) and len(pair) == 2 and all(isinstance(part, str) for part in pair) for pair in pairs
        )
    ):
        errors["metadata"] = [f"Send up to {MAX_METADATA} [key, value] pairs of text."]
        return []
    for key, value in pairs:
        if (
            not key
            or key != key.lower()
            or not key.isascii()
            or key.endswith("-bin")
            or key.startswith("grpc-")
            or not value.isascii()
            or not value.isprintable()
        ):
            errors["metadata"] = [
                f"{key[:40]!r}: keys are lower-case ASCII, not grpc-* or *-bin; values printable ASCII."
            ]
            return []
    return [(key, value) for key, value in pairs]


def not_listed(error: grpc.RpcError) -> str:
    """What the page is told when reflection failed: a fixed sentence, never grpc's text (it names addresses)."""
    return NOT_LISTED.get(error.code(), FIXED_MESSAGES[grpc.StatusCode.UNAVAILABLE])


def _deadline(deadline_ms: object, errors: dict, default: float) -> float | None:
    if deadline_ms is None or deadline_ms == "":
        return default
    if (
        not isinstance(deadline_ms, (int, float))
        or isinstance(deadline_ms, bool)
        or not 0 < deadline_ms <= MAX_DEADLINE_MS
    ):
        errors["deadline_ms"] = [f"Use 1 to {MAX_DEADLINE_MS} milliseconds."]
        return None
    return deadline_ms / 1000


def _request(pool, method, request: object, errors: dict):
    message = message_factory.GetMessageClass(method.input_type)()
    try:
        json_format.ParseDict(request if request is not None else {}, message, descriptor_pool=pool)
    except (json_format.ParseError, TypeError, ValueError) as exc:
        errors["request"] = [str(exc)[:300]]
    return message


def _report(outcome, response, started: float, request) -> dict:
    code = outcome.code()
    trailers = list(outcome.trailing_metadata() or ())
    report = {
        "code": code.name,
        "code_number": code.value[0],
        "message": FIXED_MESSAGES.get(code, (outcome.details() or "")[:1000]),
        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
        "headers": pairs(outcome.initial_metadata() or ()),
        "trailers": pairs(trailers),
        "details": details(trailers),
        "request_bytes": request.SerializeToString().hex(),
    }
    if response is not None:
        report["response"] = json_format.MessageToDict(response, preserving_proto_field_name=True)
        report["response_with_defaults"] = json_format.MessageToDict(
            response, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
        )
        report["response_bytes"] = response.SerializeToString().hex()
    return report


def pairs(metadata) -> list[list[str]]:
    """Metadata as [key, text] pairs; binary values (keys ending in -bin) as base64."""
    return [[key, base64.b64encode(value).decode() if isinstance(value, bytes) else value] for key, value in metadata]


def details(trailers) -> list[dict]:
    """The structured error (google.rpc.Status in grpc-status-details-bin): BadRequest field violations shown."""
    raw = next((value for key, value in trailers if key == "grpc-status-details-bin"), None)
    if raw is None:
        return []
    status = status_pb2.Status.FromString(raw)
    details = []
    for detail in status.details:
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            details.append(
                {
                    "type": "google.rpc.BadRequest",
                    "field_violations": [
                        {"field": v.field, "description": v.description} for v in bad_request.field_violations
                    ],
                }
            )
        else:
            details.append({"type": detail.TypeName()})
    return details
