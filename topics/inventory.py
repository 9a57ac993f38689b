"""Every topic on the broker and one topic's details, as the Kafka admin API tells them.

Per topic: internal or not, partitions, replication factor, size and record count. Per partition: leader, replicas,
in-sync replicas, log start and end, records (end - start: on a compacted topic or one with transaction markers an
upper bound) and size (DescribeLogDirs: the leader's copy; `replica_sizes` per broker). Per topic its configs, every
one, each marked override (set on the topic) or default (Kafka's default, or the broker's own setting), with the
source DescribeConfigs names.

A client of its own per call, as the offset reset does: a bounded bootstrap and a timeout on every request, so a
broker that is away is an error within seconds, never a hung request; and a fresh client names the configured broker.
"""

from __future__ import annotations

from collections.abc import Iterable

from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType, OffsetSpec
from kafka.errors import KafkaError, UnknownTopicOrPartitionError, for_code

from messaging import clients

# Every admin call: the bootstrap and each request answer within these, or fail.
BOOTSTRAP_TIMEOUT_MS = 2_000
REQUEST_TIMEOUT_MS = 5_000
# The config source that means "set on this topic"; every other source is a default (Kafka's, or the broker's).
OVERRIDE_SOURCE = "DYNAMIC_TOPIC_CONFIG"


class TopicNotFound(Exception):
    def __init__(self, name: str):
        super().__init__(f"No topic {name!r} on the broker.")
        self.name = name


def open_admin(client_id: str = "topics-inventory") -> KafkaAdminClient:
    """An admin client whose bootstrap and every request are bounded; raises KafkaError when no broker answers."""
    return clients.build_admin(
        client_id=client_id, bootstrap_timeout_ms=BOOTSTRAP_TIMEOUT_MS, request_timeout_ms=REQUEST_TIMEOUT_MS
    )


def list_topics() -> list[dict]:
    """Every topic, internal ones (__consumer_offsets) flagged, sorted by name."""
    admin = open_admin()
    try:
        described = [topic for topic in admin.describe_topics() if not topic["error_code"]]
        partitions = {topic["name"]: partition_rows(topic) for topic in described}
        _add_offsets(admin, partitions)
        _add_sizes(admin, partitions, None)
    finally:
        admin.close()
    return sorted(
        (_summary(topic["name"], topic["is_internal"], partitions[topic["name"]]) for topic in described),
        key=lambda topic: topic["name"],
    )


def describe_topic(name: str) -> dict:
    """One topic's summary, its partitions and its configs; raises TopicNotFound."""
    admin = open_admin()
    try:
        topic = describe_one(admin, name)
        partitions = {name: partition_rows(topic)}
        _add_offsets(admin, partitions)
        _add_sizes(admin, partitions, [name])
        configs = _configs(admin, name)
    finally:
        admin.close()
    return {
        **_summary(name, topic["is_internal"], partitions[name]),
        "topic_id": str(topic["topic_id"]) if topic.get("topic_id") else None,
        "partition_details": partitions[name],
        "configs": configs,
    }


def partition_count(name: str) -> int:
    """How many partitions the topic has (never creating it); raises TopicNotFound."""
    admin = open_admin()
    try:
        return len(describe_one(admin, name)["partitions"])
    finally:
        admin.close()


def describe_one(admin: KafkaAdminClient, name: str) -> dict:
    """The metadata of one topic (never creating it); raises TopicNotFound or the topic's other error."""
    topic = admin.describe_topics([name])[0]
    if topic["error_code"] == UnknownTopicOrPartitionError.errno:
        raise TopicNotFound(name)
    if topic["error_code"]:
        raise for_code(topic["error_code"])(f"topic {name!r} cannot be described")
    return topic


def partition_rows(topic: dict) -> list[dict]:
    return [
        {
            "partition": p["partition_index"],
            "leader": p["leader_id"] if p["leader_id"] >= 0 else None,
            "replicas": list(p["replica_nodes"]),
            "isr": list(p["isr_nodes"]),
            "offline": list(p.get("offline_replicas") or []),
            "log_start": None,
            "log_end": None,
            "records": None,
            "size_bytes": None,
            "replica_sizes": {},
        }
        for p in sorted(topic["partitions"], key=lambda p: p["partition_index"])
    ]


def _add_offsets(admin: KafkaAdminClient, partitions: dict[str, list[dict]]) -> None:
    """Log start and end per partition, two ListOffsets rounds for every topic at once."""
    rows = {TopicPartition(name, row["partition"]): row for name, rows in partitions.items() for row in rows}
    if not rows:
        return
    starts = admin.list_partition_offsets(dict.fromkeys(rows, OffsetSpec.EARLIEST))
    ends = admin.list_partition_offsets(dict.fromkeys(rows, OffsetSpec.LATEST))
    for tp, row in rows.items():
        if tp in starts and tp in ends:
            row["log_start"], row["log_end"] = starts[tp].offset, ends[tp].offset
            row["records"] = max(ends[tp].offset - starts[tp].offset, 0)


def _add_sizes(admin: KafkaAdminClient, partitions: dict[str, list[dict]], names: list[str] | None) -> None:
    """Bytes on disk per replica, asked of each broker alone: a broker that is down leaves its replicas' sizes
    unknown (null) instead of failing the whole answer."""
    rows = {(name, row["partition"]): row for name, rows in partitions.items() for row in rows}
    for broker in sorted({replica for row in rows.values() for replica in row["replicas"]}):
        try:
            answer = admin.describe_log_dirs(names, brokers=[broker])
        except KafkaError:
            continue
        for name, partition, size in _log_dir_sizes(answer):
            row = rows.get((name, partition))
            if row is not None:
                row["replica_sizes"][str(broker)] = row["replica_sizes"].get(str(broker), 0) + size
    for row in rows.values():
        leader_size = row["replica_sizes"].get(str(row["leader"]))
        row["size_bytes"] = leader_size


def _log_dir_sizes(answer: list[dict]) -> Iterable[tuple[str, int, int]]:
    for broker in answer:
        for log_dir in broker["log_dirs"]:
            if log_dir.get("error_code"):
                continue
            for topic in log_dir["topics"]:
                for partition in topic["partitions"]:
                    if not partition.get("is_future_key"):
                        yield topic["name"], partition["partition_index"], partition["partition_size"]


def _summary(name: str, internal: bool, partitions: list[dict]) -> dict:
    sizes = [row["size_bytes"] for row in partitions]
    counts = [row["records"] for row in partitions]
    return {
        "name": name,
        "internal": internal,
        "partitions": len(partitions),
        "replication_factor": max((len(row["replicas"]) for row in partitions), default=0),
        "size_bytes": sum(sizes) if sizes and None not in sizes else None,
        "records": sum(counts) if counts and None not in counts else None,
        "under_replicated": sum(1 for row in partitions if len(row["isr"]) < len(row["replicas"])),
    }


def _configs(admin: KafkaAdminClient, name: str) -> list[dict]:
    """Every config of the topic, by name: its value (null when sensitive), source, and default or override."""
    answer = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)], config_filter="all")
    configs = answer.get("topic", {}).get(name, {})
    return [
        {
            "name": key,
            "value": None if config.get("is_sensitive") else config.get("value"),
            "source": config["config_source"],
            "override": config["config_source"] == OVERRIDE_SOURCE,
            "read_only": bool(config.get("read_only")),
            "sensitive": bool(config.get("is_sensitive")),
            "type": config.get("config_type"),
        }
        for key, config in sorted(configs.items())
    ]
