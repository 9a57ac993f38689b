"""Producing a record from the page: any text a learner types reaches the real topic, marked hand-made, on a chosen
partition or its key's, on another topic that exists, or as a tombstone; bad input is a 400 per field that changes
nothing on the topic."""

import json
import uuid

import pytest
from kafka import KafkaAdminClient

from harness.topics import create_topic, end_offsets, read_records
from messaging import judging

pytestmark = pytest.mark.django_db
HAND_MADE = (judging.HAND_MADE_HEADER, b"dashboard produce")


def post(client, body):
    return client.post("/workbench/produce", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"key": None, "value": None}, {"value"}),
        ({"key": 7, "value": ["x"]}, {"key", "value"}),
        ({"value": "x" * (256 * 1024 + 1)}, {"value"}),
        ({"value": "x", "headers": [["", "v"]]}, {"headers"}),
        ({"value": "x", "headers": [["h", "v"]] * 33}, {"headers"}),
        ({"value": "x", "headers": [["h" * 129, "v"]]}, {"headers"}),
        ({"value": "x", "headers": [["h", "v" * (8 * 1024 + 1)]]}, {"headers"}),
        ({"value": "x", "headers": [["h"]]}, {"headers"}),
        ({"value": "x", "headers": [["h", 1]]}, {"headers"}),
        ({"value": "x", "headers": [["h", None]]}, {"headers"}),
        ({"value": "\ud800"}, {"value"}),
        ({"value": "x", "offset": 2}, {"offset"}),
        ({"value": "x", "partition": -1}, {"partition"}),
        ({"value": "x", "partition": True}, {"partition"}),
        ({"value": "x", "partition": "1"}, {"partition"}),
        ({"value": "x", "topic": "no spaces allowed"}, {"topic"}),
        ({"value": "x", "topic": 5}, {"topic"}),
        ({"key": "k", "value": "x", "tombstone": True}, {"value"}),
        ({"key": "k", "value": "", "tombstone": True}, {"value"}),
        ({"tombstone": True}, {"key"}),
        ({"key": "k", "tombstone": "yes"}, {"tombstone", "value"}),
    ],
)
def test_bad_records_are_refused_per_field(client, settings, body, fields):
    settings.WORKBENCH_PRODUCE = True
    response = post(client, body)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_producing_is_refused_when_turned_off(client, settings):
    settings.WORKBENCH_PRODUCE = False
    assert post(client, {"value": "x"}).status_code == 403


def test_a_record_reaches_the_topic_exactly_as_typed_plus_the_hand_made_marker(client, settings, orders_topic):
    settings.WORKBENCH_PRODUCE = True
    typed = [["team", "blue"], ["empty", ""], [judging.HAND_MADE_HEADER, "not by hand, honest"]]
    response = post(client, {"key": "k-1", "value": "héllo", "headers": typed})
    assert response.status_code == 201
    placed = response.json()
    assert placed["topic"] == orders_topic
    [record] = read_records(settings.KAFKA_BOOTSTRAP_SERVERS, orders_topic, expected=1)
    assert (record.partition, record.offset) == (placed["partition"], placed["offset"])
    assert (record.key, record.value) == (b"k-1", "héllo".encode())
    assert record.headers == [("team", b"blue"), ("empty", b""), HAND_MADE]


def test_a_chosen_partition_is_where_a_reader_finds_the_record_with_its_headers(client, settings, orders_topic):
    settings.WORKBENCH_PRODUCE = True
    for partition in (2, 0):
        response = post(
            client,
            {"key": "same-key", "value": f"to {partition}", "partition": partition, "headers": [["n", str(partition)]]},
        )
        assert response.status_code == 201
        assert response.json()["partition"] == partition
    records = read_records(settings.KAFKA_BOOTSTRAP_SERVERS, orders_topic, expected=2)
    assert {(r.partition, r.value, tuple(r.headers)) for r in records} == {
        (2, b"to 2", (("n", b"2"), HAND_MADE)),
        (0, b"to 0", (("n", b"0"), HAND_MADE)),
    }


def test_by_key_a_record_lands_on_its_keys_partition(client, settings, orders_topic):
    settings.WORKBENCH_PRODUCE = True
    keys = [f"key-{n}" for n in range(6)]
    for key in keys:
        assert post(client, {"key": key, "value": ""}).status_code == 201
    records = read_records(settings.KAFKA_BOOTSTRAP_SERVERS, orders_topic, expected=len(keys))
    assert {r.key.decode(): r.partition for r in records} == {
        key: judging.home_partition(key.encode(), 3) for key in keys
    }
    assert {r.value for r in records} == {b""}, "an empty value is empty bytes, not a tombstone"


def test_a_tombstone_is_a_null_value_on_the_broker(client, settings, orders_topic):
    settings.WORKBENCH_PRODUCE = True
    response = post(client, {"key": "gone", "tombstone": True, "headers": [["why", "deleted"]]})
    assert response.status_code == 201
    [record] = read_records(settings.KAFKA_BOOTSTRAP_SERVERS, orders_topic, expected=1)
    assert (record.key, record.value, record.headers) == (b"gone", None, [("why", b"deleted"), HAND_MADE])
    assert record.partition == judging.home_partition(b"gone", 3)


def test_another_topic_that_exists_takes_the_record(client, settings, kafka_broker):
    settings.WORKBENCH_PRODUCE = True
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_broker.bootstrap_servers
    other = f"learners-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, other, partitions=1)
    response = post(client, {"topic": other, "value": "hi", "partition": 0})
    assert response.status_code == 201
    assert response.json()["topic"] == other
    [record] = read_records(kafka_broker.bootstrap_servers, other, expected=1)
    assert record.value == b"hi"


def test_bad_places_are_refused_and_change_nothing(client, settings, orders_topic, kafka_broker):
    settings.WORKBENCH_PRODUCE = True
    before = end_offsets(kafka_broker.bootstrap_servers, orders_topic)
    out_of_range = post(client, {"value": "x", "partition": 3})
    assert out_of_range.status_code == 400
    assert out_of_range.json() == {"partition": [f"{orders_topic!r} has no partition 3: its partitions are 0 to 2."]}
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    nowhere = post(client, {"topic": missing, "value": "x"})
    assert nowhere.status_code == 400
    assert nowhere.json() == {"topic": [f"There is no topic {missing!r} on the broker."]}
    for body in ({"key": "k", "value": "x", "tombstone": True}, {"value": "x", "headers": [["h", None]]}):
        assert post(client, body).status_code == 400
    assert end_offsets(kafka_broker.bootstrap_servers, orders_topic) == before
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        assert missing not in admin.list_topics(), "asking about a topic must not create it"
    finally:
        admin.close()
