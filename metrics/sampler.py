"""One sample of the orders topic for the charts: each partition's end offset and each consumer group's lag, read
through the groups panel's snapshot (the same admin calls `kafka-consumer-groups --describe` makes), written as one
set of rows with one timestamp. A sample Kafka could not answer writes nothing: the charts show a gap there.

Bounded: after each sample the rows older than METRICS_WINDOW_SECONDS are deleted, and one sample keeps at most
MAX_PARTITIONS partitions and MAX_GROUPS groups.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.utils import timezone

from dashboard.fulfilment_panel import consumer_groups
from messaging import clients
from metrics.models import GroupLagSample, PartitionSample

logger = logging.getLogger(__name__)

MAX_PARTITIONS = 256
MAX_GROUPS = 50


@dataclass
class Sampled:
    """What one sample wrote and trimmed, how long it took, and why it wrote nothing (Kafka's error), if it did."""

    rows: int
    trimmed: int
    seconds: float
    error: str | None = None


def record(snapshot: dict, at: datetime) -> int:
    """Write one sample from a groups-panel snapshot; nothing when the snapshot is Kafka's error (a gap)."""
    if snapshot.get("error"):
        return 0
    topic = snapshot["topic"]
    partitions = [
        PartitionSample(sampled_at=at, topic=topic, partition=row["partition"], log_end=row["log_end"])
        for row in snapshot["partitions"][:MAX_PARTITIONS]
    ]
    groups = [
        GroupLagSample(sampled_at=at, topic=topic, group_id=group["group_id"], lag=group["lag"])
        for group in snapshot["groups"][:MAX_GROUPS]
    ]
    with transaction.atomic():
        PartitionSample.objects.bulk_create(partitions)
        GroupLagSample.objects.bulk_create(groups)
    return len(partitions) + len(groups)


def trim(now: datetime, window_seconds: float | None = None) -> int:
    """Delete the samples older than the window; return how many rows went."""
    cut = now - timedelta(seconds=window_seconds or settings.METRICS_WINDOW_SECONDS)
    partitions, _ = PartitionSample.objects.filter(sampled_at__lt=cut).delete()
    groups, _ = GroupLagSample.objects.filter(sampled_at__lt=cut).delete()
    return partitions + groups


def sample_once(topic: str | None = None, now: datetime | None = None) -> Sampled:
    started = time.perf_counter()
    now = now or timezone.now()
    snapshot = consumer_groups.snapshot(topic or settings.KAFKA_ORDERS_TOPIC)
    rows = record(snapshot, now)
    trimmed = trim(now)
    return Sampled(rows, trimmed, time.perf_counter() - started, snapshot.get("error"))


class Sampler:
    """Samples every `interval` seconds until stop(); any error skips one sample (a gap in the charts), never the
    loop."""

    def __init__(self, interval: float | None = None, topic: str | None = None):
        self.interval = interval or settings.METRICS_SAMPLE_SECONDS
        self.topic = topic
        self._stopping = threading.Event()
        self._last_error: str | None = None

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        while not self._stopping.is_set():
            started = time.monotonic()
            self._sample()
            self._stopping.wait(max(self.interval - (time.monotonic() - started), 0.0))

    def _sample(self) -> None:
        # A connection the database dropped is replaced before the next sample; inside a test's transaction, kept.
        if connection.get_autocommit():
            close_old_connections()
        try:
            error = sample_once(self.topic).error
        except DatabaseError as exc:
            error = f"the database refused the sample: {exc}"
        except Exception as exc:
            # Any other failure is a gap too: honcho stops all of `make run` when one of its processes exits.
            logger.exception("the sample failed")
            error = clients.error_text(exc)
        if error != self._last_error:
            if error:
                logger.warning("no sample (a gap in the charts): %s", error)
            else:
                logger.info("sampling again")
            self._last_error = error
