"""What a member does with one `order.created` event: QUEUED -> PROCESSING, the work, -> COMPLETED or FAILED.

Each step is one transaction through orders.services (so each has its outbox event, `source: "worker"`) together
with its processed-events record. The rules decide what a redelivered or a cancelled order gets: a CANCELLED (or
otherwise final) order is left alone; an order already where a step leads is a redelivery, which repeats the
step's work (at least once) unless the processed-events record says it was done (effectively once).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from opentelemetry import trace

from fulfilment.models import DeliveryMode, ProcessedEvent
from orders import rules, services
from orders.events import OrderEvent
from orders.exceptions import InvalidTransition, OrderNotFound
from orders.rules import Status

START, FINISH = "start", "finish"
tracer = trace.get_tracer(__name__)


@dataclass(frozen=True)
class Work:
    """One event as a member received it, and the knobs it runs under."""

    event: OrderEvent
    partition: int
    offset: int
    member: str
    mode: str
    step_delay_ms: int
    failure_rate: float


class _Settled(Exception):
    """The order is final (cancelled, or finished by an earlier delivery): the member moves on."""


def fulfil(work: Work, stopping: threading.Event, on_step=lambda step: None) -> str:
    """Run the steps for one order; return what happened: "completed", "failed", "skipped" (the order is final),
    "duplicate" (effectively once: an earlier delivery finished it) or "handed back".

    A stop during the work leaves the order PROCESSING and the event uncommitted: the partition's next owner gets
    it again and finishes it.
    """
    if (
        work.mode == DeliveryMode.EFFECTIVELY_ONCE
        and ProcessedEvent.objects.filter(dedupe_key=_dedupe_key(work, FINISH)).exists()
    ):
        _record_skip(work, FINISH)
        return "duplicate"
    if not _step(work, START, Status.PROCESSING):
        return "skipped"
    on_step(START)
    if stopping.wait(work.step_delay_ms / 1000):
        return "handed back"
    outcome, reason = decide(work.event.order["equipment"], work.failure_rate)
    if not _step(work, FINISH, outcome, reason):
        return "skipped"
    return outcome.lower()


def decide(equipment: list[str], failure_rate: float, chance=random.random) -> tuple[str, str]:
    """COMPLETED, or FAILED at `failure_rate` with a reason a learner recognises."""
    if equipment and chance() < failure_rate:
        return Status.FAILED, f"{random.choice(equipment)} out of stock"
    return Status.COMPLETED, ""


def _step(work: Work, step: str, to: str, reason: str = "") -> bool:
    """Do one step in one transaction; False when the order is final and the member should move on."""
    dedupe = work.mode == DeliveryMode.EFFECTIVELY_ONCE
    # A span per step: the status change it writes to the outbox carries it on to the next record.
    attributes = {"order.id": work.event.key, "fulfilment.step": step, "fulfilment.to": to}
    with tracer.start_as_current_span(f"step {to}", attributes=attributes) as span:
        try:
            with transaction.atomic():
                _record(work, step, dedupe_key=_dedupe_key(work, step) if dedupe else None)
                _move(work.event.key, to, reason)
        except IntegrityError:
            # Done by an earlier delivery of this event: skip the step, go on. Not an error: the dedupe at work.
            span.set_attribute("fulfilment.skipped", True)
            _record_skip(work, step)
        except _Settled:
            span.set_attribute("fulfilment.settled", True)
            return False
    return True


def _record(work: Work, step: str, **fields) -> None:
    ProcessedEvent.objects.create(
        event_id=work.event.event_id,
        step=step,
        order_id=work.event.key,
        member=work.member,
        delivery_mode=work.mode,
        partition=work.partition,
        offset=work.offset,
        **fields,
    )


def _record_skip(work: Work, step: str) -> None:
    _record(work, step, skipped=True)


def _dedupe_key(work: Work, step: str) -> str:
    return f"{work.event.event_id}:{step}"


def _move(order_id: str, to: str, reason: str) -> None:
    try:
        services.change_status(order_id=order_id, to=to, source="worker", reason=reason)
    except InvalidTransition as exc:
        if rules.is_final(exc.current):
            raise _Settled from exc
        if exc.current != to:
            raise
    except OrderNotFound as exc:
        raise _Settled from exc
