"""The worker group's controls: one row every member and the supervisor read, and the rules for changing it."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fulfilment.models import DeliveryMode, WorkerControl
from orders.exceptions import InvalidInput

MAX_STEP_DELAY_MS = 10_000
MAX_MEMBERS = 3  # 0 empties the group: Kafka resets the offsets of an empty group only


def current() -> WorkerControl:
    control, _ = WorkerControl.objects.get_or_create(
        pk=1,
        defaults={
            "step_delay_ms": settings.FULFILMENT_STEP_DELAY_MS,
            "failure_rate": settings.FULFILMENT_FAILURE_RATE,
        },
    )
    return control


def _errors(changes: dict) -> dict[str, list[str]]:
    checks = {
        "paused": lambda v: isinstance(v, bool),
        "step_delay_ms": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_STEP_DELAY_MS,
        "members": lambda v: isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_MEMBERS,
        "delivery_mode": lambda v: v in DeliveryMode.values,
        "failure_rate": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 1,
    }
    messages = {
        "paused": "Use true or false.",
        "step_delay_ms": f"Use 0 to {MAX_STEP_DELAY_MS} milliseconds.",
        "members": f"Use 0 to {MAX_MEMBERS} members.",
        "delivery_mode": f"Use {', '.join(DeliveryMode.values)}.",
        "failure_rate": "Use a share from 0 to 1.",
    }
    errors = {field: ["Unknown control."] for field in changes if field not in checks}
    errors.update(
        {field: [messages[field]] for field, value in changes.items() if field in checks and not checks[field](value)}
    )
    return errors


def update(**changes) -> WorkerControl:
    """Apply the changes, all or none; raise InvalidInput with every broken rule per field."""
    if errors := _errors(changes):
        raise InvalidInput(errors)
    with transaction.atomic():
        control = current()
        if changes.get("delivery_mode", control.delivery_mode) != control.delivery_mode:
            control.mode_since = timezone.now()
        for field, value in changes.items():
            setattr(control, field, value)
        control.save()
    return control


def request_kill() -> WorkerControl:
    """Ask the supervisor to SIGKILL a member in the middle of an order (it picks one as soon as one is)."""
    return update_fields(kill_requested_at=timezone.now())


def update_fields(**fields) -> WorkerControl:
    """Set fields the members and the supervisor own (no rules to check)."""
    with transaction.atomic():
        control = current()
        for field, value in fields.items():
            setattr(control, field, value)
        control.save(update_fields=list(fields))
    return control
