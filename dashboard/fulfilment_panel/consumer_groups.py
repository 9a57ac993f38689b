"""The topic and every consumer group reading it, as the Kafka admin API tells them: what the groups panel shows.

Per partition: leader, log-start and log-end offsets, record count. Per group: state, members (client id, host,
the partitions each owns), committed offset and lag per partition and in total. A group that never committed on a
partition shows no committed offset there; its lag counts from the log start, where it will begin (the worker's
`auto_offset_reset` is earliest). The same figures as `kafka-consumer-groups --describe --group <group>`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from django.conf import settings
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec
from kafka.errors import KafkaError

from dashboard.lazy_client import LazyClient
from messaging import clients

# Every open page asks each second; one admin round per process per interval answers them all.
CACHE_SECONDS = 0.5


@dataclass
class _Last:
    """The last snapshot this process read, and when."""

    read_at: float = 0.0
    topic: str = ""
    result: dict | None = None


_lock = threading.Lock()
_admin: LazyClient[KafkaAdminClient] = LazyClient(
    lambda: clients.build_admin(client_id="orders-groups-panel", bootstrap_timeout_ms=1_000, request_timeout_ms=2_000),
    lambda admin: admin.close(),
)
_last = _Last()


def snapshot(topic: str | None = None) -> dict:
    """The topic's partitions and its groups, at most CACHE_SECONDS old; {"error": ...} while Kafka is away."""
    topic = topic or settings.KAFKA_ORDERS_TOPIC
    with _lock:
        if _last.result is not None and _last.topic == topic and time.monotonic() - _last.read_at < CACHE_SECONDS:
            return _last.result
        try:
            result = _read(_admin.get(), topic)
        except (KafkaError, OSError) as exc:
            _admin.drop()
            text = clients.error_text(exc)
            result = {"topic": topic, "error": text[:300], "partitions": [], "groups": []}
        _last.read_at, _last.topic, _last.result = time.monotonic(), topic, result
        return result


def _read(admin: KafkaAdminClient, topic: str) -> dict:
    described = admin.describe_topics([topic])[0]
    if described["error_code"]:
        return {
            "topic": topic,
            "error": f"topic {topic!r} is not readable (error {described['error_code']})",
            "partitions": [],
            "groups": [],
        }
    leaders = {p["partition_index"]: p["leader_id"] for p in described["partitions"]}
    tps = [TopicPartition(topic, p) for p in sorted(leaders)]
    starts = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST))
    ends = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
    partitions = [
        {
            "partition": tp.partition,
            "leader": leaders[tp.partition],
            "log_start": starts[tp].offset,
            "log_end": ends[tp].offset,
            "records": ends[tp].offset - starts[tp].offset,
        }
        for tp in tps
    ]
    return {"topic": topic, "partitions": partitions, "groups": _groups(admin, topic, partitions)}


def _groups(admin: KafkaAdminClient, topic: str, partitions: list[dict]) -> list[dict]:
    ids = sorted(group["group_id"] for group in admin.list_groups() if group.get("protocol_type") in ("consumer", ""))
    if not ids:
        return []
    described = admin.describe_groups(ids)
    committed = admin.list_group_offsets(dict.fromkeys(ids))
    groups = []
    for group_id in ids:
        members = members_reading(described.get(group_id, {}), topic)
        offsets = {
            tp.partition: meta.offset
            for tp, meta in committed.get(group_id, {}).items()
            if tp.topic == topic and meta.offset >= 0
        }
        if not members and not offsets:
            continue  # a group of another topic
        groups.append(_group(group_id, described.get(group_id, {}), members, offsets, partitions))
    return groups


def members_reading(description: dict, topic: str) -> list[dict]:
    """The members of a described group that own a partition of the topic or subscribe to it."""
    members = []
    for member in description.get("members") or []:
        assignment = (member.get("member_assignment") or {}).get("assigned_partitions") or []
        owned = sorted(p for entry in assignment if entry["topic"] == topic for p in entry["partitions"])
        subscribed = topic in ((member.get("member_metadata") or {}).get("topics") or [])
        if owned or subscribed:
            members.append(
                {
                    "client_id": member["client_id"],
                    "host": member["client_host"].lstrip("/"),
                    "member_id": member["member_id"],
                    "partitions": owned,
                }
            )
    return sorted(members, key=lambda member: (member["partitions"][:1] or [1 << 30], member["client_id"]))


def _group(
    group_id: str, description: dict, members: list[dict], offsets: dict[int, int], partitions: list[dict]
) -> dict:
    owner = {p: member["client_id"] for member in members for p in member["partitions"]}
    rows = []
    for partition in partitions:
        number, committed = partition["partition"], offsets.get(partition["partition"])
        position = committed if committed is not None else partition["log_start"]
        rows.append(
            {
                "partition": number,
                "committed": committed,
                "log_end": partition["log_end"],
                "lag": max(partition["log_end"] - position, 0),
                "member": owner.get(number),
            }
        )
    return {
        "group_id": group_id,
        "state": description.get("group_state", "Unknown"),
        "members": members,
        "partitions": rows,
        "lag": sum(row["lag"] for row in rows),
    }
