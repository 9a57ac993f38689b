"""Resetting a consumer group's offsets from the page's endpoint, against the real broker: per kind, the preview, the
command Kafka's own tool runs for the same reset (its dry run must agree), the apply, and the group's next read at
the new position; the refusal while the group has members; every bad input a 400 with field errors."""

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from dashboard.fulfilment_panel import offset_reset
from harness.processes import ROOT
from harness.topics import create_topic
from tests.dashboard.test_fulfilment_panel import commit_as_group
from tests.support.waiting import wait_until

GROUP = "learners"


@pytest.fixture(autouse=True)
def controls_on(settings):
    settings.FULFILMENT_CONTROLS = True


def reset(client, body, group=GROUP):
    return client.post(f"/fulfilment/groups/{group}/reset", json.dumps(body), content_type="application/json")


def produce(bootstrap: str, topic: str, counts: dict[int, int], base_ms: int = 0) -> None:
    """`counts[p]` records on partition p; record i of partition p has the time base + i * (p + 1) seconds."""
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for partition, count in counts.items():
        for index in range(count):
            when = base_ms + index * 1000 * (partition + 1) if base_ms else None
            producer.send(topic, value=f"{partition}-{index}".encode(), partition=partition, timestamp_ms=when)
    producer.flush()
    producer.close()


def committed(bootstrap: str, topic: str, group: str = GROUP) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        offsets = admin.list_group_offsets({group: None})[group]
    finally:
        admin.close()
    return {tp.partition: meta.offset for tp, meta in offsets.items() if tp.topic == topic}


def next_reads(bootstrap: str, topic: str, partitions: int = 3, group: str = GROUP) -> dict[int, int]:
    """The offset of the first record the group reads on each partition when it joins again, committing nothing.
    With no committed offset a partition would raise: every position read here is the group's own."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, auto_offset_reset="none"
    )
    first: dict[int, int] = {}
    try:
        deadline = time.monotonic() + 30
        while len(first) < partitions and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=300).items():
                first.setdefault(tp.partition, records[0].offset)
    finally:
        consumer.close()
    return first


def run_tool(command: str) -> dict[int, int]:
    """Run a shown command as a terminal in the project would; NEW-OFFSET per partition from its table."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    try:
        result = subprocess.run(
            ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        (ROOT / offset_reset.PLAN_FILE).unlink(missing_ok=True)
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    header = next(index for index, line in enumerate(lines) if line.split()[:1] == ["GROUP"])
    assert lines[header].split() == ["GROUP", "TOPIC", "PARTITION", "NEW-OFFSET"], result.stdout
    return {int(line.split()[2]): int(line.split()[3]) for line in lines[header + 1 :] if line.strip()}


def planned(answer: dict) -> dict[int, int]:
    return {row["partition"]: row["new"] for row in answer["partitions"]}


def preview_then_apply(client, body: dict, expected_command: str) -> dict:
    """Preview (nothing moves), check the shown command and that Kafka's tool plans the same, then apply."""
    preview = reset(client, body)
    assert preview.status_code == 200, preview.content
    answer = preview.json()
    assert answer["applied"] is False
    assert answer["commands"]["dry_run"] == expected_command
    assert answer["commands"]["execute"] == expected_command.replace("--dry-run", "--execute")
    assert run_tool(answer["commands"]["dry_run"]) == planned(answer)
    applied = reset(client, body | {"apply": True})
    assert applied.status_code == 200, applied.content
    assert applied.json()["applied"] is True
    assert planned(applied.json()) == planned(answer)
    return answer


def tool(bootstrap: str, *args: str) -> str:
    return " ".join(
        ["python -m localkafka consumer-groups --bootstrap-server", bootstrap, "--group", GROUP, *args, "--dry-run"]
    )


def test_to_the_earliest_is_the_log_start_not_zero(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    produce(bootstrap, orders_topic, {0: 6, 1: 6, 2: 6})
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.delete_records({TopicPartition(orders_topic, 0): 2})  # retention took partition 0's first two records
    admin.close()
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 5, 1: 5, 2: 5})
    answer = preview_then_apply(
        client, {"to": "earliest"}, tool(bootstrap, "--topic", orders_topic, "--reset-offsets", "--to-earliest")
    )
    assert answer["partitions"] == [
        {"partition": 0, "current": 5, "new": 2, "log_start": 2, "log_end": 6, "lag": 4},
        {"partition": 1, "current": 5, "new": 0, "log_start": 0, "log_end": 6, "lag": 6},
        {"partition": 2, "current": 5, "new": 0, "log_start": 0, "log_end": 6, "lag": 6},
    ]
    assert (answer["lag"], answer["state"]) == (16, "Empty")
    assert committed(bootstrap, orders_topic) == {0: 2, 1: 0, 2: 0}
    assert next_reads(bootstrap, orders_topic) == {0: 2, 1: 0, 2: 0}


def test_to_the_latest_skips_everything_on_the_topic(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    produce(bootstrap, orders_topic, {0: 4, 1: 2, 2: 3})
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 0, 1: 0})
    answer = preview_then_apply(
        client, {"to": "latest"}, tool(bootstrap, "--topic", orders_topic, "--reset-offsets", "--to-latest")
    )
    assert [(row["current"], row["new"], row["lag"]) for row in answer["partitions"]] == [
        (0, 4, 0),
        (0, 2, 0),
        (None, 3, 0),  # never committed on partition 2: the reset gives it an offset
    ]
    produce(bootstrap, orders_topic, {0: 1, 1: 1, 2: 1})  # only what comes after the reset is read
    assert next_reads(bootstrap, orders_topic) == {0: 4, 1: 2, 2: 3}


def test_to_a_time_is_the_first_record_at_or_after_it_per_partition(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    base = (int(time.time()) - 3600) * 1000
    produce(bootstrap, orders_topic, {0: 6, 1: 6, 2: 1}, base_ms=base)
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 6, 1: 6, 2: 1})
    moment = datetime.fromtimestamp((base + 3500) / 1000, UTC)
    # Any time zone names the same instant; the tool gets it in UTC, to the millisecond.
    typed = moment.astimezone(timezone(timedelta(hours=2))).isoformat()
    kafka_time = moment.strftime("%Y-%m-%dT%H:%M:%S.500Z")
    answer = preview_then_apply(
        client,
        {"to": "datetime", "datetime": typed},
        tool(bootstrap, "--topic", orders_topic, "--reset-offsets", "--to-datetime", kafka_time),
    )
    assert answer["datetime"] == kafka_time
    # Partition 0's records are a second apart, partition 1's two: 3.5 s in is record 4 and record 2. Partition 2
    # has no record that late: its log end, as Kafka's tool does.
    assert planned(answer) == {0: 4, 1: 2, 2: 1}
    produce(bootstrap, orders_topic, {2: 1})
    assert next_reads(bootstrap, orders_topic) == {0: 4, 1: 2, 2: 1}


def test_an_offset_per_partition_moves_only_those_partitions(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    produce(bootstrap, orders_topic, {0: 6, 1: 6, 2: 6})
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 1, 1: 1, 2: 1})
    answer = preview_then_apply(
        client,
        {"to": "offsets", "offsets": {"2": 5, "0": 3}},
        f"printf '%s\\n' {orders_topic},0,3 {orders_topic},2,5 > reset-offsets.csv && "
        + tool(bootstrap, "--reset-offsets", "--from-file", "reset-offsets.csv"),
    )
    assert [(row["partition"], row["current"], row["new"], row["lag"]) for row in answer["partitions"]] == [
        (0, 1, 3, 3),
        (2, 1, 5, 1),
    ]
    assert next_reads(bootstrap, orders_topic) == {0: 3, 1: 1, 2: 5}


def test_the_execute_command_commits_what_apply_would(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    produce(bootstrap, orders_topic, {0: 3, 1: 3, 2: 3})
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 3, 1: 3, 2: 3})
    answer = reset(client, {"to": "offsets", "offsets": {"1": 1}}).json()
    command = answer["commands"]["execute"]
    assert run_tool(command) == {1: 1}
    assert committed(bootstrap, orders_topic) == {0: 3, 1: 1, 2: 3}
    assert not (ROOT / offset_reset.PLAN_FILE).exists()


def test_refused_while_the_group_has_members_and_nothing_moves(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    produce(bootstrap, orders_topic, {0: 2, 1: 2, 2: 2})
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 2, 1: 2, 2: 2})
    member = KafkaConsumer(orders_topic, bootstrap_servers=bootstrap, group_id=GROUP, enable_auto_commit=False)
    try:
        wait_until(lambda: member.poll(timeout_ms=100) is not None and member.assignment(), timeout=30, message="join")
        for body in ({"to": "earliest"}, {"to": "earliest", "apply": True}):
            response = reset(client, body)
            assert response.status_code == 409
            assert response.json() == {
                "detail": f"The group '{GROUP}' has 1 member (state Stable): Kafka moves the offsets of an empty "
                "group only. Bring it to 0 members first, then reset.",
                "state": "Stable",
                "members": 1,
            }
        assert committed(bootstrap, orders_topic) == {0: 2, 1: 2, 2: 2}
    finally:
        member.close()
    assert reset(client, {"to": "earliest", "apply": True}).status_code == 200
    assert committed(bootstrap, orders_topic) == {0: 0, 1: 0, 2: 0}


def test_groups_partitions_and_offsets_the_topic_has_not_are_field_errors(client, kafka_broker, orders_topic):
    bootstrap = kafka_broker.bootstrap_servers
    produce(bootstrap, orders_topic, {0: 4, 1: 4, 2: 4})
    commit_as_group(bootstrap, orders_topic, GROUP, {0: 1, 1: 1, 2: 1})
    create_topic(bootstrap, f"{orders_topic}-other")
    commit_as_group(bootstrap, f"{orders_topic}-other", "elsewhere", {0: 0})
    for group in ("nobody", "elsewhere"):
        response = reset(client, {"to": "earliest"}, group=group)
        assert (response.status_code, response.json()) == (
            400,
            {"group": [f"No consumer group {group!r} reads {orders_topic!r}."]},
        )
    response = reset(client, {"to": "offsets", "offsets": {"7": 0, "0": 1}})
    assert (response.status_code, response.json()) == (
        400,
        {"offsets.7": [f"{orders_topic!r} has no partition 7 (it has 0 to 2)."]},
    )
    response = reset(client, {"to": "offsets", "offsets": {"0": 5, "1": 4}, "apply": True})
    assert (response.status_code, response.json()) == (
        400,
        {
            "offsets.0": [
                "Partition 0's log runs from 0 to 4: use an offset in it (4: after the last record).",
            ]
        },
    )
    assert committed(bootstrap, orders_topic) == {0: 1, 1: 1, 2: 1}


def test_a_group_id_with_a_slash_is_one_group(client, kafka_broker, orders_topic):
    commit_as_group(kafka_broker.bootstrap_servers, orders_topic, "team/a b", {0: 0})
    response = reset(client, {"to": "latest"}, group="team%2Fa%20b")
    assert response.status_code == 200, response.content
    assert response.json()["group"] == "team/a b"
    assert "--group 'team/a b'" in response.json()["commands"]["dry_run"]


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        (["to"], {"non_field_errors": ["Send a JSON object."]}),
        ({"to": "middle", "colour": 1}, {"colour": ["Unknown field."], "to": [offset_reset.KINDS_MESSAGE]}),
        ({"to": "datetime", "datetime": "yesterday"}, {"datetime": [offset_reset.DATETIME_MESSAGE]}),
        ({"to": "datetime"}, {"datetime": [offset_reset.DATETIME_MESSAGE]}),
        (
            {"to": "datetime", "datetime": "2026-05-01T12:00:00"},
            {"datetime": ["Give the time zone too (Z or +01:00): Kafka's record times are UTC."]},
        ),
        (
            {"to": "datetime", "datetime": "1969-12-31T23:59:59Z"},
            {"datetime": ["Use a time from 1970-01-01T00:00:00Z on: record times count from then."]},
        ),
        ({"to": "earliest", "datetime": "2026-05-01T12:00:00Z"}, {"datetime": ['Only with "to": "datetime".']}),
        ({"to": "offsets", "offsets": {}}, {"offsets": ['Give at least one partition\'s offset, as {"0": 42}.']}),
        (
            {"to": "offsets", "offsets": {"x": 1, "1": -1, "2": 1.5, "3": True}},
            {
                "offsets": ["'x' is no partition number."],
                "offsets.1": ["Use a whole number from 0."],
                "offsets.2": ["Use a whole number from 0."],
                "offsets.3": ["Use a whole number from 0."],
            },
        ),
        ({"to": "latest", "apply": "yes"}, {"apply": ["Use true or false."]}),
    ],
)
def test_bad_input_is_a_400_with_field_errors_before_kafka_is_asked(client, settings, body, errors):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"  # asking Kafka would be a 503, not these
    response = reset(client, body)
    assert (response.status_code, response.json()) == (400, errors)


def test_an_unreachable_broker_is_a_503(client, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"
    response = reset(client, {"to": "earliest"})
    assert response.status_code == 503
    assert response.json()["detail"].startswith("Kafka: ")


def test_the_reset_is_a_control_off_where_the_controls_are(client, settings):
    settings.FULFILMENT_CONTROLS = False
    assert reset(client, {"to": "earliest", "apply": True}).status_code == 403
