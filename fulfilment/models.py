"""What the fulfilment worker group keeps in the database: its controls, its live members and the steps it did."""

from django.db import models
from django.utils import timezone


class DeliveryMode(models.TextChoices):
    """When a member commits a record's offset, and whether it dedupes: the three delivery guarantees."""

    AT_MOST_ONCE = "at-most-once", "commit before processing"
    AT_LEAST_ONCE = "at-least-once", "commit after processing"
    EFFECTIVELY_ONCE = "effectively-once", "commit after processing, dedupe by event_id"


class WorkerControl(models.Model):
    """The group's knobs (one row): set from the page or by `manage.py fulfil_orders` options, read by members."""

    paused = models.BooleanField(default=False)
    step_delay_ms = models.PositiveIntegerField(default=1000)
    members = models.PositiveSmallIntegerField(default=1)
    delivery_mode = models.CharField(max_length=20, choices=DeliveryMode.choices, default=DeliveryMode.EFFECTIVELY_ONCE)
    failure_rate = models.FloatField(default=0.1)
    # Counters of lost and repeated orders count orders created since the mode was last set.
    mode_since = models.DateTimeField(default=timezone.now)
    # Set by the page, cleared by the supervisor once it has killed a member mid-order.
    kill_requested_at = models.DateTimeField(null=True, blank=True)
    last_kill = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        state = "paused" if self.paused else "running"
        return f"{self.members} member(s), {self.delivery_mode}, {state}"


class Member(models.Model):
    """A running member's heartbeat, the order it is working on (the kill control picks one mid-order) and where
    it stands on its partitions (what decides that an order no member will read is stuck)."""

    name = models.CharField(primary_key=True, max_length=100)
    pid = models.PositiveIntegerField()
    host = models.CharField(max_length=255)
    order_id = models.UUIDField(null=True, blank=True)
    step = models.CharField(max_length=20, blank=True)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    # The next offset it will read, per partition it owns ({"0": 12}; null while it does not know yet): the
    # records at or past it are still in its queue, the ones before it it will never read again.
    positions = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"{self.name} (pid {self.pid}){f' on {self.order_id} {self.step}' if self.order_id else ''}"


class ProcessedEvent(models.Model):
    """One step a member did, or skipped, for one event: the processed-events record.

    In effectively-once mode `dedupe_key` ("<event_id>:<step>") is set and unique, so a redelivered event's step
    is skipped, and the skip is recorded too (`skipped`, no key) for the page to show; in the other modes the key
    is null and a redelivery that repeats a step shows up here twice.
    """

    event_id = models.UUIDField()
    step = models.CharField(max_length=20)
    order_id = models.UUIDField(db_index=True)
    member = models.CharField(max_length=100)
    delivery_mode = models.CharField(max_length=20, choices=DeliveryMode.choices)
    partition = models.IntegerField()
    offset = models.BigIntegerField()
    processed_at = models.DateTimeField(default=timezone.now)
    dedupe_key = models.CharField(max_length=80, null=True, blank=True, unique=True)
    skipped = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        verb = "skipped" if self.skipped else "did"
        return f"{self.member} {verb} {self.step} of {self.order_id} ({self.partition}@{self.offset})"


class OrderingFlag(models.Model):
    """A record a member read out of its order's sequence (messaging.ordering), for the panel: the newest
    fulfilment.ordering.MAX_FLAGS are kept."""

    member = models.CharField(max_length=100)
    key = models.CharField(max_length=36)
    partition = models.IntegerField()
    offset = models.BigIntegerField()
    event_type = models.CharField(max_length=40)
    status = models.CharField(max_length=20)
    reason = models.CharField(max_length=200)
    flagged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.member}: {self.key} {self.partition}@{self.offset} {self.reason}"
