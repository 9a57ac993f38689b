"""The topics' JSON endpoints under /kafka/topics/: the list, one topic's details, its records; create and delete
only where the controls are on (FULFILMENT_CONTROLS) and the broker is the local one `make run` started.

Answers: 404 {"detail"} for a topic the broker has not, 400 {field: [messages]} for refused input, 409 for a topic
that exists already or one this page never deletes, 503 {"detail": "Kafka: …"} while the broker cannot be asked.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from kafka.errors import KafkaError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.errors import field_errors_as_400
from dashboard.fulfilment_panel import local_broker
from dashboard.switches import SettingSwitch
from messaging import clients
from topics import browse, browse_query, changes, inventory, keys


class ControlsEnabled(SettingSwitch):
    setting = "FULFILMENT_CONTROLS"
    message = "The controls are off here (FULFILMENT_CONTROLS=0)."


class LocalBrokerOnly(ControlsEnabled):
    """A change to the broker's topics: the controls' switch, and only the local broker of `make run`."""

    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        super().has_permission(request, view)
        if refusal := controls()["reason"]:
            raise exceptions.PermissionDenied(refusal)
        return True


def controls() -> dict:
    """Whether the page may create and delete topics here, and why not."""
    if not settings.FULFILMENT_CONTROLS:
        return {"enabled": False, "reason": ControlsEnabled.message}
    local = local_broker.status()
    if not local["controllable"]:
        return {
            "enabled": False,
            "reason": f"Topics are created and deleted on the local broker only: {local['reason']}.",
        }
    return {"enabled": True, "reason": ""}


def kafka_away(exc: BaseException) -> Response:
    text = clients.error_text(exc)
    return Response({"detail": f"Kafka: {text[:300]}"}, status=status.HTTP_503_SERVICE_UNAVAILABLE)


def not_found(exc: inventory.TopicNotFound) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_404_NOT_FOUND)


class BrokerView(APIView):
    """Every handler's answer when the topic is not there (404) or the broker cannot be asked (503), in one place."""

    def handle_exception(self, exc):
        if isinstance(exc, inventory.TopicNotFound):
            return not_found(exc)
        if isinstance(exc, KafkaError | OSError):
            return kafka_away(exc)
        return super().handle_exception(exc)


@extend_schema(exclude=True)
class TopicList(BrokerView):
    """GET: every topic with its partitions, replication factor, size and records. POST {"name", "partitions"?,
    "replication_factor"?, "configs"?: {name: value}, "validate_only"?}: create one (201), or only validate (200)."""

    permission_classes = [LocalBrokerOnly]

    def get(self, request):
        topics = inventory.list_topics()
        return Response(
            {
                "bootstrap_servers": changes.shown_bootstrap_servers(),
                "orders_topic": settings.KAFKA_ORDERS_TOPIC,
                "topics": topics,
                "controls": controls(),
                "commands": {"list": changes.list_command()},
            }
        )

    @field_errors_as_400
    def post(self, request):
        topic, validate_only = changes.parse_new_topic(request.data)
        try:
            created = changes.create(topic, validate_only=validate_only)
        except changes.TopicExists as exc:
            return Response({"name": [str(exc)], "detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        return Response(created, status=status.HTTP_200_OK if validate_only else status.HTTP_201_CREATED)


@extend_schema(exclude=True)
class TopicDetail(BrokerView):
    """GET: the topic, per partition leader, replicas, in-sync replicas, log and size, and every config marked
    default or override. DELETE: delete it (never the orders topic nor an internal one: 409)."""

    permission_classes = [LocalBrokerOnly]

    def get(self, request, name):
        topic = inventory.describe_topic(name)
        topic["controls"] = controls()
        topic["orders_topic"] = name == settings.KAFKA_ORDERS_TOPIC
        topic["commands"] = {"describe": changes.describe_command(name), "delete": changes.delete_command(name)}
        return Response(topic)

    def delete(self, request, name):
        try:
            return Response(changes.delete(name))
        except changes.DeleteRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)


@extend_schema(exclude=True)
class TopicRecords(BrokerView):
    """GET ?partition=&offset=&before=&after=&limit=: a page of the topic's records as the feed's frames, newest
    first, with the cursors of the older and newer pages."""

    @field_errors_as_400
    def get(self, request, name):
        query = browse_query.parse_query(request.query_params)
        return Response(browse.browse(name, query))


@extend_schema(exclude=True)
class KeyPartition(BrokerView):
    """GET ?key=: the partition of the topic that Kafka's default partitioner gives the key (its UTF-8 bytes), with
    the hash and each step (topics.keys)."""

    def get(self, request, name):
        key = request.query_params.get("key")
        if key is None:
            return Response({"key": ["Give the key: ?key=…"]}, status=status.HTTP_400_BAD_REQUEST)
        if len(key.encode(errors="replace")) > keys.MAX_KEY_BYTES:
            return Response({"key": [f"At most {keys.MAX_KEY_BYTES} bytes."]}, status=status.HTTP_400_BAD_REQUEST)
        return Response(keys.partition_of(key, inventory.partition_count(name)))
