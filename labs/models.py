"""What the labs keep of their own: the runs of lab 8's comparison, the evidence its Check reads."""

from django.db import models
from django.utils import timezone


class TransportRun(models.Model):
    """One learner's run of REST against gRPC (labs.transports.measure): the figures it measured."""

    learner = models.CharField(max_length=24, db_index=True)
    calls = models.PositiveIntegerField()
    figures = models.JSONField()
    ran_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-ran_at", "-id"]

    def __str__(self) -> str:
        return f"{self.learner}: {self.calls} calls at {self.ran_at:%H:%M:%S}"
