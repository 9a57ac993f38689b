"""The spans every process of the playground keeps, in the database they all share: the page reads a trace from
here, with no tracing service to run. Bounded: tracing.store drops the oldest past TRACING_MAX_SPANS."""

from django.db import models


class SpanRecord(models.Model):
    """One finished span, as OpenTelemetry's SDK handed it to tracing.store.DatabaseSpanExporter."""

    id = models.BigAutoField(primary_key=True)
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    parent_span_id = models.CharField(max_length=16, blank=True, default="")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16)
    # The process that recorded it (its OTEL_SERVICE_NAME, e.g. "web") and which one of its kind (pid@host).
    service = models.CharField(max_length=64)
    instance = models.CharField(max_length=128)
    start_ns = models.BigIntegerField()
    end_ns = models.BigIntegerField()
    status = models.CharField(max_length=8, default="UNSET")
    # The order it is about, when one is (the attribute "order.id"): how a waterfall finds an order's traces.
    order_id = models.CharField(max_length=36, blank=True, default="")
    attributes = models.JSONField(default=dict)
    # [{"trace_id", "span_id", "attributes"}]: the records a fan-out or a redelivery came from.
    links = models.JSONField(default=list)
    events = models.JSONField(default=list)

    class Meta:
        ordering = ["start_ns"]
        indexes = [
            models.Index(fields=["trace_id"], name="span_trace"),
            models.Index(fields=["order_id"], condition=~models.Q(order_id=""), name="span_order"),
        ]

    def __str__(self) -> str:
        return f"{self.service} {self.name} {self.trace_id}/{self.span_id}"
