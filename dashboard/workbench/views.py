"""The workbench's endpoints, for the dashboard's page; left out of the orders API's OpenAPI schema."""

import grpc
from django.conf import settings
from drf_spectacular.utils import extend_schema
from kafka.errors import KafkaError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.errors import field_errors_as_400
from dashboard.switches import SettingSwitch
from dashboard.workbench import grpc_calls, produce, wire
from orders.exceptions import InvalidInput, OrderNotFound


class ProduceEnabled(SettingSwitch):
    setting = "WORKBENCH_PRODUCE"
    message = "Producing from the page is off here (WORKBENCH_PRODUCE=0)."


class GrpcWorkbenchEnabled(SettingSwitch):
    setting = "WORKBENCH_GRPC"
    message = "Calling gRPC methods from the page is off here (WORKBENCH_GRPC=0)."


PRODUCE_FIELDS = {"topic", "partition", "key", "value", "headers", "tombstone"}


@extend_schema(exclude=True)
class ProduceRecord(APIView):
    """POST {"topic"?: name, "partition"?: n|null, "key": text|null, "value": text|null, "headers": [[name, text]],
    "tombstone"?: bool}: one record on the topic (the orders topic unless named); null partition: by the key."""

    permission_classes = [ProduceEnabled]

    @field_errors_as_400
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        unknown = sorted(set(body) - PRODUCE_FIELDS)
        if unknown or not isinstance(request.data, dict):
            raise InvalidInput(
                {name: ["Unknown field."] for name in unknown} or {"non_field_errors": ["Send a JSON object."]}
            )
        try:
            produced = produce.produce(**{name: body[name] for name in PRODUCE_FIELDS & set(body)})
        except KafkaError as exc:
            return Response(
                {"detail": f"Kafka did not take the record: {type(exc).__name__}"},
                status=status.HTTP_503_SERVICE_UNAVAILABLE,
            )
        return Response(
            {
                "topic": produced.topic,
                "partition": produced.partition,
                "offset": produced.offset,
                "timestamp": produced.timestamp,
            },
            status=status.HTTP_201_CREATED,
        )


@extend_schema(exclude=True)
class GrpcServices(APIView):
    """GET: every service and method rungrpc lists through reflection, with each request message's fields."""

    permission_classes = [GrpcWorkbenchEnabled]

    def get(self, request):
        try:
            return Response(
                {"target": settings.GRPC_TARGET if settings.PLAYGROUND_LOCAL else "", "services": grpc_calls.services()}
            )
        except grpc.RpcError as error:
            return _not_listed(error)


@extend_schema(exclude=True)
class GrpcCall(APIView):
    """POST {"method": "/pkg.Service/Method", "request": {...proto3 JSON}, "metadata": [[k, v]], "deadline_ms"}."""

    permission_classes = [GrpcWorkbenchEnabled]

    @field_errors_as_400
    def post(self, request):
        body = request.data if isinstance(request.data, dict) else {}
        try:
            report = grpc_calls.call(
                path=body.get("method"),
                request=body.get("request"),
                metadata=body.get("metadata"),
                deadline_ms=body.get("deadline_ms"),
            )
        except grpc.RpcError as error:  # describing the method (reflection) failed; the call itself is reported
            return _not_listed(error)
        return Response(report)


def _not_listed(error: grpc.RpcError) -> Response:
    return Response({"detail": grpc_calls.not_listed(error)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


@extend_schema(exclude=True)
class WireInspector(APIView):
    """GET: one order as protobuf bytes annotated per field, and its Kafka records as bytes."""

    def get(self, request, order_id):
        try:
            return Response(wire.inspect(order_id))
        except OrderNotFound:
            return Response({"detail": "No such order."}, status=status.HTTP_404_NOT_FOUND)
