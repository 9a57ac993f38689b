"""Lab 7, evolving an API without breaking users: version 2 of the order (an optional delivery note) over REST and
gRPC, the lesson's v1 clients and a v1 event consumer still working beside it, and `buf breaking` refusing a change
that would break them.

The Check reads the orders by the lab's name and, for each, its committed `order.created` event in the outbox (its
source, its schema-version header, whether it carries the note, where it landed on the topic), and the v1 consumer
group's committed offsets on the orders topic (the Kafka admin API): the v1 reader must have read past every v2 event.
"""

from __future__ import annotations

import json
import shlex
import shutil
from pathlib import Path

from django.conf import settings
from kafka.errors import CoordinatorNotAvailableError

from labs.learners import created_by
from messaging import clients
from orders import selectors
from outbox.selectors import events_for_key
from topics import changes

NOTE = "Leave it at reception, desk 4."
MAX_ORDERS_LOOKED_AT = 50
PYTHON = ".venv/bin/python"
# `make check`'s comparison: a file input each way, against the frozen v1 contract.
V1_PROTO = "proto/v1/orders.proto"


def v1_group(learner: str) -> str:
    """The v1 event consumer's group: `lab-evolve-v1-a1b2c3d4`."""
    return f"lab-evolve-v1-{learner}"


def scratch_dir(learner: str) -> str:
    """Where the breaking steps edit their copy of the proto (same file name, so buf compares it with v1's)."""
    return f"/tmp/lab-evolve-{learner}"


def buf_breaking(proto: str) -> str:
    return f".tools/buf breaking {proto} --against {V1_PROTO}"


def broken_copy(learner: str, edit: str) -> str:
    """A step that breaks a copy of proto/orders.proto with one sed edit and asks buf about it (it must fail)."""
    copy = f"{scratch_dir(learner)}/orders.proto"
    return (
        f"mkdir -p {scratch_dir(learner)} && cp proto/orders.proto {copy} && sed -i {shlex.quote(edit)} {copy} && "
        f"{buf_breaking(copy)}"
    )


def lab(learner: str, base_url: str) -> dict:
    from labs.catalogue import grpc_target, step  # here: the catalogue imports this module to list it

    name, group = created_by("evolve", learner), v1_group(learner)
    target = grpc_target()
    rest_body = json.dumps({"created_by": name, "equipment": ["MONITOR"], "delivery_note": NOTE})
    grpc_body = json.dumps({"created_by": name, "equipment": ["KEYBOARD"], "delivery_note": "Ring twice."})
    servers = changes.shown_bootstrap_servers()
    return {
        "id": "evolve",
        "title": "Evolving an API without breaking users",
        "goal": f"Place version 2 orders (with a delivery note) as `{name}` over REST and gRPC, run the v1 clients "
        "and a v1 event consumer against the v2 servers, and see `buf breaking` refuse a change that would break "
        "them.",
        "minutes": 10,
        "steps": [
            step(
                "A v2 order over REST: the new optional field delivery_note (its event gets schema-version 2):",
                f"curl -i -H 'Content-Type: application/json' -d {shlex.quote(rest_body)} "
                f"{base_url}/api/orders/computers",
            ),
            step(
                "A v2 order over gRPC: grpcurl reads the server's v2 proto by reflection:",
                f".tools/grpcurl -plaintext -d {shlex.quote(grpc_body)} {target} OrderService/Create",
            ),
            step(
                "The v1 gRPC writer, generated from the frozen proto/v1 (it knows no delivery_note):",
                f"{PYTHON} -m grpc_bridge.clients.writer --target {target} --created-by {name} MOUSE",
            ),
            step(
                "The v1 getter lists your v2 orders too: field 6 is unknown to it, and its parser skips it:",
                f"{PYTHON} -m grpc_bridge.clients.getter --target {target}",
            ),
            step(
                "The v1 REST client: it sends no note and reads the list, v2 orders included, as before:",
                f"BASE_URL={base_url} {PYTHON} examples/client.py --created-by {name} --equipment WEBCAM",
            ),
            step(
                "A v1 event consumer in a group of your own: it reads the fields v1 knows, skips delivery_note, "
                "and commits how far it read:",
                f"{PYTHON} examples/v1_consumer.py --bootstrap-server {servers} --topic {settings.KAFKA_ORDERS_TOPIC} "
                f"--group {group} --created-by {name}",
            ),
            step(
                "A breaking change: renumber the order's equipment field in a copy of the proto and ask buf "
                "(it refuses: v1 clients would read field 5 and find nothing):",
                broken_copy(learner, "s/repeated Equipment equipment = 5;/repeated Equipment equipment = 9;/"),
            ),
            step(
                "Another: retype created_at from string to int64 (refused too):",
                broken_copy(learner, "s/string created_at = 4;/int64 created_at = 4;/"),
            ),
            step(
                "The real v2 passes against the committed v1 (make check runs this too):",
                buf_breaking("proto/orders.proto"),
            ),
        ],
        "watch": {"text": "your orders' records in the Live view, each with its schema-version header", "link": "/"},
        "check_reads": "the orders by the lab's name and their committed events (source, schema-version, note, "
        "position on the topic), and the v1 consumer group's committed offsets",
    }


def created_events(name: str) -> list[dict]:
    """Each order by `name` as its committed `order.created` event shows it."""
    found = []
    for order in selectors.list_orders(created_by=name)[:MAX_ORDERS_LOOKED_AT]:
        row = events_for_key(str(order.order_id)).first()
        if row is None:
            continue
        value = json.loads(row.value)
        found.append(
            {
                "order_id": str(order.order_id),
                "source": value.get("source", "?"),
                "schema_version": dict(row.headers).get("schema-version", "?"),
                "delivery_note": value.get("order", {}).get("delivery_note", ""),
                "position": [row.partition, row.offset] if row.sent_at else None,
            }
        )
    return found


def committed_offsets(group: str) -> dict[int, int]:
    """The group's committed offset per partition of the orders topic (empty when it has none)."""
    admin = clients.build_admin(client_id="labs-evolve")
    try:
        offsets = admin.list_group_offsets({group: None}).get(group, {})
    except CoordinatorNotAvailableError:
        return {}  # the broker has no offsets topic yet: no group ever committed
    finally:
        admin.close()
    topic = settings.KAFKA_ORDERS_TOPIC
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset >= 0}


def check(learner: str) -> dict:
    from labs.checks import result  # here: labs.checks imports this module to register it

    name, group = created_by("evolve", learner), v1_group(learner)
    found = created_events(name)
    v2 = [e for e in found if e["schema_version"] == "2" and e["delivery_note"]]
    v1 = [e for e in found if e["schema_version"] == "1" and not e["delivery_note"]]
    v2_over = {source: sum(e["source"] == source for e in v2) for source in ("rest", "grpc")}
    v1_over = {source: sum(e["source"] == source for e in v1) for source in ("rest", "grpc")}
    published = [e["position"] for e in v2 if e["position"]]
    committed = committed_offsets(group)
    unread = [p for p in published if committed.get(p[0], -1) <= p[1]]
    missing = [f"a v2 order over {s.upper() if s == 'rest' else 'gRPC'}" for s, n in v2_over.items() if not n]
    missing += [
        f"an order by the v1 {'REST client' if s == 'rest' else 'gRPC writer'}" for s, n in v1_over.items() if not n
    ]
    if not published:
        reader = "no v2 event is on the topic yet for your v1 consumer to read"
    elif not committed:
        reader = f"the v1 consumer group `{group}` has committed nothing yet"
    elif unread:
        reader = f"the v1 consumer group `{group}` has not read past {len(unread)} of your {len(published)} v2 event(s)"
    else:
        reader = f"the v1 consumer group `{group}` read past all {len(published)} of your v2 event(s)"
    seen = (
        f"`{name}`: {len(v2)} v2 order(s) with a delivery note and schema-version 2 (REST {v2_over['rest']}, gRPC "
        f"{v2_over['grpc']}), {len(v1)} v1 order(s) (REST {v1_over['rest']}, gRPC {v1_over['grpc']}); {reader}"
    )
    seen += f"; still missing: {', '.join(missing)}." if missing else "."
    return result(
        not missing and bool(published) and not unread,
        seen,
        created_by=name,
        group=group,
        orders=found,
        v1_group_committed=committed,
    )


def reset(learner: str) -> dict:
    """Delete the v1 consumer's group and the breaking steps' scratch copy; orders stay as history (the next round
    uses new names). Kafka refuses to delete a group while its consumer still runs: the answer says so."""
    name, group, scratch = created_by("evolve", learner), v1_group(learner), Path(scratch_dir(learner))
    undone, refused = [], ""
    if committed_offsets(group):
        admin = clients.build_admin(client_id="labs-evolve")
        try:
            answer = admin.delete_groups([group]).get(group, "no answer")
        finally:
            admin.close()
        if answer == "OK":
            undone.append(f"group {group}")
        else:
            refused = f"the group `{group}` was not deleted ({answer}: stop your v1 consumer and Reset again); "
    if scratch.is_dir():
        shutil.rmtree(scratch)
        undone.append(f"{scratch}/")
    kept = selectors.list_orders(created_by=name).count()
    return {
        "undone": undone,
        "seen": f"{'deleted ' + ' and '.join(undone) + '; ' if undone else ''}{refused}{kept} order(s) by `{name}` "
        "stay as history; your next round uses new names.",
    }
