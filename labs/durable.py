"""Lab 6, durability: replication on `make cluster`'s three brokers, acted on from the page and checked on the real
system.

The learner crashes one broker (leaders move, the in-sync replicas shrink to two, acks=all writes still go through),
stops a second (one in sync is fewer than min.insync.replicas: the leader refuses writes with NotEnoughReplicas and
the outbox holds the events), then restarts them (the outbox drains). The second goes down by a controlled shutdown:
with two of the three KRaft controllers gone the quorum can no longer shrink the ISR, so a crashed second broker
would leave writes timing out rather than refused; a controlled one leaves the ISR before its controller goes.

Which brokers run comes from the cluster file (localkafka.cluster, the one place that reads it), and the page may act
only on the cluster that file names when it is the one this server uses. The partitions, their leaders and ISR come
from the admin API; the orders, their events' waits and where they landed from the database; the records themselves
are read back from the topic.
"""

from __future__ import annotations

import json
import shlex
import signal
import time

from django.conf import settings
from django.utils import timezone
from kafka import TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import KafkaError

from labs.learners import created_by
from localkafka import cluster
from messaging import clients
from orders import selectors
from outbox import selectors as outbox
from topics import inventory

LAB = "durable"
BROKERS = 3
MAX_ORDERS_LOOKED_AT = 50
READ_SECONDS = 12.0
# Records read back from one partition at most, from the lab's first order to its last.
MAX_SPAN = 5_000
SIGNALS = {"crash": signal.SIGKILL, "stop": signal.SIGTERM}


def name_of(learner: str) -> str:
    return created_by(LAB, learner)


def local_cluster() -> dict:
    """The cluster file of the running `make cluster` whose brokers this server uses; ClusterControlError otherwise."""
    control = cluster.running_cluster(settings.LOCAL_KAFKA_CLUSTER_FILE)
    if set(control["bootstrap_servers"].split(",")) != set(settings.KAFKA_BOOTSTRAP_SERVERS.split(",")):
        raise cluster.ClusterControlError(
            f"the local cluster at {control['bootstrap_servers']} is not the one this server uses "
            f"({settings.KAFKA_BOOTSTRAP_SERVERS})"
        )
    return control


def cluster_status() -> dict:
    """{"controllable", "reason", "nodes": [{"node", "address", "state"}]} from the cluster file."""
    try:
        control = local_cluster()
    except cluster.ClusterControlError as exc:
        return {"controllable": False, "reason": str(exc), "nodes": []}
    nodes = [
        {"node": number, "address": node["bootstrap_server"], "state": node["state"]}
        for number, node in sorted(control["nodes"].items())
    ]
    return {"controllable": True, "reason": "", "nodes": nodes}


def act(action: str, node: int | None) -> str:
    """Crash or stop one node, or restart the dead ones; a sentence saying what was done."""
    local_cluster()
    control_file = settings.LOCAL_KAFKA_CLUSTER_FILE
    if action == "restart":
        cluster.restart_dead_nodes(control_file)
        return "asked the cluster to start every dead broker again"
    done = cluster.signal_node(control_file, node, SIGNALS[action])
    how = "crashed (SIGKILL)" if action == "crash" else "stopping (controlled shutdown)"
    return f"broker {node} ({done['bootstrap_server']}) {how}"


def partitions() -> dict:
    """The orders topic's partitions (leader, replicas, ISR, whether acks=all writes are refused), the live brokers,
    and the topic's min.insync.replicas, from the admin API."""
    topic = settings.KAFKA_ORDERS_TOPIC
    admin = inventory.open_admin("labs-durable")
    try:
        live = [b["broker_id"] for b in admin.describe_cluster()["brokers"] if not b.get("is_fenced")]
        rows = inventory.partition_rows(inventory.describe_one(admin, topic))
        answer = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)], config_filter="all")
    finally:
        admin.close()
    config = answer.get("topic", {}).get(topic, {}).get("min.insync.replicas", {})
    min_insync = int(config.get("value") or 1)
    return {
        "topic": topic,
        "brokers_up": sorted(live),
        "min_insync": min_insync,
        "partitions": [
            {
                "partition": row["partition"],
                "leader": row["leader"],
                "replicas": row["replicas"],
                "isr": sorted(row["isr"]),
                "refuses_writes": row["leader"] is None or len(row["isr"]) < min_insync,
            }
            for row in rows
        ],
    }


def lab_events(learner: str) -> list:
    """The `order.created` outbox event of each of the lab's orders (newest orders first, up to 50)."""
    orders = selectors.list_orders(created_by=name_of(learner))[:MAX_ORDERS_LOOKED_AT]
    return [event for order in orders if (event := outbox.events_for_key(str(order.order_id)).first())]


def records_on_topic(events: list) -> set[tuple[int, int]]:
    """The positions among the events' (partition, offset) where the topic holds the event itself (its key and
    event id), read back from the topic."""
    wanted: dict[int, dict[int, tuple[str, str]]] = {}
    for event in events:
        if event.sent_at is not None:
            wanted.setdefault(event.partition, {})[event.offset] = (event.key, str(event.event_id))
    if not wanted:
        return set()
    topic = settings.KAFKA_ORDERS_TOPIC
    consumer = clients.build_consumer(
        bootstrap_servers=clients.listening_servers(settings.KAFKA_BOOTSTRAP_SERVERS),
        client_id="labs-durable",
        bootstrap_timeout_ms=inventory.BOOTSTRAP_TIMEOUT_MS,
        request_timeout_ms=inventory.REQUEST_TIMEOUT_MS,
        fetch_max_wait_ms=50,
        reconnect_backoff_max_ms=1_000,
    )
    found: set[tuple[int, int]] = set()
    try:
        ends = {p: min(max(offsets) + 1, min(offsets) + MAX_SPAN) for p, offsets in wanted.items()}
        consumer.assign([TopicPartition(topic, p) for p in wanted])
        for partition, offsets in wanted.items():
            consumer.seek(TopicPartition(topic, partition), min(offsets))
        deadline = time.monotonic() + READ_SECONDS
        while ends and time.monotonic() < deadline:
            for tp, records in consumer.poll(200).items():
                for record in records:
                    if event_of(record) == wanted[tp.partition].get(record.offset):
                        found.add((tp.partition, record.offset))
            for partition in [p for p in ends if consumer.position(TopicPartition(topic, p)) >= ends[p]]:
                ends.pop(partition)
    finally:
        consumer.close()
    return found


def event_of(record) -> tuple[str, str] | None:
    """A record's key and event id, or None when it is no order event (a hand-made record, say)."""
    try:
        return record.key.decode(), str(json.loads(record.value)["event_id"])
    except (AttributeError, UnicodeDecodeError, ValueError, TypeError, KeyError):
        return None


def waits(events: list) -> list[dict]:
    """The events the broker did not take at the first try, with how long each waited in the outbox."""
    now = timezone.now()
    return [
        {"attempts": e.attempts, "waited": ((e.sent_at or now) - e.created_at).total_seconds(), "sent": bool(e.sent_at)}
        for e in events
        if e.attempts > 1 or (e.sent_at is None and e.last_error)
    ]


def outbox_state() -> dict:
    """What the outbox holds and the publisher's newest error on an event still waiting."""
    backlog = outbox.backlog()
    failing = outbox.newest_waiting_error()
    waited = (timezone.now() - backlog.oldest_waiting_at).total_seconds() if backlog.oldest_waiting_at else 0
    return {
        "waiting": backlog.waiting,
        "oldest_waiting_seconds": round(waited, 1),
        "last_error": failing.last_error if failing else "",
        "attempts": failing.attempts if failing else 0,
    }


def state(learner: str) -> dict:
    """What the lab's panel shows: the cluster file's brokers, the partitions, the outbox and the lab's orders."""
    try:
        kafka, error = partitions(), ""
    except (inventory.TopicNotFound, KafkaError, OSError) as exc:
        kafka, error = None, clients.error_text(exc)[:300]
    return {
        "cluster": cluster_status(),
        "kafka": kafka,
        "kafka_error": error,
        "outbox": outbox_state(),
        "orders": selectors.list_orders(created_by=name_of(learner)).count(),
        "created_by": name_of(learner),
    }


def brokers_up(read: dict) -> list[int]:
    """The brokers the cluster's metadata names unfenced and, on a cluster of ours, whose process runs: a broker
    that went while the controllers had no quorum stays unfenced in the metadata of the one left."""
    status = cluster_status()
    if not status["controllable"]:
        return read["brokers_up"]
    running = {node["node"] for node in status["nodes"] if node["state"] == "running"}
    return [broker for broker in read["brokers_up"] if broker in running]


def check(learner: str) -> dict:
    # Here, not at the top: labs.checks imports this module to register this function.
    from labs.checks import result

    name = name_of(learner)
    try:
        read = partitions()
    except inventory.TopicNotFound as exc:
        return result(False, f"{exc} The publisher creates it at its start: is `make cluster` running?")
    replicas = max((len(p["replicas"]) for p in read["partitions"]), default=0)
    if len(read["brokers_up"]) < BROKERS and replicas < BROKERS:
        return result(
            False,
            f"the playground runs on {len(read['brokers_up'])} broker(s) and `{read['topic']}` keeps {replicas} "
            "replica(s) per partition: this lab cannot pass here. Stop `make run` and start `make cluster`.",
            brokers_up=read["brokers_up"],
        )
    up = brokers_up(read)
    full = [p for p in read["partitions"] if len(p["isr"]) == len(p["replicas"]) == BROKERS]
    cluster_part = (
        f"{len(up)} of {BROKERS} brokers up, {len(full)} of {len(read['partitions'])} partitions {BROKERS} in sync"
    )
    events = lab_events(learner)
    if not events:
        return result(False, f"{cluster_part}; no order by `{name}` yet: place one (step 1).", **read)
    on_topic = records_on_topic(events)
    missing = [e.key for e in events if (e.partition, e.offset) not in on_topic]
    held = waits(events)
    parts = [cluster_part]
    if missing:
        unread = sum(1 for e in events if e.sent_at is not None and (e.partition, e.offset) not in on_topic)
        parts.append(
            f"{len(events) - len(missing)} of your {len(events)} orders are on the topic"
            + (f" ({unread} acknowledged but not read back now)" if unread else "")
        )
    else:
        parts.append(f"your {len(events)} order(s) are all on the topic")
    if held:
        longest = max(held, key=lambda h: h["waited"])
        parts.append(
            f"the outbox held {len(held)} of them back for up to {longest['waited']:.0f} s (sent at try "
            f"{longest['attempts']}) while too few replicas were in sync"
            if all(h["sent"] for h in held)
            else f"the outbox is holding {sum(not h['sent'] for h in held)} of them back (the broker refuses them)"
        )
    else:
        parts.append("none of them had to wait in the outbox yet: stop a second broker and place one (step 3)")
    healthy = len(up) == BROKERS and len(full) == len(read["partitions"])
    return result(
        healthy and not missing and bool(held),
        "; ".join(parts) + ".",
        created_by=name,
        orders=len(events),
        not_on_topic=missing,
        held_back=held,
        **read,
    )


def reset(learner: str) -> dict:
    """Restart every dead broker; the lab's orders stay as history (the next round uses a new name)."""
    status = cluster_status()
    kept = f"{selectors.list_orders(created_by=name_of(learner)).count()} order(s) by `{name_of(learner)}` stay."
    if not status["controllable"]:
        return {"undone": [], "seen": f"no broker of ours to restart ({status['reason']}); {kept}"}
    dead = [node["node"] for node in status["nodes"] if node["state"] == "dead"]
    if not dead:
        return {"undone": [], "seen": f"every broker runs; {kept}"}
    cluster.restart_dead_nodes(settings.LOCAL_KAFKA_CLUSTER_FILE)
    started = ", ".join(map(str, dead))
    return {"undone": [f"broker {n} dead" for n in dead], "seen": f"restarting broker(s) {started}; {kept}"}


def lab(learner: str, base_url: str) -> dict:
    name = name_of(learner)
    body = json.dumps({"created_by": name, "equipment": ["KEYBOARD"]})
    order = f"curl -s -H 'Content-Type: application/json' -d {shlex.quote(body)} {base_url}/api/orders/computers"
    tool = ".venv/bin/python -m localkafka"
    steps = [
        {"text": "With the three brokers up, place an order (the button below, or curl):", "command": order},
        {
            "text": "Crash a broker (Crash below). Within seconds its partitions get new leaders and the in-sync "
            "replicas shrink to two. Place another order: with acks=all, two in sync is enough "
            "(min.insync.replicas=2), so it goes through.",
            "command": f"{tool} kill-broker 1",
        },
        {
            "text": "Stop a second broker (Stop below: a controlled shutdown, so it leaves the ISR before its "
            "controller goes). One in sync is fewer than two: the leader refuses every write with "
            "NotEnoughReplicas. Place an order: the API still answers 201 (the order and its event are committed), "
            "the outbox's waiting count grows and the publisher's error shows.",
            "command": f"{tool} kill-broker 2 --controlled",
        },
        {
            "text": "Restart the brokers: they catch up and rejoin the ISR, the outbox drains. Then Check: it counts "
            "your orders on the topic.",
            "command": f"{tool} restart-brokers",
        },
    ]
    if not cluster_status()["controllable"]:
        steps.insert(
            0,
            {
                "text": "This lab needs `make cluster`'s three brokers (this server uses "
                f"{settings.KAFKA_BOOTSTRAP_SERVERS}, no cluster of ours): stop `make run` and start the cluster. "
                "Its Check cannot pass on one broker.",
                "command": "make cluster",
            },
        )
    return {
        "id": LAB,
        "title": "Durability: replication on three brokers",
        "goal": f"Crash one of three brokers and see the leaders move while orders by `{name}` go through; stop a "
        "second and see min.insync.replicas refuse writes while the outbox waits; bring them back and see that "
        "nothing acknowledged was lost.",
        "minutes": 6,
        "steps": [{"link": "", **step} for step in steps],
        "watch": {"text": "the brokers, leaders and in-sync replicas on the Map", "link": "/map"},
        "check_reads": "the brokers (the cluster file and the admin API), every partition's in-sync replicas, the "
        "outbox, and your orders' records read back from the topic",
    }
