"""Read-mostly admin views of orders and the outbox, handy when debugging delivery."""

from django.contrib import admin

from orders.models import Order, OutboxEvent


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["order_id", "created_by", "status", "created_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "created_by"]


@admin.register(OutboxEvent)
class OutboxEventAdmin(admin.ModelAdmin):
    list_display = ["id", "event_id", "key", "sent_at", "partition", "offset", "attempts"]
    list_filter = [("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = [field.name for field in OutboxEvent._meta.fields]
