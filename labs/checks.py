"""Each lab's Check: it reads the real system for the evidence the learner's own steps leave, and says in a sentence
what it saw. One function per lab, each returning {"passed", "seen", "details"}.

- REST: orders by the lab's name whose `order.created` event says they came over REST (orders' selectors and the
  outbox's committed event), and a request the web server answered 400, found among the HTTP spans the tracing room
  keeps (the lab's marker is in the URL's query, which the span's `http.url` holds).
- gRPC: orders by the lab's name whose event says they came over gRPC.
- Kafka: the lab's topic on the broker, its partitions, and its records: each key asked for is there, and every
  record of a key sits on the partition Kafka's default partitioner (murmur2) gives it.
- Consumer groups: the learner's group on the Kafka lab's topic, its committed offsets and lag per partition, as
  the groups panel reads them (dashboard.fulfilment_panel.consumer_groups).
"""

from __future__ import annotations

import json

from dashboard.fulfilment_panel import consumer_groups
from labs import compare, durable, evolve, semantics
from labs.learners import created_by, group_name, topic_name
from orders import selectors
from outbox.selectors import events_for_key
from topics import browse, inventory, keys
from topics.browse_query import MAX_LIMIT, Query
from tracing.models import SpanRecord

# The HTTP spans looked through for the lab's 400: the newest of the web server's POSTs to the orders.
SPANS_LOOKED_AT = 2000
MAX_ORDERS_LOOKED_AT = 50
KAFKA_PARTITIONS = 3
KAFKA_KEYS = ("alpha", "beta", "gamma")


def result(passed: bool, seen: str, **details) -> dict:
    return {"passed": passed, "seen": seen, "details": details}


def orders_by_transport(name: str) -> dict[str, list[str]]:
    """The ids of the orders created by `name`, by the transport their `order.created` event names."""
    found: dict[str, list[str]] = {}
    for order in selectors.list_orders(created_by=name)[:MAX_ORDERS_LOOKED_AT]:
        first = events_for_key(str(order.order_id)).first()
        source = json.loads(first.value).get("source", "?") if first else "?"
        found.setdefault(source, []).append(str(order.order_id))
    return found


def rest_statuses(marker: str) -> list[int]:
    """The status codes the web server answered to POSTs of the orders whose URL carries `?lab=<marker>`."""
    spans = SpanRecord.objects.filter(kind="SERVER", name="POST /api/orders/computers")
    statuses = []
    for attributes in spans.order_by("-id").values_list("attributes", flat=True)[:SPANS_LOOKED_AT]:
        # ASGI's instrumentation keeps the query in `http.url` (old conventions) or `url.query` (new ones).
        query = str(attributes.get("url.query") or str(attributes.get("http.url", "")).partition("?")[2])
        if f"lab={marker}" in query.split("&"):
            statuses.append(attributes.get("http.status_code") or attributes.get("http.response.status_code"))
    return statuses


def check_rest(learner: str) -> dict:
    name = created_by("rest", learner)
    by_transport = orders_by_transport(name)
    over_rest = by_transport.get("rest", [])
    statuses = rest_statuses(learner)
    refused = statuses.count(400)
    parts = [
        f"{len(over_rest)} order(s) by `{name}` came over REST"
        if over_rest
        else f"no order by `{name}` has come over REST yet"
    ]
    if refused:
        parts.append(f"the server answered {refused} request(s) with ?lab={learner} with a 400")
    elif statuses:
        parts.append(
            f"your {len(statuses)} request(s) with ?lab={learner} were answered {sorted(set(statuses))}, no 400 yet"
        )
    else:
        parts.append(
            f"no request with ?lab={learner} has reached the server yet (spans are stored about a second late)"
        )
    return result(
        bool(over_rest) and refused > 0,
        "; ".join(parts) + ".",
        created_by=name,
        orders_over_rest=over_rest,
        orders_over_other_transports={k: v for k, v in by_transport.items() if k != "rest"},
        marked_request_statuses=statuses,
    )


def check_grpc(learner: str) -> dict:
    name = created_by("grpc", learner)
    by_transport = orders_by_transport(name)
    over_grpc = by_transport.get("grpc", [])
    others = sum(len(ids) for source, ids in by_transport.items() if source != "grpc")
    if over_grpc:
        seen = f"{len(over_grpc)} order(s) by `{name}` came over gRPC (OrderService/Create)."
    elif others:
        seen = f"{others} order(s) by `{name}` exist, but none came over gRPC: create one with the writer client."
    else:
        seen = f"no order by `{name}` yet: run the writer client with --created-by {name}."
    return result(bool(over_grpc), seen, created_by=name, orders_over_grpc=over_grpc, orders_by_transport=by_transport)


def check_kafka(learner: str) -> dict:
    topic = topic_name(learner)
    try:
        partitions = inventory.partition_count(topic)
    except inventory.TopicNotFound:
        return result(False, f"there is no topic `{topic}` on the broker yet: create it first.", topic=topic)
    if partitions != KAFKA_PARTITIONS:
        return result(
            False,
            f"`{topic}` has {partitions} partition(s), the lab asks for {KAFKA_PARTITIONS}: delete it (Reset) and "
            "create it again.",
            topic=topic,
            partitions=partitions,
        )
    records = browse.browse(topic, Query(limit=MAX_LIMIT))["records"]
    placed = {key: keys.partition_of(key, partitions)["partition"] for key in KAFKA_KEYS}
    found = {key: sorted({r["partition"] for r in records if r["key"] == key}) for key in KAFKA_KEYS}
    missing = [key for key in KAFKA_KEYS if not found[key]]
    misplaced = [key for key in KAFKA_KEYS if found[key] and found[key] != [placed[key]]]
    counts = {key: sum(1 for r in records if r["key"] == key) for key in KAFKA_KEYS}
    where = ", ".join(
        f"`{key}` → partition {placed[key]} ({counts[key]} record(s))" for key in KAFKA_KEYS if found[key]
    )
    if missing:
        seen = f"`{topic}` has {len(records)} record(s); no record with key {', '.join(missing)} yet"
        seen += f" (seen: {where})." if where else "."
    elif misplaced:
        seen = f"records of {', '.join(misplaced)} are on partitions murmur2 does not give: {found}."
    else:
        seen = f"`{topic}` has {partitions} partitions and {len(records)} record(s): {where}, as murmur2 says."
    return result(
        not missing and not misplaced,
        seen,
        topic=topic,
        partitions=partitions,
        records=len(records),
        partition_of_key=placed,
        partitions_seen_per_key=found,
    )


def check_groups(learner: str) -> dict:
    topic, group = topic_name(learner), group_name(learner)
    read = consumer_groups.snapshot(topic)
    if read.get("error"):
        return result(False, f"`{topic}` cannot be read ({read['error']}): do the Kafka basics lab first.", topic=topic)
    found = next((g for g in read["groups"] if g["group_id"] == group), None)
    if found is None:
        return result(False, f"no group `{group}` has read `{topic}` yet: run the console consumer with --group.")
    starts = {p["partition"]: p["log_start"] for p in read["partitions"]}
    done = {
        row["partition"]: row["committed"] - starts[row["partition"]]
        for row in found["partitions"]
        if row["committed"] is not None
    }
    total = sum(p["records"] for p in read["partitions"])
    per_partition = ", ".join(
        f"partition {row['partition']}: "
        + (
            f"{done[row['partition']]} of {row['log_end'] - starts[row['partition']]}"
            if row["partition"] in done
            else "none"
        )
        for row in found["partitions"]
    )
    committed = sum(done.values())
    seen = (
        f"your consumer group `{group}` committed {committed} of {total} record(s) ({per_partition}); lag "
        f"{found['lag']}; {len(found['members'])} member(s) now, state {found['state']}."
    )
    return result(
        committed > 0,
        seen,
        group=group,
        topic=topic,
        committed=committed,
        records=total,
        lag=found["lag"],
        partitions=found["partitions"],
        members=found["members"],
        state=found["state"],
    )


CHECKS = {
    "rest": check_rest,
    "grpc": check_grpc,
    "kafka": check_kafka,
    "groups": check_groups,
    "semantics": lambda learner: semantics.check(learner),
    "durable": lambda learner: durable.check(learner),
    "evolve": lambda learner: evolve.check(learner),
    "compare": lambda learner: compare.check(learner),
}
