"""One member of the fulfilment consumer group: reads `order.created` events and fulfils each order.

The member commits offsets itself, one record at a time, before or after the work as the delivery mode says. It
reads the group's controls (pause, step delay, delivery mode, failure rate) before every record, keeps a heartbeat
row with the order it works on, steps past records it cannot read or that are no order event, and outlives the
broker going away: a consumer that fails is closed and a new one joins the group a moment later.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from opentelemetry import trace
from opentelemetry.trace import Link, SpanKind

from fulfilment import controls, ordering
from fulfilment.models import DeliveryMode, Member
from fulfilment.processing import Work, fulfil
from messaging import clients, trace_context
from messaging.ordering import OrderingChecker
from messaging.readers import poll_stepping_past
from orders.events import ORDER_CREATED, EventParseError, OrderEvent

logger = logging.getLogger(__name__)
tracer = trace.get_tracer(__name__)

# A killed member is noticed by the group after this; the broker's minimum (group.min.session.timeout.ms) is 6 s.
SESSION_TIMEOUT_MS = 6_000
HEARTBEAT_SECONDS = 1.0


def member_name() -> str:
    return f"fulfilment-{socket.gethostname()}-{os.getpid()}"


class GroupMember:
    def __init__(self, *, name: str | None = None, retry_seconds: float = 1.0):
        self.name = name or member_name()
        self.retry_seconds = retry_seconds
        self.stopping = threading.Event()
        self.beat_at = 0.0
        self.paused = False
        self.positions: dict[str, int | None] = {}
        # Per key, the last record this member read in order (a new consumer starts with a fresh one).
        self.ordering = OrderingChecker()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> None:
        """Consume until stopped; a consumer that fails is replaced after `retry_seconds`."""
        try:
            while not self.stopping.is_set():
                try:
                    self._consume()
                except KafkaError as exc:
                    logger.warning("%s: Kafka unavailable (%s); joining again", self.name, exc)
                except DatabaseError:
                    logger.exception("%s: database error; starting over", self.name)
                    close_old_connections()
                self.stopping.wait(self.retry_seconds)
        finally:
            Member.objects.filter(name=self.name).delete()

    def _consume(self) -> None:
        consumer = clients.build_consumer(
            group_id=settings.FULFILMENT_GROUP,
            from_beginning=True,
            client_id=self.name,
            enable_auto_commit=False,
            session_timeout_ms=SESSION_TIMEOUT_MS,
            heartbeat_interval_ms=1_000,
            # Rebalances wait for a busy member up to this: a record's work is two steps of at most 10 s.
            max_poll_interval_ms=60_000,
            reconnect_backoff_max_ms=1_000,
        )
        self.ordering = OrderingChecker()
        try:
            consumer.subscribe([settings.KAFKA_ORDERS_TOPIC])
            while not self.stopping.is_set():
                self._poll_once(consumer)
        finally:
            # Leaving the group hands the partitions over at once; what was finished is already committed.
            consumer.close(autocommit=False)

    def _poll_once(self, consumer: KafkaConsumer) -> None:
        control = controls.current()
        self.positions = _positions(consumer)
        # The heartbeat says "paused" as soon as this member has seen the pause: from then on it takes no record.
        self._beat(step="paused" if control.paused else "", force=control.paused != self.paused)
        self.paused = control.paused
        if control.paused:
            consumer.pause(*consumer.assignment())
            consumer.poll(timeout_ms=300)  # keeps the membership; paused partitions return nothing
            return
        consumer.resume(*consumer.paused())
        polled = poll_stepping_past(consumer, timeout_ms=300, max_records=1)
        if polled.records:
            # The record is worked under the controls as they are now, not as they were when the poll began: a mode
            # set while the poll waited applies to the record it returned.
            control = controls.current()
        for unreadable in polled.unreadable:
            logger.warning(
                "%s: stepped past unreadable record %d@%d: %s",
                self.name,
                unreadable.partition,
                unreadable.offset,
                unreadable.error,
            )
            self._commit(
                consumer, TopicPartition(settings.KAFKA_ORDERS_TOPIC, unreadable.partition), unreadable.offset + 1
            )
        for tp, records in polled.records.items():
            for record in records:
                self._handle(consumer, tp, record, control)

    def _handle(self, consumer: KafkaConsumer, tp: TopicPartition, record, control) -> None:
        try:
            event = OrderEvent.from_record(record.value, record.key)
        except EventParseError as exc:
            event, problem = None, f"not an order event ({str(exc)[:200]}): skipped"
        else:
            problem = ""
            self._check_order(record, event)
        before = control.delivery_mode == DeliveryMode.AT_MOST_ONCE
        if before:
            self._commit(consumer, tp, record.offset + 1)
        outcome = self._fulfil(record, event, control) if event is not None else problem
        logger.info("%s: %d@%d %s", self.name, tp.partition, record.offset, outcome)
        if outcome == "retry":
            consumer.seek(tp, record.offset)
            self.stopping.wait(self.retry_seconds)
        elif outcome != "handed back" and not before:
            self._commit(consumer, tp, record.offset + 1)

    def _check_order(self, record, event: OrderEvent) -> None:
        """Flag a record read out of its order's sequence (messaging.ordering) for the panel; it is handled all
        the same: the order rules, not the arrival order, decide what its work does."""
        reason = self.ordering.check(record.partition, record.offset, event)
        if reason:
            logger.warning("%s: %d@%d out of order: %s", self.name, record.partition, record.offset, reason)
            ordering.flag(self.name, record.partition, record.offset, event, reason)

    def _fulfil(self, record, event: OrderEvent, control) -> str:
        if event.type != ORDER_CREATED:
            return f"{event.type}: nothing to do"
        work = Work(
            event=event,
            partition=record.partition,
            offset=record.offset,
            member=self.name,
            mode=control.delivery_mode,
            step_delay_ms=control.step_delay_ms,
            failure_rate=control.failure_rate,
        )
        receive = self._delivery_span("receive", record, event)
        kept = receive.is_recording()
        receive.end()
        if kept:  # an export is a database write: only for a span that will be kept (tracing.sampling)
            trace_context.export_now()
        with trace.use_span(self._delivery_span("process", record, event), end_on_exit=True) as span:
            outcome = self._work(work)
            span.set_attribute("fulfilment.outcome", outcome)
            return outcome

    def _delivery_span(self, operation: str, record, event: OrderEvent) -> trace.Span:
        """This member's `receive` (ended as the record is taken) or `process` (the work) of the record: a child of
        the send that wrote it, linked to the record. The receive is exported at once, so a member killed mid-order
        still leaves it: a redelivery is a second receive of the same offset in the order's trace."""
        produced = trace_context.span_context_of(record.headers)
        where = {"messaging.destination.partition.id": str(record.partition), "messaging.kafka.offset": record.offset}
        return tracer.start_span(
            f"{operation} {record.topic}",
            context=trace_context.extract(record.headers),
            kind=SpanKind.CONSUMER,
            links=[Link(produced, where)] if produced else [],
            attributes={
                **where,
                "messaging.system": "kafka",
                "messaging.operation.type": operation,
                "messaging.consumer.group.name": settings.FULFILMENT_GROUP,
                "fulfilment.member": self.name,
                "order.id": event.key,
            },
        )

    def _work(self, work: Work) -> str:
        key = work.event.key
        try:
            return fulfil(work, self.stopping, on_step=lambda step: self._beat(key, step, force=True))
        except DatabaseError:
            logger.exception("%s: database error on order %s; trying again", self.name, key)
            close_old_connections()
            return "retry"
        except Exception:
            logger.exception("%s: order %s could not be fulfilled; skipped", self.name, key)
            return "failed to process: skipped"
        finally:
            self._beat(force=True)

    def _commit(self, consumer: KafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            consumer.commit({tp: OffsetAndMetadata(offset, "", -1)})
        except CommitFailedError as exc:
            # The group rebalanced: the partition's new owner starts from the last commit.
            logger.warning("%s: commit of %d@%d refused (%s)", self.name, tp.partition, offset, exc)

    def _beat(self, order_id: str | None = None, step: str = "", force: bool = False) -> None:
        """The heartbeat row the page and the supervisor read: alive, mid-order (`step` START) or not, and where it
        stands on its partitions."""
        now = time.monotonic()
        if not force and now - self.beat_at < HEARTBEAT_SECONDS:
            return
        self.beat_at = now
        fields = {"order_id": order_id, "step": step, "heartbeat_at": timezone.now(), "positions": self.positions}
        if not Member.objects.filter(name=self.name).update(**fields):
            Member.objects.create(name=self.name, pid=os.getpid(), host=socket.gethostname(), **fields)


def _positions(consumer: KafkaConsumer) -> dict[str, int | None]:
    """The next offset the member reads on each partition of the topic it owns; None where it does not know yet
    (just assigned: the first poll looks it up). Never waits for the broker."""
    positions = {}
    for tp in consumer.assignment():
        if tp.topic != settings.KAFKA_ORDERS_TOPIC:
            continue
        try:
            positions[str(tp.partition)] = consumer.position(tp, timeout_ms=0)
        except KafkaError:
            positions[str(tp.partition)] = None
    return positions
