"""Each criterion on a real broker: key (exact, contains), header name and value, value text (in bytes that are not
UTF-8 too), hex, partitions, a time range; and what a matched record's frame says."""

from __future__ import annotations

import base64
import uuid

import pytest
from kafka import KafkaProducer

from harness.topics import create_topic
from tests.support.live_socket import run_in_own_loop
from tests.topic_search.conftest import of_type, search

# The database only serves the socket's session: the subject is the scan of a topic.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database_incidental]

BASE_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
# (partition, key, headers, value, timestamp): the records of the small topic, in this order per partition.
RECORDS = [
    (0, b"alpha-1", [("type", b"order.created")], b'{"who": "ana"}', BASE_MS),
    (0, b"alpha-2", [("trace", b"abc-123")], b"plain text", BASE_MS + 1000),
    (1, b"beta-1", [("type", b"order.status_changed")], b"\xff\xfe binary NEEDLE \x00\x01", BASE_MS + 2000),
    (1, None, [], b"keyless record", BASE_MS + 3000),
    (2, b"alpha", [("Type", b"other")], None, BASE_MS + 4000),
    (2, b"gamma-1", [("type", b"\xc3\x28 not utf-8")], b"gamma value", BASE_MS + 5000),
]


@pytest.fixture(scope="module")
def small_topic(kafka_broker) -> str:
    name = f"search-small-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, name)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    for partition, key, headers, value, timestamp in RECORDS:
        producer.send(name, key=key, value=value, headers=headers, partition=partition, timestamp_ms=timestamp)
        producer.flush(10)
    producer.close()
    return name


def found(topic: str, **criteria) -> list[tuple[int, int]]:
    """(partition, offset) of each match of a search with these criteria, which must end at the topic's end."""
    frames: list = []

    async def scenario():
        frames.extend(await search({"topic": topic, **criteria}))

    run_in_own_loop(scenario, timeout=40)
    assert frames[-1]["type"] == "done" and frames[-1]["reason"] == "end_of_topic", frames[-1]
    return sorted((f["record"]["partition"], f["record"]["offset"]) for f in of_type(frames, "match"))


CASES = {
    "key-contains": ({"key": "alpha"}, [(0, 0), (0, 1), (2, 0)]),
    "key-exact": ({"key": "alpha", "key_match": "exact"}, [(2, 0)]),
    "key-hex": ({"key": "62657461", "key_format": "hex"}, [(1, 0)]),
    "header-name": ({"header_name": "type"}, [(0, 0), (1, 0), (2, 1)]),
    "header-name-is-exact-and-case-sensitive": ({"header_name": "Type"}, [(2, 0)]),
    "header-value": ({"header_value": "status"}, [(1, 0)]),
    "header-name-and-value": ({"header_name": "type", "header_value": "order"}, [(0, 0), (1, 0)]),
    "header-value-not-utf-8-in-hex": ({"header_value": "c328", "header_value_format": "hex"}, [(2, 1)]),
    "value-text": ({"value": "NEEDLE"}, [(1, 0)]),
    "value-text-is-case-sensitive": ({"value": "needle"}, []),
    "value-hex": ({"value": "fffe", "value_format": "hex"}, [(1, 0)]),
    "partitions": ({"partitions": [1]}, [(1, 0), (1, 1)]),
    "partitions-with-value": ({"partitions": [0, 2], "value": "a"}, [(0, 0), (0, 1), (2, 1)]),
    "time-range": ({"from_time": BASE_MS + 1000, "to_time": BASE_MS + 3000}, [(0, 1), (1, 0), (1, 1)]),
    "from-time-only": ({"from_time": BASE_MS + 4500}, [(2, 1)]),
    "to-time-only": ({"to_time": BASE_MS}, [(0, 0)]),
    "time-range-and-key": ({"from_time": BASE_MS, "to_time": BASE_MS + 4000, "key": "alpha"}, [(0, 0), (0, 1), (2, 0)]),
    "nothing-matches": ({"value": "absent"}, []),
}


@pytest.mark.parametrize(("criteria", "expected"), CASES.values(), ids=CASES.keys())
def test_each_criterion_finds_exactly_its_records(small_topic, criteria, expected):
    assert found(small_topic, **criteria) == expected


def test_a_record_that_is_not_utf_8_is_found_and_shown_as_bytes(small_topic):
    frames: list = []

    async def scenario():
        frames.extend(await search({"topic": small_topic, "value": "binary"}))

    run_in_own_loop(scenario, timeout=40)
    (match,) = of_type(frames, "match")
    record = match["record"]
    assert record["type"] == "record" and record["topic"] == small_topic
    assert (record["value_format"], record["value_reason"]) == ("base64", "not UTF-8")
    assert base64.b64decode(record["value"]) == RECORDS[2][3]
    assert record["key"] == "beta-1" and record["timestamp"] == BASE_MS + 2000
    # Not the orders topic: no order event, so no verdict either.
    assert "verdict" not in record


def test_a_started_frame_names_the_range_each_partition_is_read_over(small_topic):
    frames: list = []

    async def scenario():
        frames.extend(await search({"topic": small_topic, "from_time": BASE_MS + 1000, "to_time": BASE_MS + 3000}))

    run_in_own_loop(scenario, timeout=40)
    started = frames[0]
    assert started["type"] == "started"
    assert started["partitions"] == {
        "0": {"from": 1, "until": 2},
        "1": {"from": 0, "until": 2},
        "2": {"from": 0, "until": 0},  # its first record is past the range: nothing to read
    }
    assert started["criteria"] == {"topic": small_topic, "from_time": BASE_MS + 1000, "to_time": BASE_MS + 3000}
    assert started["bounds"]["max_matches"] > 0
