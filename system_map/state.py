"""The running system as the map draws it, in one JSON-ready dict: the processes (their heartbeats), the outbox,
the brokers with the replicas each holds of the orders topic, and the groups reading it.

Kafka's part reuses what the other views read: a topic's partitions as topics.inventory describes them, and the
groups as the fulfilment panel's consumer_groups snapshot has them. One admin round per process per CACHE_SECONDS
answers every open map; while Kafka cannot be asked, {"error"} says why and the processes still show.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from kafka.errors import KafkaError

from dashboard.fulfilment_panel import consumer_groups
from messaging import clients
from outbox import selectors
from system_map.models import Presence
from topics import inventory

CACHE_SECONDS = 1.0
GONE_SHOWN_SECONDS = 60

_lock = threading.Lock()
_last: dict = {"read_at": 0.0, "topic": "", "result": None}


def system_state() -> dict:
    return {
        "beat_seconds": settings.SYSTEM_PRESENCE_SECONDS,
        "processes": processes(),
        "outbox": outbox(),
        "kafka": kafka(),
    }


def gone_after() -> timedelta:
    return timedelta(seconds=settings.SYSTEM_PRESENCE_SECONDS * settings.SYSTEM_PRESENCE_GONE_BEATS)


def processes() -> list[dict]:
    """Every process that beat within the last GONE_SHOWN_SECONDS; `gone` when it missed SYSTEM_PRESENCE_GONE_BEATS
    beats (a gone process is drawn for a minute, then left out: a restarted one comes back as a new instance)."""
    now = timezone.now()
    return [
        {
            "service": row.service,
            "instance": row.instance,
            "address": row.address,
            "details": row.details,
            "seen_seconds_ago": round((now - row.last_seen).total_seconds(), 1),
            "gone": now - row.last_seen > gone_after(),
        }
        for row in Presence.objects.filter(last_seen__gte=now - timedelta(seconds=GONE_SHOWN_SECONDS))
    ]


def outbox() -> dict:
    backlog = selectors.backlog()
    return {"waiting": backlog.waiting, "parked": backlog.parked}


def kafka(topic: str | None = None) -> dict:
    """The brokers and the topic's groups, at most CACHE_SECONDS old."""
    topic = topic or settings.KAFKA_ORDERS_TOPIC
    with _lock:
        fresh = time.monotonic() - _last["read_at"] < CACHE_SECONDS
        if _last["result"] is not None and _last["topic"] == topic and fresh:
            return _last["result"]
        try:
            result = {"topic": topic, "brokers": brokers(topic), "error": None}
        except (KafkaError, OSError, inventory.TopicNotFound) as exc:
            text = clients.error_text(exc)
            result = {"topic": topic, "brokers": [], "error": text[:300]}
        groups = consumer_groups.snapshot(topic)
        result["groups"] = groups.get("groups", [])
        result["error"] = result["error"] or groups.get("error")
        _last.update(read_at=time.monotonic(), topic=topic, result=result)
        return result


def brokers(topic: str) -> list[dict]:
    """Each broker the cluster names or the topic's replicas name: up or not, and the replicas of the topic it
    holds, each marked leader or follower and in sync or not."""
    admin = inventory.open_admin("system-map")
    try:
        cluster = admin.describe_cluster()
        partitions = inventory.partition_rows(inventory.describe_one(admin, topic))
    finally:
        admin.close()
    # DescribeCluster names fenced brokers too (a broker that stopped heartbeating to the controller): not up.
    live = {broker["broker_id"]: broker for broker in cluster["brokers"] if not broker.get("is_fenced")}
    ids = sorted(set(live) | {replica for row in partitions for replica in row["replicas"]})
    return [
        {
            "node_id": node,
            "address": f"{live[node]['host']}:{live[node]['port']}" if node in live else None,
            "up": node in live,
            "controller": node == cluster.get("controller_id"),
            "replicas": [
                {"partition": row["partition"], "leader": row["leader"] == node, "in_sync": node in row["isr"]}
                for row in partitions
                if node in row["replicas"]
            ],
        }
        for node in ids
    ]
