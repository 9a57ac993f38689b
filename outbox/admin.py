"""A read-only admin view of the outbox, handy when debugging delivery.

Read-only on purpose: a row changed here would publish other bytes than were committed, and a deleted one would be
an event lost (`manage.py outbox drop` is the deliberate way to give up on a parked event).
"""

from django.contrib import admin

from outbox.models import OutboxEvent


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_id", "key", "sent_at", "partition", "offset", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
