"""GET /health: can this process reach its database and Kafka, and how many events wait in the outbox."""

from django.db import DatabaseError, connection
from django.db.models import Min
from django.http import JsonResponse

from orders import events, kafka
from orders.models import OutboxEvent


def health(request):
    body = {"database": {"ok": False}, "kafka": {}, "outbox": {}}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        waiting = OutboxEvent.objects.filter(sent_at__isnull=True).aggregate(oldest=Min("created_at"))
        body["database"]["ok"] = True
        body["outbox"] = {
            "waiting": OutboxEvent.objects.filter(sent_at__isnull=True).count(),
            "oldest_waiting_at": events.format_timestamp(waiting["oldest"]) if waiting["oldest"] else None,
        }
    except DatabaseError as exc:
        body["database"]["error"] = str(exc)
    broker = kafka.broker_status()
    body["kafka"] = {"reachable": broker.reachable, "bootstrap_servers": broker.bootstrap_servers}
    if broker.error:
        body["kafka"]["error"] = broker.error
    body["status"] = "ok" if body["database"]["ok"] and broker.reachable else "degraded"
    # Kafka being away is survivable (the outbox holds events); a dead database is not.
    return JsonResponse(body, status=200 if body["database"]["ok"] else 503)
