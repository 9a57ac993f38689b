"""The labs' JSON endpoints under /labs/: the labs for a learner, and each lab's Check and Reset.

Answers: 400 {field: [messages]} for a body without a valid learner id, 404 {"detail"} for a lab that does not exist,
403 while the controls are off (Reset only), 409 for a group's Reset while the group has members, 503
{"detail": "Kafka: …"} while the broker cannot be asked.
"""

from django.conf import settings
from drf_spectacular.utils import extend_schema
from kafka.errors import KafkaError
from rest_framework.response import Response
from rest_framework.views import APIView

from dashboard.errors import field_errors_as_400
from dashboard.fulfilment_panel.offset_reset import GroupActive
from dashboard.switches import SettingSwitch
from labs import catalogue, checks, resets
from labs.learners import parse_learner
from messaging import clients
from orders.exceptions import InvalidInput
from topics import changes


class ControlsEnabled(SettingSwitch):
    """A Reset changes the system (it deletes the Kafka lab's topic): the same switch as the page's other controls."""

    setting = "FULFILMENT_CONTROLS"
    message = "The controls are off here (FULFILMENT_CONTROLS=0): a lab cannot be reset from the page."


class LabView(APIView):
    """A lab named in the URL that does not exist is a 404; a broker that cannot be asked a 503."""

    def handle_exception(self, exc):
        if isinstance(exc, KafkaError | OSError):
            return Response({"detail": f"Kafka: {clients.error_text(exc)[:300]}"}, status=503)
        return super().handle_exception(exc)

    def lab_or_404(self, table: dict, lab: str):
        if lab not in table:
            return None, Response({"detail": f"No lab {lab[:40]!r}: the labs are {', '.join(table)}."}, status=404)
        return table[lab], None


@extend_schema(exclude=True)
class LabList(LabView):
    """GET ?learner=: every lab with its steps and commands for this learner, and whether Reset is on here."""

    @field_errors_as_400
    def get(self, request):
        learner = parse_learner(dict(request.query_params.items()))
        base_url = request.build_absolute_uri("/").rstrip("/")
        return Response(
            {
                "labs": catalogue.labs_for(learner, base_url),
                "controls": {"enabled": settings.FULFILMENT_CONTROLS, "reason": ControlsEnabled.message},
                "bootstrap_servers": changes.shown_bootstrap_servers(),
            }
        )


@extend_schema(exclude=True)
class LabCheck(LabView):
    """POST {"learner"}: the lab's Check, {passed, seen, details}, from the real system."""

    @field_errors_as_400
    def post(self, request, lab):
        check, missing = self.lab_or_404(checks.CHECKS, lab)
        if missing:
            return missing
        return Response({"lab": lab, **check(parse_learner(request.data))})


@extend_schema(exclude=True)
class LabReset(LabView):
    """POST {"learner"}: undo what the lab made (behind the controls' switch)."""

    permission_classes = [ControlsEnabled]

    @field_errors_as_400
    def post(self, request, lab):
        reset, missing = self.lab_or_404(resets.RESETS, lab)
        if missing:
            return missing
        try:
            return Response({"lab": lab, **reset(parse_learner(request.data))})
        except changes.DeleteRefused as exc:
            raise InvalidInput({"learner": [str(exc)]}) from exc
        except GroupActive as exc:
            return Response({"detail": str(exc)}, status=409)
