"""Everything the fulfilment panel shows, in one JSON-ready dict: the group, its members, lag, counters, controls,
the stuck orders and the records its members read out of order.

The page polls it every second; `manage.py fulfilment status --json` prints the same.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from dashboard.fulfilment_panel import consumer_groups, local_broker
from fulfilment import controls, counters, ordering, stuck
from fulfilment.models import DeliveryMode, Member, ProcessedEvent
from localkafka.broker import DEFAULT_HOME

# Orders the rows of the page's orders table are marked for, at most this many of each kind (the newest).
MARKED_ORDERS = 100


def state() -> dict:
    control = controls.current()
    topic = consumer_groups.snapshot()
    committed = _committed(topic)
    broker = local_broker.status()
    return {
        "controls_enabled": settings.FULFILMENT_CONTROLS,
        "group_id": settings.FULFILMENT_GROUP,
        "control": control_state(control),
        "delivery_modes": [{"value": value, "label": label} for value, label in DeliveryMode.choices],
        "members": [_member(member) for member in Member.objects.order_by("name")],
        "last_kill_deliveries": _deliveries(control.last_kill.get("order_id")),
        "topic": topic,
        "counters": counters.counters(control, committed),
        "marked": marked(committed),
        "stuck": stuck_state(),
        "ordering": ordering.state(),
        "broker": broker,
        "commands": commands(control, broker),
    }


def _committed(topic: dict) -> dict[int, int | None] | None:
    """The worker group's committed offset per partition; None while Kafka cannot be asked."""
    if topic.get("error"):
        return None
    group = next((g for g in topic["groups"] if g["group_id"] == settings.FULFILMENT_GROUP), None)
    return {row["partition"]: row["committed"] for row in (group or {}).get("partitions", [])}


def marked(committed: dict[int, int | None] | None = None, *, ask_kafka: bool = False) -> dict:
    """The orders the orders table marks, newest first, at most MARKED_ORDERS of each: lost (None while Kafka
    cannot be asked for the committed offsets) and processed twice, in any delivery mode."""
    if ask_kafka:
        committed = _committed(consumer_groups.snapshot())
    return {
        "lost": None
        if committed is None
        else counters.lost_orders(None, committed, limit=counters.MARK_WINDOW)[:MARKED_ORDERS],
        "processed_twice": counters.processed_twice_orders(limit=MARKED_ORDERS),
    }


def commands(control, broker: dict) -> dict[str, str]:
    """The terminal command beside each control, built here only: for a setting, the command that sets what the
    control shows now; for a button, the command that does what the button does next (resume when paused, start
    the broker when it is stopped). The page shows these texts as they are."""
    manage = ["python", "manage.py", "fulfilment"]
    broker_action = "start-broker" if broker["state"] == "stopped" else "stop-broker"
    return {
        "describe": shlex.join(
            [
                *("python", "-m", "localkafka", "consumer-groups"),
                *("--bootstrap-server", settings.KAFKA_BOOTSTRAP_SERVERS, "--describe", "--group"),
                settings.FULFILMENT_GROUP,
            ]
        ),
        "pause": shlex.join([*manage, "resume" if control.paused else "pause"]),
        "members": shlex.join([*manage, "set", "--members", str(control.members)]),
        "step_delay_ms": shlex.join([*manage, "set", "--step-delay-ms", str(control.step_delay_ms)]),
        "failure_rate": shlex.join([*manage, "set", "--failure-rate", _number(control.failure_rate)]),
        "delivery_mode": shlex.join([*manage, "set", "--delivery-mode", control.delivery_mode]),
        "kill": shlex.join([*manage, "kill"]),
        "stuck": shlex.join([*manage, "stuck"]),
        "recover": shlex.join([*manage, "stuck", "--recover"]),
        "broker": _control_file_env() + shlex.join(["python", "-m", "localkafka", broker_action]),
    }


def stuck_state() -> dict:
    """The stuck orders (read from the database only: the list is the same in every delivery mode), the bound that
    makes an order stuck and how often the worker recovers them (0: only on request)."""
    return {
        "after_seconds": settings.FULFILMENT_STUCK_AFTER_SECONDS,
        "recovery_seconds": settings.FULFILMENT_RECOVERY_SECONDS,
        "orders": [order.as_dict() for order in stuck.stuck_orders()],
    }


def _number(value: float) -> str:
    """0.1 as 0.1 and 1.0 as 1, as the page's number field shows them (repr is the shortest exact form)."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _control_file_env() -> str:
    """`python -m localkafka stop-broker` finds the runner through LOCAL_KAFKA_PIDFILE, as the panel does; where
    the panel's file is not the default one, the command must name it."""
    configured = Path(settings.LOCAL_KAFKA_PIDFILE).resolve()
    if configured == (DEFAULT_HOME / "run.json").resolve():
        return ""
    return f"LOCAL_KAFKA_PIDFILE={shlex.quote(str(configured))} "


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
        "positions": member.positions,
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
