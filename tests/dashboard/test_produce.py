"""Producing a record from the page: any text a learner types reaches the real topic, marked hand-made; bad shapes
are 400s."""

import json

import pytest

from harness.topics import read_records
from messaging import judging

pytestmark = pytest.mark.django_db


def post(client, body):
    return client.post("/workbench/produce", json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"key": None, "value": None}, {"non_field_errors"}),
        ({"key": 7, "value": ["x"]}, {"key", "value"}),
        ({"value": "x" * (256 * 1024 + 1)}, {"value"}),
        ({"value": "x", "headers": [["", "v"]]}, {"headers"}),
        ({"value": "x", "headers": [["h", "v"]] * 33}, {"headers"}),
        ({"value": "x", "headers": [["h"]]}, {"headers"}),
        ({"value": "x", "headers": [["h", 1]]}, {"headers"}),
        ({"value": "x", "headers": [["h", None]]}, {"headers"}),
        ({"value": "\ud800"}, {"value"}),
        ({"value": "x", "partition": 2}, {"partition"}),
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
    [record] = read_records(settings.KAFKA_BOOTSTRAP_SERVERS, orders_topic, expected=1)
    assert (record.partition, record.offset) == (placed["partition"], placed["offset"])
    assert (record.key, record.value) == (b"k-1", "héllo".encode())
    assert record.headers == [("team", b"blue"), ("empty", b""), (judging.HAND_MADE_HEADER, b"dashboard produce")]
