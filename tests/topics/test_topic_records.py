"""Browsing any topic's records through the endpoint, against the real broker: the feed's frames, newest first
across partitions; a partition from an offset; older and newer pages that neither skip nor repeat a record; bytes
that are not UTF-8 as base64 and a record the client cannot decode as an unreadable frame, never an error; the
count and byte bounds."""

import base64

import pytest

from tests.support.raw_records import RawHeaderName
from tests.topics.conftest import make_topic, produce
from topics import browse, browse_query


def page(client, name: str, **params) -> dict:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    answer = client.get(f"/kafka/topics/{name}/records?{query}")
    assert answer.status_code == 200, answer.content
    return answer.json()


def places(frames: list[dict]) -> list[tuple[int, int]]:
    return [(frame["partition"], frame["offset"]) for frame in frames]


@pytest.fixture
def spread(kafka_broker, new_name):
    """Twelve text records, four per partition, produced one after another round the partitions (so record time
    and production order agree)."""
    name = make_topic(kafka_broker.bootstrap_servers, new_name("browse"), partitions=3)
    produce(kafka_broker.bootstrap_servers, name, [(i % 3, f"k{i}".encode(), f"v{i}".encode(), []) for i in range(12)])
    return name


def test_the_default_page_is_the_newest_records_across_partitions_newest_first(client, spread):
    answer = page(client, spread, limit=5)
    assert [frame["value"] for frame in answer["records"]] == ["v11", "v10", "v9", "v8", "v7"]
    first = answer["records"][0]
    assert {key: first[key] for key in ("type", "topic", "key", "key_format", "value_format", "verdict")} == {
        "type": "record",
        "topic": spread,
        "key": "k11",
        "key_format": "text",
        "value_format": "text",
        "verdict": None,
    }
    assert answer["newer"] is None and answer["older"] is not None


def test_older_pages_walk_back_to_the_start_without_a_gap_or_a_repeat(client, spread):
    seen, cursor = [], None
    while True:
        answer = page(client, spread, limit=5, **({"before": cursor} if cursor else {}))
        seen += [frame["value"] for frame in answer["records"]]
        cursor = answer["older"]
        if cursor is None:
            break
    assert seen == [f"v{i}" for i in range(11, -1, -1)]


def test_a_partition_from_an_offset_then_its_newer_page(client, spread):
    answer = page(client, spread, partition=1, offset=1, limit=2)
    assert places(answer["records"]) == [(1, 2), (1, 1)]  # newest first, as the feed shows
    assert (answer["older"], answer["newer"]) == ("1:1", "1:3")
    newer = page(client, spread, after=answer["newer"], limit=5)
    assert places(newer["records"]) == [(1, 3)]
    assert newer["newer"] is None


def test_bytes_that_are_not_utf8_come_as_base64_and_an_undecodable_record_as_unreadable(client, kafka_broker, new_name):
    name = make_topic(kafka_broker.bootstrap_servers, new_name("binary"), partitions=1)
    produce(
        kafka_broker.bootstrap_servers,
        name,
        [
            (0, b"\xff\xfe\x00", b"\x00\x01\x02\xc3\x28", [("bin", b"\xff")]),
            (0, b"gone", None, []),
            (0, b"text", b"after", [(RawHeaderName(b"\xfe\xff-name"), b"v")]),
        ],
    )
    frames = {frame["offset"]: frame for frame in page(client, name)["records"]}
    assert sorted(frames) == [0, 1, 2]
    binary = frames[0]
    assert (binary["key_format"], base64.b64decode(binary["key"])) == ("base64", b"\xff\xfe\x00")
    assert (binary["value_format"], base64.b64decode(binary["value"])) == ("base64", b"\x00\x01\x02\xc3\x28")
    assert binary["headers_raw"] == [{"name": "bin", "value": "/w==", "value_format": "base64", "reason": "not UTF-8"}]
    assert (frames[1]["key"], frames[1]["value_format"]) == ("gone", "null")  # a tombstone
    assert frames[2]["value_format"] == "unreadable" and frames[2]["verdict"] == "invalid"


def test_a_page_stops_at_its_byte_bound(client, kafka_broker, new_name):
    name = make_topic(kafka_broker.bootstrap_servers, new_name("big"), partitions=1)
    produce(kafka_broker.bootstrap_servers, name, [(0, None, bytes([65 + i]) * 300_000, []) for i in range(6)])
    answer = page(client, name, limit=10)
    assert answer["bounded_by"] == "bytes"
    assert len(answer["records"]) == browse.MAX_PAGE_BYTES // 300_000 == 3
    assert answer["bytes"] <= browse.MAX_PAGE_BYTES
    assert all(frame["truncated"] for frame in answer["records"])  # each field within the feed's cap too
    rest = page(client, name, limit=10, before=answer["older"])
    assert places(rest["records"]) == [(0, 2), (0, 1), (0, 0)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        (f"limit={browse_query.MAX_LIMIT + 1}", "limit"),
        ("partition=-1", "partition"),
        ("offset=3", "offset"),
        ("partition=0&offset=1&before=0:5", "non_field_errors"),
        ("before=zero", "before"),
        ("colour=red", "colour"),
        ("partition=7", "partition"),
        ("partition=0&offset=99", "offset.0"),
    ],
)
def test_bad_parameters_are_a_400_with_field_errors(client, spread, query, field):
    answer = client.get(f"/kafka/topics/{spread}/records?{query}")
    assert answer.status_code == 400, answer.content
    assert set(answer.json()) == {field}
