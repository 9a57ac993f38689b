"""The outbox's one write: records a caller commits beside its own change, for the publisher to send after commit."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import transaction

from messaging import trace_context
from outbox import wakeup
from outbox.models import OutboxEvent


@dataclass(frozen=True)
class Message:
    """One Kafka record to publish as given: `value` and header values are UTF-8 bytes or text.

    `event_id` names the record for its readers' dedupe (delivery is at least once) and for `manage.py outbox`.
    """

    topic: str
    key: str
    value: bytes | str
    headers: Sequence[tuple[str, bytes | str]] = ()
    event_id: uuid.UUID | str = field(default_factory=uuid.uuid4)


def record(*messages: Message) -> None:
    """Write the messages in the caller's transaction (one INSERT), so they exist if and only if it commits.

    Each row keeps the trace context current here (messaging.trace_context), so the trace that made the change
    goes on when the publisher sends it, whenever that is; or, from a process that traces but made no span for the
    change, a context that says it is not traced.

    Side effect: once that transaction commits, the publisher is nudged (outbox.wakeup) so it need not wait for its
    poll; a nudge that fails never fails the caller, whose change is committed by then.
    """
    trace_headers = trace_context.current_headers() or trace_context.untraced_headers()
    OutboxEvent.objects.bulk_create(
        [
            OutboxEvent(
                event_id=message.event_id,
                topic=message.topic,
                key=message.key,
                value=_text(message.value),
                headers=[[name, _text(value)] for name, value in [*message.headers, *trace_headers]],
            )
            for message in messages
        ]
    )
    transaction.on_commit(wakeup.nudge_publisher, robust=True)


def _text(value: bytes | str) -> str:
    """The row keeps text; bytes that are not UTF-8 are refused here, inside the caller's transaction."""
    return value.decode() if isinstance(value, bytes) else value
