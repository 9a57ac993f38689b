"""The order domain's one table; each change's events go to the outbox (outbox.models) in the same transaction."""

import uuid

from django.db import models
from django.utils import timezone

from orders.rules import MAX_CREATED_BY_LENGTH, MAX_DELIVERY_NOTE_LENGTH, Status


class Order(models.Model):
    """A computer order; `equipment` is a list of Equipment values, repeats allowed.

    `created_at` is the client's to set, kept and shown as given; `accepted_at` is the server's clock when it took
    the order, and it alone decides "newest first": a client's date cannot bury an order or pin one on top.
    """

    order_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.CharField(max_length=MAX_CREATED_BY_LENGTH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(default=timezone.now, editable=False)
    equipment = models.JSONField()
    # Version 2 of the order (optional): "" is no note, and an order without one looks as in version 1 everywhere.
    delivery_note = models.CharField(max_length=MAX_DELIVERY_NOTE_LENGTH, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The one "newest first" of every list (REST, gRPC, the page, the admin); the id breaks ties.
        ordering = ["-accepted_at", "-order_id"]
        indexes = [
            models.Index(fields=["-accepted_at", "-order_id"], name="order_newest_accepted_first"),
            models.Index(fields=["status"], name="order_status"),
            models.Index(fields=["created_by"], name="order_created_by"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.status} by {self.created_by}"
