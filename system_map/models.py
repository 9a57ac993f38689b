"""Which playground processes are running: one row per process, written by the process itself every few seconds
(system_map.presence). Idle processes export no spans, so this is how the map knows they are there."""

from django.db import models


class Presence(models.Model):
    """One process's last heartbeat."""

    # The process's OTEL_SERVICE_NAME ("web", "grpc", "publisher", "worker") and which one of its kind (pid@host).
    service = models.CharField(max_length=64)
    instance = models.CharField(max_length=128, unique=True)
    # Where it listens ("127.0.0.1:8000"), when it does.
    address = models.CharField(max_length=128, blank=True, default="")
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField()
    # A few figures of the process's own (a relay's socket count, a worker's role), at most MAX_DETAILS_BYTES.
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["service", "started_at", "instance"]
        indexes = [models.Index(fields=["last_seen"], name="presence_seen")]

    def __str__(self) -> str:
        return f"{self.service} {self.instance}"
