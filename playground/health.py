"""GET /health: can this process reach its database and Kafka, and how many events wait in the outbox."""

from django.conf import settings
from django.db import DatabaseError
from django.http import JsonResponse
from django.utils import timezone

from messaging import clients
from orders import events
from outbox import selectors


def health(request):
    body = {"database": {"ok": False}, "kafka": {}, "outbox": {}}
    try:
        body["outbox"] = _outbox()
        body["database"]["ok"] = True
    except DatabaseError as exc:
        body["database"]["error"] = str(exc)
    broker = clients.broker_status()
    body["kafka"] = {"reachable": broker.reachable, "bootstrap_servers": broker.bootstrap_servers}
    if broker.error:
        body["kafka"]["error"] = broker.error
    outbox_ok = not body["outbox"].get("parked") and not body["outbox"].get("stale")
    body["status"] = "ok" if body["database"]["ok"] and broker.reachable and outbox_ok else "degraded"
    # Kafka being away is survivable (the outbox holds events); a dead database is not.
    return JsonResponse(body, status=200 if body["database"]["ok"] else 503)


def _outbox() -> dict:
    """The backlog; `stale` when the oldest waiting event is older than OUTBOX_STALE_SECONDS."""
    backlog = selectors.backlog()
    oldest = backlog.oldest_waiting_at
    age = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return {
        "waiting": backlog.waiting,
        "parked": backlog.parked,
        "oldest_waiting_at": events.format_timestamp(oldest) if oldest else None,
        "oldest_waiting_seconds": round(age, 1),
        "stale": age > settings.OUTBOX_STALE_SECONDS,
    }
