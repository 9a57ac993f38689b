"""The transactional outbox publisher: sends committed events to Kafka, oldest first, and marks them sent on ack.

An idle publisher waits for a wake-up datagram from the process that committed (outbox.wakeup) or for its
poll interval, whichever comes first. Delivery is at least once: a publisher that dies after the broker's
acknowledgement but before marking the row sends the event again, so readers dedupe by `event_id`. Several
publishers may run at once; each sends the oldest waiting events first, so the first copy of one order's events
on the topic is always in commit order.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone
from kafka import KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError

from messaging import clients
from orders.models import OutboxEvent
from outbox.wakeup import WakeupListener

logger = logging.getLogger(__name__)


@dataclass
class PublishResult:
    sent: int = 0
    failed: int = 0
    unsettled: int = 0
    error: str = ""


def publish_pending(producer: KafkaProducer, *, limit: int = 500) -> PublishResult:
    """Send up to `limit` waiting events in commit order and mark the acknowledged ones sent.

    It waits until every send is settled, acknowledged or expired by the producer's delivery timeout:
    giving up earlier would leave records in the producer's buffer that a retry would then send twice.
    """
    waiting = list(OutboxEvent.objects.filter(sent_at__isnull=True).order_by("id")[:limit])
    result = PublishResult()
    in_flight = []
    for row in waiting:
        try:
            future = producer.send(
                row.topic, key=row.key.encode(), value=row.value.encode(),
                headers=[(name, value.encode()) for name, value in row.headers],
            )
        except KafkaError as exc:
            # No metadata (the broker is away): later rows would fail the same way, and must not overtake.
            result.error = f"{type(exc).__name__}: {exc}"
            break
        in_flight.append((row, future))
    try:
        producer.flush(clients.DELIVERY_TIMEOUT_MS / 1000 + 5)
    except KafkaTimeoutError:
        # Unsettled sends count as failed below; the caller must replace this producer (see step()).
        pass
    now, outcomes = connection.ops.adapt_datetimefield_value(timezone.now()), []
    result.unsettled = sum(1 for _, future in in_flight if not future.is_done)
    for row, future in in_flight:
        try:
            metadata = future.get(timeout=0)
        except KafkaError as exc:
            result.error = f"{type(exc).__name__}: {exc}"
            outcomes.append((None, None, None, result.error, row.id))
            continue
        outcomes.append((now, metadata.partition, metadata.offset, "", row.id))
    _record_outcomes(outcomes)
    result.sent = sum(1 for outcome in outcomes if outcome[0] is not None)
    result.failed = len(waiting) - result.sent
    return result


def _record_outcomes(outcomes: list[tuple]) -> None:
    """One parametrised UPDATE per row via executemany: bulk_update's CASE expressions took 85% of the time."""
    if not outcomes:
        return
    meta, quote = OutboxEvent._meta, connection.ops.quote_name
    column = {name: quote(meta.get_field(name).column) for name in
              ("sent_at", "partition", "offset", "last_error", "attempts", "id")}
    sql = (f"UPDATE {quote(meta.db_table)} SET {column['sent_at']} = %s, {column['partition']} = %s, "
           f"{column['offset']} = %s, {column['last_error']} = %s, {column['attempts']} = {column['attempts']} + 1 "
           f"WHERE {column['id']} = %s")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, outcomes)


class OutboxPublisher:
    """A loop that keeps the topic caught up with the outbox and survives the broker coming and going."""

    def __init__(self, *, poll_seconds: float, batch_size: int = 500, retry_seconds: float = 1.0,
                 wakeup_address: str = ""):
        self.poll_seconds, self.batch_size, self.retry_seconds = poll_seconds, batch_size, retry_seconds
        self.stopping = threading.Event()
        self.producer: KafkaProducer | None = None
        self.topic_checked = False
        self.wakeup = self._listen(wakeup_address)

    @staticmethod
    def _listen(address: str) -> WakeupListener | None:
        if not address:
            return None
        try:
            return WakeupListener(address)
        except (OSError, ValueError) as exc:
            logger.warning("cannot listen for wake-ups on %s (%s); polling every interval instead", address, exc)
            return None

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                if self.step() == 0:
                    self._wait_for_work()
                continue
            except KafkaError as exc:
                logger.warning("Kafka unavailable (%s); events stay in the outbox", exc)
                self.close_producer()
            except DatabaseError:
                logger.exception("outbox query failed; retrying")
                close_old_connections()
            except Exception:
                # The publisher must outlive any one failure: log it, start over with a fresh producer.
                logger.exception("outbox publisher step failed; retrying")
                self.close_producer()
            self.stopping.wait(self.retry_seconds)
        self.close_producer()
        if self.wakeup is not None:
            self.wakeup.close()

    def _wait_for_work(self) -> None:
        if self.wakeup is not None:
            self.wakeup.wait(self.poll_seconds)
        else:
            self.stopping.wait(self.poll_seconds)

    def step(self) -> int:
        """Publish one batch; return how many events were acknowledged (raise KafkaError if none could be)."""
        if self.producer is None:
            if not self.topic_checked:
                clients.ensure_topic()
                self.topic_checked = True
            self.producer = clients.build_producer()
            logger.info("outbox publisher connected to %s", self.producer.config["bootstrap_servers"])
        result = publish_pending(self.producer, limit=self.batch_size)
        if result.sent:
            logger.debug("published %d events", result.sent)
        if result.unsettled or (result.failed and not result.sent):
            raise KafkaError(result.error)
        return result.sent

    def stop(self) -> None:
        self.stopping.set()
        if self.wakeup is not None:
            self.wakeup.interrupt()

    def close_producer(self) -> None:
        if self.producer is not None:
            producer, self.producer = self.producer, None
            clients.close_producer(producer, timeout=5)
