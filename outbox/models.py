"""The outbox's one table: records committed beside a change, waiting for the publisher to send them."""

from django.db import models
from django.utils import timezone


class OutboxEvent(models.Model):
    """A Kafka record waiting to be published (sent_at is null), parked (refused for good), or acknowledged.

    The row keeps the exact bytes to publish, so a retry sends what was decided at commit time.
    """

    id = models.BigAutoField(primary_key=True)
    event_id = models.UUIDField(unique=True)
    topic = models.CharField(max_length=249)
    key = models.CharField(max_length=64)
    value = models.TextField()
    headers = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    partition = models.IntegerField(null=True, blank=True)
    offset = models.BigIntegerField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True, default="")
    # Set when the broker refused the event for good: it waits for `manage.py outbox retry` or `drop`.
    parked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["id"], condition=models.Q(sent_at__isnull=True), name="outbox_waiting"),
        ]

    def __str__(self) -> str:
        state = f"sent to {self.partition}@{self.offset}" if self.sent_at else "parked" if self.parked_at else "waiting"
        return f"{self.event_id} key={self.key} {state}"
