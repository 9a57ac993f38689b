"""Everything the fulfilment panel shows, in one JSON-ready dict: the group, its members, lag, counters, controls.

The page polls it every second; `manage.py fulfilment status --json` prints the same.
"""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from dashboard.fulfilment_panel import consumer_groups, local_broker
from fulfilment import controls, counters
from fulfilment.models import DeliveryMode, Member, ProcessedEvent

# What each control does from a terminal; {group} and {bootstrap} are filled in.
COMMANDS = {
    "describe": "python -m localkafka consumer-groups --bootstrap-server {bootstrap} --describe --group {group}",
    "members": "python manage.py fulfil_orders --members 2",
    "pause": "python manage.py fulfilment pause",
    "resume": "python manage.py fulfilment resume",
    "step_delay_ms": "python manage.py fulfilment set --step-delay-ms 1000",
    "delivery_mode": "python manage.py fulfilment set --delivery-mode at-least-once",
    "failure_rate": "python manage.py fulfilment set --failure-rate 0.1",
    "kill": "python manage.py fulfilment kill",
    "broker_stop": "python -m localkafka stop-broker",
    "broker_start": "python -m localkafka start-broker",
}


def state() -> dict:
    control = controls.current()
    topic = consumer_groups.snapshot()
    group = next((g for g in topic["groups"] if g["group_id"] == settings.FULFILMENT_GROUP), None)
    committed = (
        None
        if topic.get("error")
        else {row["partition"]: row["committed"] for row in (group or {}).get("partitions", [])}
    )
    return {
        "controls_enabled": settings.FULFILMENT_CONTROLS,
        "group_id": settings.FULFILMENT_GROUP,
        "control": control_state(control),
        "delivery_modes": [{"value": value, "label": label} for value, label in DeliveryMode.choices],
        "members": [_member(member) for member in Member.objects.order_by("name")],
        "last_kill_deliveries": _deliveries(control.last_kill.get("order_id")),
        "topic": topic,
        "counters": counters.counters(control, committed),
        "broker": local_broker.status(),
        "commands": {
            name: command.format(group=settings.FULFILMENT_GROUP, bootstrap=settings.KAFKA_BOOTSTRAP_SERVERS)
            for name, command in COMMANDS.items()
        },
    }


def control_state(control) -> dict:
    """The group's knobs as the page shows them."""
    return {
        "paused": control.paused,
        "step_delay_ms": control.step_delay_ms,
        "members": control.members,
        "delivery_mode": control.delivery_mode,
        "failure_rate": control.failure_rate,
        "kill_requested": control.kill_requested_at is not None,
        "last_kill": control.last_kill,
    }


def _member(member: Member) -> dict:
    return {
        "name": member.name,
        "pid": member.pid,
        "host": member.host,
        "order_id": str(member.order_id) if member.order_id else None,
        "step": member.step,
        "heartbeat_seconds": round((timezone.now() - member.heartbeat_at).total_seconds(), 1),
    }


def _deliveries(order_id: str | None) -> list[dict]:
    """What each delivery of the killed order's event did, step by step: the redelivery made visible."""
    if not order_id:
        return []
    rows = ProcessedEvent.objects.filter(order_id=order_id).order_by("id")[:20]
    return [
        {
            "step": row.step,
            "member": row.member,
            "at": row.processed_at.isoformat(),
            "skipped": row.skipped,
            "partition": row.partition,
            "offset": row.offset,
        }
        for row in rows
    ]
