"""A read-only admin view of orders, handy when debugging delivery (the outbox's is in outbox.admin).

Read-only on purpose: an order changed here would bypass orders.services and so never reach Kafka.
"""

from django.contrib import admin

from orders.models import Order
from playground.read_only_admin import ReadOnlyAdmin


@admin.register(Order)
class OrderAdmin(ReadOnlyAdmin):
    # Newest accepted first (the model's ordering); created_at is shown as the client gave it.
    list_display = ["order_id", "created_by", "status", "created_at", "accepted_at"]
    list_filter = ["status"]
    search_fields = ["order_id", "created_by"]
