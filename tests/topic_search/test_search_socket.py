"""/ws/search/ on a real broker: bad input starts nothing, one search per socket, cancel, closing the socket, the
process's cap on searches and its slots given back on every path, unreadable records, verdicts on the orders topic."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import pytest
from kafka import KafkaProducer

from harness.topics import create_topic
from orders import events
from tests.support.live_socket import run_in_own_loop
from tests.support.raw_records import RawHeaderName
from tests.topic_search.conftest import NEEDLE, frames_until_end, of_type, open_search_socket, search
from topic_search import slots

# The database only serves the socket's session: the subject is the scan of a topic.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database_incidental]


def run(scenario, timeout: float = 60) -> None:
    run_in_own_loop(scenario, timeout=timeout)


def wait_for_free_slots(timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while slots.in_use() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert slots.in_use() == 0, "a search slot was not given back"


BAD = {
    "no-topic": ({}, "topic"),
    "bad-topic-name": ({"topic": "no spaces/allowed"}, "topic"),
    "unknown-field": ({"topic": "t", "colour": "red"}, "colour"),
    "empty-key": ({"topic": "t", "key": ""}, "key"),
    "key-not-text": ({"topic": "t", "key": 5}, "key"),
    "bad-key-match": ({"topic": "t", "key": "a", "key_match": "regex"}, "key_match"),
    "bad-hex": ({"topic": "t", "value": "zz", "value_format": "hex"}, "value"),
    "bad-format": ({"topic": "t", "value": "a", "value_format": "base64"}, "value_format"),
    "lone-surrogate": ({"topic": "t", "value": "\ud800"}, "value"),
    "needle-too-long": ({"topic": "t", "value": "x" * 5000}, "value"),
    "header-name-empty": ({"topic": "t", "header_name": ""}, "header_name"),
    "partitions-not-a-list": ({"topic": "t", "partitions": 1}, "partitions"),
    "negative-partition": ({"topic": "t", "partitions": [-1]}, "partitions"),
    "partition-as-text": ({"topic": "t", "partitions": ["0"]}, "partitions"),
    "no-partitions": ({"topic": "t", "partitions": []}, "partitions"),
    "time-as-text": ({"topic": "t", "from_time": "yesterday"}, "from_time"),
    "negative-time": ({"topic": "t", "to_time": -1}, "to_time"),
    "range-backwards": ({"topic": "t", "from_time": 2000, "to_time": 1000}, "to_time"),
    "records-zero": ({"topic": "t", "max_records": 0}, "max_records"),
    "records-over-ceiling": ({"topic": "t", "max_records": 10**12}, "max_records"),
    "bytes-as-float": ({"topic": "t", "max_bytes": 1.5}, "max_bytes"),
    "seconds-over-ceiling": ({"topic": "t", "max_seconds": 10**6}, "max_seconds"),
    "seconds-bool": ({"topic": "t", "max_seconds": True}, "max_seconds"),
    "matches-negative": ({"topic": "t", "max_matches": -3}, "max_matches"),
}


@pytest.mark.parametrize(("message", "field"), BAD.values(), ids=BAD.keys())
def test_bad_criteria_get_an_error_frame_with_field_errors_and_start_nothing(kafka_broker, message, field):
    frames: list = []

    async def scenario():
        frames.extend(await search(message, timeout=10))

    run(scenario)
    assert len(frames) == 1, frames
    (error,) = frames
    assert error["type"] == "error" and error["field_errors"][field], error
    assert slots.in_use() == 0


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"topic": "no-such-topic-here"}, "topic", "no topic 'no-such-topic-here'"),
        ({"partitions": [0, 7]}, "partitions", "no partition 7: it has 0\u20132"),
    ],
    ids=["unknown-topic", "unknown-partition"],
)
def test_what_the_broker_lacks_gets_an_error_frame_and_the_slot_back(big_topic, extra, field, text):
    frames: list = []

    async def scenario():
        frames.extend(await search({"topic": big_topic["name"], **extra}, timeout=20))

    run(scenario)
    assert [frame["type"] for frame in frames] == ["error"]
    assert text in frames[0]["field_errors"][field][0]
    wait_for_free_slots()


BAD_MESSAGES = ["{not json", "[1]", '{"action": "explode"}', '"search"']


@pytest.mark.parametrize("text", BAD_MESSAGES)
def test_a_bad_message_gets_an_error_frame_and_the_socket_stays_usable(big_topic, text):
    frames: list = []

    async def scenario():
        communicator = await open_search_socket()
        await communicator.send_to(text_data=text)
        frames.append(json.loads(await communicator.receive_from(timeout=5)))
        await communicator.send_to(text_data=json.dumps({"action": "cancel"}))
        frames.append(json.loads(await communicator.receive_from(timeout=5)))
        search = {"action": "search", "topic": big_topic["name"], "value": NEEDLE, "max_records": 10}
        await communicator.send_to(text_data=json.dumps(search))
        frames.extend(await frames_until_end(communicator))
        await communicator.disconnect()

    run(scenario)
    assert frames[0]["type"] == "error" and frames[0]["message"]
    assert frames[1] == {"type": "error", "message": "no search is running"}
    assert frames[-1]["type"] == "done" and frames[-1]["reason"] == "max_records"


def test_cancel_stops_a_search_promptly_and_one_search_runs_per_socket(big_topic):
    frames: list = []
    timings: dict = {}

    async def scenario():
        communicator = await open_search_socket()
        message = {"action": "search", "topic": big_topic["name"], "value": NEEDLE}
        await communicator.send_to(text_data=json.dumps(message))
        frames.append(json.loads(await communicator.receive_from(timeout=10)))
        await communicator.send_to(text_data=json.dumps(message))
        await communicator.send_to(text_data=json.dumps({"action": "cancel"}))
        timings["cancelled"] = time.monotonic()
        frames.extend(await frames_until_end(communicator, last=("error",)))
        frames.extend(await frames_until_end(communicator, last=("done",)))
        timings["done"] = time.monotonic()
        await communicator.disconnect()

    run(scenario)
    assert frames[0]["type"] == "started"
    second = [frame for frame in frames if frame["type"] == "error"]
    assert len(second) == 1 and "runs a search already" in second[0]["message"]
    done = frames[-1]
    assert done["type"] == "done" and done["reason"] == "cancelled"
    assert done["scanned_records"] < 100_000
    assert timings["done"] - timings["cancelled"] < 1.0
    wait_for_free_slots()


def test_closing_the_socket_stops_its_search_and_frees_its_slot(big_topic):
    async def scenario():
        communicator = await open_search_socket()
        await communicator.send_to(text_data=json.dumps({"action": "search", "topic": big_topic["name"]}))
        assert json.loads(await communicator.receive_from(timeout=10))["type"] == "started"
        assert slots.in_use() == 1
        await communicator.disconnect()

    run(scenario)
    wait_for_free_slots(timeout=2)


def test_the_process_cap_refuses_one_search_more_and_every_ending_gives_the_slot_back(big_topic, settings):
    settings.SEARCH_MAX_CONCURRENT = 1
    topic = big_topic["name"]
    seen: dict = {}

    async def scenario():
        first, second = await open_search_socket(), await open_search_socket()
        await first.send_to(text_data=json.dumps({"action": "search", "topic": topic, "value": NEEDLE}))
        assert json.loads(await first.receive_from(timeout=10))["type"] == "started"
        await second.send_to(text_data=json.dumps({"action": "search", "topic": topic, "value": NEEDLE}))
        seen["refused"] = json.loads(await second.receive_from(timeout=10))
        await first.send_to(text_data=json.dumps({"action": "cancel"}))
        seen["cancelled"] = (await frames_until_end(first))[-1]
        # Each way a search ends gives its slot back: the next search on the other socket then runs.
        endings = {
            "end_of_topic": {"partitions": [0], "to_time": 0},
            "max_records": {"max_records": 5},
            "max_bytes": {"max_bytes": 100},
            "max_seconds": {"max_seconds": 0.05},
            "max_matches": {"value": "plain", "max_matches": 1},
            "error": {"topic": "no-such-topic"},
        }
        seen["endings"] = {}
        for expected, extra in endings.items():
            message = {"action": "search", "topic": topic, **extra}
            await second.send_to(text_data=json.dumps(message))
            last = (await frames_until_end(second))[-1]
            seen["endings"][expected] = last.get("reason", last["type"])
            for _ in range(100):
                if slots.in_use() == 0:
                    break
                await asyncio.sleep(0.02)
            seen["endings"][expected] += f", slots in use {slots.in_use()}"
        await first.disconnect()
        await second.disconnect()

    run(scenario, timeout=90)
    assert seen["refused"]["type"] == "error" and seen["refused"]["code"] == "busy"
    assert seen["cancelled"]["reason"] == "cancelled"
    assert seen["endings"] == {
        "end_of_topic": "end_of_topic, slots in use 0",
        "max_records": "max_records, slots in use 0",
        "max_bytes": "max_bytes, slots in use 0",
        "max_seconds": "max_seconds, slots in use 0",
        "max_matches": "max_matches, slots in use 0",
        "error": "error, slots in use 0",
    }


@pytest.fixture
def unreadable_topic(kafka_broker) -> str:
    """One record kafka-python cannot decode (a header name that is not UTF-8) between two it can."""
    name = f"search-unreadable-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, name, partitions=1)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    for headers in ([], [(RawHeaderName(b"\xff\xfe"), b"v")], []):
        producer.send(name, key=b"k", value=b"readable value", headers=headers, partition=0)
        producer.flush(10)
    producer.close()
    return name


def test_a_record_the_client_cannot_decode_is_counted_and_found_by_where_it_is(unreadable_topic):
    found: dict = {}

    async def scenario():
        found["by_place"] = await search({"topic": unreadable_topic, "partitions": [0]})
        found["by_value"] = await search({"topic": unreadable_topic, "value": "readable"})

    run(scenario)
    by_place = of_type(found["by_place"], "match")
    assert [m["record"]["offset"] for m in by_place] == [0, 1, 2]
    assert by_place[1]["record"]["value_format"] == "unreadable" and by_place[1]["record"]["error"]
    by_value = found["by_value"]
    assert [m["record"]["offset"] for m in of_type(by_value, "match")] == [0, 2]
    assert (by_value[-1]["scanned_records"], by_value[-1]["unreadable"]) == (3, 1)


def test_on_the_orders_topic_an_event_is_unjudged_and_a_stranger_invalid(orders_topic, kafka_broker):
    event = events.OrderEvent(
        event_id=str(uuid.uuid4()),
        type=events.ORDER_STATUS_CHANGED,
        occurred_at="2026-01-01T00:00:00Z",
        source="worker",
        order={
            "order_id": str(uuid.uuid4()),
            "created_by": "ana",
            "status": "PROCESSING",
            "created_at": "2026-01-01T00:00:00Z",
            "equipment": ["MOUSE"],
        },
    )
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    producer.send(orders_topic, key=event.key.encode(), value=event.to_value(), headers=event.headers())
    producer.send(orders_topic, key=b"stranger", value=b"not an event")
    producer.flush(10)
    producer.close()
    frames: list = []

    async def scenario():
        frames.extend(await search({"topic": orders_topic}))

    run(scenario)
    by_key = {m["record"]["key"]: m["record"] for m in of_type(frames, "match")}
    shown = by_key[event.key]
    assert (shown["value_format"], shown["verdict"]) == ("json-event", "unjudged")
    assert "sequence" in shown["verdict_reason"]
    assert by_key["stranger"]["verdict"] == "invalid"
