"""A read-only admin view of the outbox, handy when debugging delivery.

Read-only on purpose: a row changed here would publish other bytes than were committed, and a deleted one would be
an event lost (`manage.py outbox drop` is the deliberate way to give up on a parked event).
"""

from django.contrib import admin

from outbox.models import OutboxEvent
from playground.read_only_admin import ReadOnlyAdmin


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_id", "key", "sent_at", "partition", "offset", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
