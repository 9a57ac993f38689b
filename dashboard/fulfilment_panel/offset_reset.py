"""Reset a consumer group's committed offsets on the topic: to the earliest, the latest, a time, or an offset per
partition. What `kafka-consumer-groups --reset-offsets` does, through the same admin API, with the same rules:

- a plan first (`--dry-run`): per partition the committed offset, the new one and the lag it leaves;
- only for an empty group: the broker takes no offset commit from outside a group that has members, so a group
  with members is refused before anything is sent (Kafka's tool refuses its dry run too);
- a time finds, per partition, the first record at or after it (ListOffsets by timestamp), or the log end where
  none is;
- an offset must lie in the partition's log, from its start to its end (the end: nothing left to read).

`commands()` writes the Kafka tool's command line for the same reset; the page shows it beside the form.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from kafka import KafkaAdminClient, TopicPartition
from kafka.admin import OffsetSpec, OffsetTimestamp
from kafka.errors import for_code
from kafka.structs import OffsetAndMetadata

from dashboard.fulfilment_panel.consumer_groups import members_reading
from messaging import clients
from orders.exceptions import InvalidInput

KINDS = ("earliest", "latest", "datetime", "offsets")
FIELDS = {"to", "datetime", "offsets", "apply"}
# Kafka moves a group's offsets only in these states (ConsumerGroupCommand checks the same before a reset).
INACTIVE_STATES = ("Empty", "Dead")
# The file the per-partition command writes (Kafka's tool reads a reset plan only from a file, and reads it twice,
# so a pipe will not do).
PLAN_FILE = "reset-offsets.csv"
MAX_DATETIME_CHARS = 64
MAX_PARTITIONS = 10_000
MAX_OFFSET = 2**63 - 1
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
KINDS_MESSAGE = "Choose earliest, latest, datetime or offsets."
DATETIME_MESSAGE = "Give a time as ISO 8601 with its time zone, e.g. 2026-05-01T12:00:00Z."
PARTITION_KEY = re.compile(r"\d{1,9}")


class GroupActive(Exception):
    """The group has members: Kafka refuses to move its offsets until it is empty."""

    def __init__(self, group_id: str, state: str, members: int):
        self.group_id, self.state, self.members = group_id, state, members
        who = f"{members} member{'' if members == 1 else 's'}" if members else "members joining"
        super().__init__(
            f"The group {group_id!r} has {who} (state {state}): Kafka moves the offsets of an empty group only. "
            "Bring it to 0 members first, then reset."
        )


@dataclass(frozen=True)
class Target:
    """Where the group's offsets go: one of KINDS, with the time (ms since the epoch) or the offsets it needs."""

    to: str
    timestamp_ms: int | None = None
    offsets: dict[int, int] = field(default_factory=dict)


def parse(body: object) -> tuple[Target, bool]:
    """The request's target and whether to apply it; InvalidInput with every field's problem."""
    if not isinstance(body, dict):
        raise InvalidInput({"non_field_errors": ["Send a JSON object."]})
    errors: dict[str, list[str]] = {name: ["Unknown field."] for name in sorted(set(body) - FIELDS)}
    to = body.get("to")
    if to not in KINDS:
        errors["to"] = [KINDS_MESSAGE]
    for name in ("datetime", "offsets"):
        if body.get(name) is not None and to in KINDS and to != name:
            errors[name] = [f'Only with "to": "{name}".']
    timestamp_ms = _timestamp_ms(body.get("datetime"), errors) if to == "datetime" else None
    offsets = _offsets(body.get("offsets"), errors) if to == "offsets" else {}
    apply = body.get("apply", False)
    if not isinstance(apply, bool):
        errors["apply"] = ["Use true or false."]
    if errors:
        raise InvalidInput(errors)
    return Target(to, timestamp_ms, offsets), apply


def _timestamp_ms(value: object, errors: dict) -> int | None:
    if not isinstance(value, str) or not value or len(value) > MAX_DATETIME_CHARS:
        errors["datetime"] = [DATETIME_MESSAGE]
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors["datetime"] = [DATETIME_MESSAGE]
        return None
    if moment.tzinfo is None:
        errors["datetime"] = ["Give the time zone too (Z or +01:00): Kafka's record times are UTC."]
        return None
    if moment < EPOCH:
        errors["datetime"] = ["Use a time from 1970-01-01T00:00:00Z on: record times count from then."]
        return None
    return (moment - EPOCH) // timedelta(milliseconds=1)


def _offsets(value: object, errors: dict) -> dict[int, int]:
    if not isinstance(value, dict) or not value:
        errors["offsets"] = ['Give at least one partition\'s offset, as {"0": 42}.']
        return {}
    if len(value) > MAX_PARTITIONS:
        errors["offsets"] = [f"Give at most {MAX_PARTITIONS} partitions."]
        return {}
    offsets = {}
    for key, offset in value.items():
        if not isinstance(key, str) or not PARTITION_KEY.fullmatch(key):
            errors.setdefault("offsets", []).append(f"{str(key)[:20]!r} is no partition number.")
        elif isinstance(offset, bool) or not isinstance(offset, int) or not 0 <= offset <= MAX_OFFSET:
            errors[f"offsets.{int(key)}"] = ["Use a whole number from 0."]
        else:
            offsets[int(key)] = offset
    return offsets


def reset(group_id: str, target: Target, *, apply: bool, topic: str | None = None) -> dict:
    """The plan for the group's partitions of the topic, committed when `apply`. Raises InvalidInput (unknown group,
    partitions or offsets the topic has not), GroupActive, or KafkaError / OSError while Kafka cannot be asked.

    A client of its own per call: a reset is a person's click, and a fresh client always names the configured
    broker."""
    topic = topic or settings.KAFKA_ORDERS_TOPIC
    admin = clients.build_admin(client_id="orders-offset-reset", bootstrap_timeout_ms=2_000, request_timeout_ms=5_000)
    try:
        rows, state = _plan(admin, group_id, target, topic)
        if apply:
            _commit(admin, group_id, topic, rows)
    finally:
        admin.close()
    return {
        "group": group_id,
        "topic": topic,
        "to": target.to,
        "datetime": _kafka_datetime(target.timestamp_ms) if target.timestamp_ms is not None else None,
        "state": state,
        "applied": apply,
        "partitions": rows,
        "lag": sum(row["lag"] for row in rows),
        "commands": commands(group_id, target, topic),
    }


def _plan(admin: KafkaAdminClient, group_id: str, target: Target, topic: str) -> tuple[list[dict], str]:
    described = admin.describe_topics([topic])[0]
    if described["error_code"]:
        raise for_code(described["error_code"])(f"topic {topic!r} cannot be described")
    partitions = sorted(p["partition_index"] for p in described["partitions"])
    group = admin.describe_groups([group_id])[group_id]
    committed = {
        tp.partition: meta.offset
        for tp, meta in admin.list_group_offsets({group_id: None}).get(group_id, {}).items()
        if tp.topic == topic and meta.offset >= 0
    }
    members = group.get("members") or []
    if not committed and not members_reading(group, topic):
        raise InvalidInput({"group": [f"No consumer group {group_id!r} reads {topic!r}."]})
    if group["group_state"] not in INACTIVE_STATES:
        raise GroupActive(group_id, group["group_state"], len(members))
    chosen = sorted(target.offsets) if target.to == "offsets" else partitions
    if missing := [p for p in chosen if p not in partitions]:
        span = f"0 to {partitions[-1]}" if partitions else "none"
        raise InvalidInput({f"offsets.{p}": [f"{topic!r} has no partition {p} (it has {span})."] for p in missing})
    tps = [TopicPartition(topic, p) for p in chosen]
    starts = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST))
    ends = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
    new = _new_offsets(admin, target, tps, starts, ends)
    rows = [
        {
            "partition": tp.partition,
            "current": committed.get(tp.partition),
            "new": new[tp],
            "log_start": starts[tp].offset,
            "log_end": ends[tp].offset,
            "lag": ends[tp].offset - new[tp],
        }
        for tp in tps
    ]
    if outside := [row for row in rows if not row["log_start"] <= row["new"] <= row["log_end"]]:
        raise InvalidInput(
            {
                f"offsets.{row['partition']}": [
                    f"Partition {row['partition']}'s log runs from {row['log_start']} to {row['log_end']}: "
                    f"use an offset in it ({row['log_end']}: after the last record)."
                ]
                for row in outside
            }
        )
    return rows, group["group_state"]


def _new_offsets(admin, target: Target, tps: list[TopicPartition], starts: dict, ends: dict) -> dict:
    if target.to == "earliest":
        return {tp: starts[tp].offset for tp in tps}
    if target.to == "latest":
        return {tp: ends[tp].offset for tp in tps}
    if target.to == "offsets":
        return {tp: target.offsets[tp.partition] for tp in tps}
    found = admin.list_partition_offsets(dict.fromkeys(tps, OffsetTimestamp(target.timestamp_ms)))
    # No record at or after the time: the log end, as Kafka's tool does.
    return {tp: found[tp].offset if found[tp].offset >= 0 else ends[tp].offset for tp in tps}


def _commit(admin: KafkaAdminClient, group_id: str, topic: str, rows: list[dict]) -> None:
    """Commit the plan as the group's offsets. A member that joined since the plan makes the broker refuse: that is
    GroupActive again, as before the plan."""
    offsets = {TopicPartition(topic, row["partition"]): OffsetAndMetadata(row["new"], "", None) for row in rows}
    failed = [error for error in admin.alter_group_offsets(group_id, offsets).values() if error.errno != 0]
    if not failed:
        return
    group = admin.describe_groups([group_id])[group_id]
    if group["group_state"] not in INACTIVE_STATES:
        raise GroupActive(group_id, group["group_state"], len(group.get("members") or []))
    raise failed[0](f"the broker refused the offsets of group {group_id!r}")


def _kafka_datetime(timestamp_ms: int) -> str:
    """The time as Kafka's tool reads it: UTC, to the millisecond."""
    moment = EPOCH + timedelta(milliseconds=timestamp_ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}Z"


def commands(group_id: str, target: Target, topic: str) -> dict[str, str]:
    """Kafka's own `kafka-consumer-groups` for the same reset, from the fetched jars: the dry run (the preview) and
    the execution (Apply). Offsets per partition go through a plan file, one `topic,partition,offset` a line."""
    tool = ["python", "-m", "localkafka", "consumer-groups", "--bootstrap-server", settings.KAFKA_BOOTSTRAP_SERVERS]
    tool += ["--group", group_id]
    prefix = ""
    if target.to == "offsets":
        lines = [f"{topic},{partition},{offset}" for partition, offset in sorted(target.offsets.items())]
        prefix = shlex.join(["printf", r"%s\n", *lines]) + f" > {PLAN_FILE} && "
        how = ["--reset-offsets", "--from-file", PLAN_FILE]
    else:
        to = {
            "earliest": ["--to-earliest"],
            "latest": ["--to-latest"],
            "datetime": ["--to-datetime", _kafka_datetime(target.timestamp_ms or 0)],
        }[target.to]
        how = ["--topic", topic, "--reset-offsets", *to]
    return {mode: prefix + shlex.join([*tool, *how, f"--{mode.replace('_', '-')}"]) for mode in ("dry_run", "execute")}
