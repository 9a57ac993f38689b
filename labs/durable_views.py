"""The durability lab's own endpoints, beyond Check and Reset: its panel's state, and the brokers' controls.

GET /labs/durable/state?learner= answers the cluster file's brokers, the orders topic's partitions, the outbox and
the lab's order count. POST /labs/durable/brokers {"action": "crash" | "stop" | "restart", "node"} acts on the local
cluster (403 while the controls are off, 409 when this server's brokers are no cluster of ours, 400 for a bad body).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from dashboard.errors import field_errors_as_400
from labs import durable
from labs.learners import parse_learner
from labs.views import ControlsEnabled, LabView
from localkafka.cluster import ClusterControlError
from orders.exceptions import InvalidInput

ACTIONS = ("crash", "stop", "restart")


def parse_action(body: object) -> tuple[str, int | None]:
    """The action and node of a controls body; InvalidInput with every field's problem."""
    if not isinstance(body, dict):
        raise InvalidInput({"non_field_errors": ['Send a JSON object: {"action": "crash", "node": 1}.']})
    errors = {name: ["Unknown field."] for name in sorted(set(body) - {"action", "node"})}
    action, node = body.get("action"), body.get("node")
    if action not in ACTIONS:
        errors["action"] = [f"One of {', '.join(ACTIONS)}."]
    if action == "restart" and node is not None:
        errors["node"] = ["Restart starts every dead broker: give no node."]
    elif action != "restart" and (type(node) is not int or not 1 <= node <= durable.BROKERS):
        errors["node"] = [f"A broker's number, 1 to {durable.BROKERS}."]
    if errors:
        raise InvalidInput(errors)
    return action, node


@extend_schema(exclude=True)
class DurableState(LabView):
    @field_errors_as_400
    def get(self, request):
        return Response(durable.state(parse_learner(dict(request.query_params.items()))))


@extend_schema(exclude=True)
class DurableBrokers(LabView):
    permission_classes = [ControlsEnabled]

    @field_errors_as_400
    def post(self, request):
        action, node = parse_action(request.data)
        try:
            done = durable.act(action, node)
        except ClusterControlError as exc:
            return Response({"detail": str(exc)}, status=409)
        return Response({"done": done, "cluster": durable.cluster_status()})
