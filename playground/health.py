"""GET /health: can this process reach its database and Kafka, and how many events wait in the outbox."""

from django.db import DatabaseError
from django.http import JsonResponse

from messaging import clients
from orders import events, selectors


def health(request):
    body = {"database": {"ok": False}, "kafka": {}, "outbox": {}}
    try:
        backlog = selectors.outbox_backlog()
        body["database"]["ok"] = True
        body["outbox"] = {
            "waiting": backlog.waiting,
            "oldest_waiting_at": events.format_timestamp(backlog.oldest_waiting_at)
            if backlog.oldest_waiting_at else None,
        }
    except DatabaseError as exc:
        body["database"]["error"] = str(exc)
    broker = clients.broker_status()
    body["kafka"] = {"reachable": broker.reachable, "bootstrap_servers": broker.bootstrap_servers}
    if broker.error:
        body["kafka"]["error"] = broker.error
    body["status"] = "ok" if body["database"]["ok"] and broker.reachable else "degraded"
    # Kafka being away is survivable (the outbox holds events); a dead database is not.
    return JsonResponse(body, status=200 if body["database"]["ok"] else 503)
