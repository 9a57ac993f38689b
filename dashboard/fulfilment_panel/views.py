"""The fulfilment panel's endpoints: its state for everyone; the controls only where FULFILMENT_CONTROLS is on.

They serve the dashboard's panel and are left out of the orders API's OpenAPI schema, as the dashboard's gRPC
gateway is; `manage.py fulfilment` is their terminal twin.
"""

from drf_spectacular.utils import extend_schema
from kafka.errors import KafkaError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.errors import field_errors_as_400
from dashboard.fulfilment_panel import local_broker, offset_reset, panel
from dashboard.switches import SettingSwitch
from fulfilment import controls, stuck
from messaging import clients
from orders.exceptions import InvalidInput


class ControlsEnabled(SettingSwitch):
    setting = "FULFILMENT_CONTROLS"
    message = "The controls are off here (FULFILMENT_CONTROLS=0)."


@extend_schema(exclude=True)
class FulfilmentState(APIView):
    """GET: the worker group, its members, partitions, lag, counters and controls (the panel polls it)."""

    def get(self, request):
        return Response(panel.state())


@extend_schema(exclude=True)
class MarkedOrders(APIView):
    """GET: the ids of orders lost and processed twice, for the orders table's marks (a lighter poll than state)."""

    def get(self, request):
        return Response(panel.marked(ask_kafka=True))


@extend_schema(exclude=True)
class FulfilmentControls(APIView):
    """POST {paused?, step_delay_ms?, members?, delivery_mode?, failure_rate?}: all applied, or a 400 per field."""

    permission_classes = [ControlsEnabled]

    @field_errors_as_400
    def post(self, request):
        if not isinstance(request.data, dict):
            raise InvalidInput({"non_field_errors": ["Send a JSON object."]})
        control = controls.update(**request.data)
        # Only the knobs: the rest of the panel (an admin API round) comes with the page's next poll.
        return Response(panel.control_state(control))


@extend_schema(exclude=True)
class KillMember(APIView):
    """POST: SIGKILL a member in the middle of an order, as soon as one is (the supervisor does it)."""

    permission_classes = [ControlsEnabled]

    def post(self, request):
        controls.request_kill()
        return Response({"kill_requested": True}, status=status.HTTP_202_ACCEPTED)


@extend_schema(exclude=True)
class RecoverStuck(APIView):
    """POST: drive the stuck orders on now, as the worker's supervisor does on its own every so often."""

    permission_classes = [ControlsEnabled]

    def post(self, request):
        recovered = stuck.recover()
        return Response({"recovered": [order.as_dict() for order in recovered], "stuck": panel.stuck_state()})


@extend_schema(exclude=True)
class LocalBrokerControl(APIView):
    """POST {"action": "stop" | "start"}: the local broker `make run` started, and only that one."""

    permission_classes = [ControlsEnabled]
    ACTIONS = {"stop": local_broker.stop, "start": local_broker.start}

    @field_errors_as_400
    def post(self, request):
        action = request.data.get("action") if isinstance(request.data, dict) else None
        if action not in self.ACTIONS:
            raise InvalidInput({"action": ["Use stop or start."]})
        try:
            self.ACTIONS[action]()
        except local_broker.NotControllable as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response({"action": action}, status=status.HTTP_202_ACCEPTED)


@extend_schema(exclude=True)
class ResetGroupOffsets(APIView):
    """POST {"to": "earliest" | "latest" | "datetime" | "offsets", "datetime"?: ISO 8601, "offsets"?: {partition:
    offset}, "apply"?: bool}: the plan per partition (a dry run), committed when apply; 409 while the group has
    members."""

    permission_classes = [ControlsEnabled]

    @field_errors_as_400
    def post(self, request, group):
        target, apply = offset_reset.parse(request.data)
        try:
            return Response(offset_reset.reset(group, target, apply=apply))
        except offset_reset.GroupActive as exc:
            body = {"detail": str(exc), "state": exc.state, "members": exc.members}
            return Response(body, status=status.HTTP_409_CONFLICT)
        except (KafkaError, OSError) as exc:
            text = clients.error_text(exc)
            return Response({"detail": f"Kafka: {text[:300]}"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
