"""Read-only admin views of orders and the outbox, handy when debugging delivery.

Read-only on purpose: an order changed here would bypass orders.services and so never reach Kafka, and a deleted
outbox row would be an event lost.
"""

from django.contrib import admin

from orders.models import Order, OutboxEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "created_by", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "created_by"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ["id", "event_id", "key", "sent_at", "partition", "offset", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
