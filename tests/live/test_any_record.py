"""Any record is shown and the stream goes on: arbitrary records from the real producer, through the real broker,
to a real relay websocket (Hypothesis). One frame per record, in offset order per partition, the bytes as they
were (or base64, or an ``unreadable`` frame where kafka-python cannot decode the record), then still live; a
replay from the beginning and a resume from any offset give the same frames again."""

from __future__ import annotations

import asyncio
import base64
import json
import threading
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given
from hypothesis import event as note_event
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from kafka import KafkaProducer

from live import relay
from orders import events
from tests.support.raw_records import RawHeaderName
from tests.support.relay_sockets import open_socket, receive_records, start_stream

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.kafka, pytest.mark.database_incidental]

PARTITIONS = 3
BIG = 200 * 1024  # over settings.RELAY_FRAME_FIELD_MAX_BYTES (128 KiB): the frame carries a cut value


def name_text(name: str) -> str:
    return name.raw.decode() if isinstance(name, RawHeaderName) else name


def readable(name: str) -> bool:
    if isinstance(name, RawHeaderName):
        try:
            name.raw.decode()
        except UnicodeDecodeError:
            return False
    return True


plain_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=20)
any_text = st.text(max_size=20)  # lone surrogates too: json.dumps writes them as \ud800 escapes


@st.composite
def event_value(draw) -> tuple[bytes, bytes]:
    """A schema-valid order event with hostile strings (some only as JSON escapes UTF-8 cannot encode)."""
    order_id = draw(plain_text)
    data = {
        "event_id": draw(any_text),
        "type": draw(st.sampled_from(events.EVENT_TYPES)),
        "occurred_at": draw(any_text),
        "source": draw(any_text),
        "order": {
            "order_id": order_id,
            "created_by": draw(any_text),
            "status": "QUEUED",
            "created_at": draw(any_text),
            "equipment": ["MOUSE"],
        },
    }
    return json.dumps(data).encode(), order_id.encode()


keys = st.none() | st.binary(max_size=40) | plain_text.map(str.encode)
values = st.one_of(
    st.none(),
    st.binary(max_size=300),
    plain_text.map(str.encode),
    st.sampled_from([b"[" * 60_000, b'{"a":' * 20_000, b"\xff" * BIG, "é".encode() * (BIG // 2), b"\xed\xa0\x80"]),
)
# Mostly readable names: a name kafka-python cannot decode also hides the rest of its batch from it.
header_names = st.one_of(
    plain_text, plain_text, plain_text, plain_text, st.binary(min_size=1, max_size=6).map(RawHeaderName)
)
headers = st.lists(st.tuples(header_names, st.binary(max_size=20)), max_size=3)


@st.composite
def a_record(draw) -> dict:
    if draw(st.booleans()):
        value, key = draw(event_value())
    else:
        # kafka-python's producer refuses a record whose key and value are both null (the unit tests cover it).
        value, key = draw(st.tuples(values, keys).filter(lambda pair: pair != (None, None)))
    return {"key": key, "value": value, "headers": draw(headers), "partition": draw(st.integers(0, PARTITIONS - 1))}


def shown_bytes(shown, shown_format: str) -> bytes | None:
    return {"null": lambda: None, "text": lambda: shown.encode(), "base64": lambda: base64.b64decode(shown)}[
        shown_format
    ]()


def check_frame(frame: dict, record: dict, may_be_unreadable: bool) -> None:
    """The frame shows the record's bytes, or says it could not be read (only where kafka-python cannot)."""
    if not all(readable(name) for name, _ in record["headers"]):
        assert frame["value_format"] == "unreadable" and frame["error"], frame
        return
    if frame["value_format"] == "unreadable":
        assert may_be_unreadable, f"a readable record came as unreadable: {frame}"
        return
    cut = frame["truncated"]
    key = shown_bytes(frame["key"], frame["key_format"])
    assert key == record["key"] or (cut and record["key"].startswith(key))
    if frame["value_format"] == "json-event":
        assert frame["value"] == events.OrderEvent.from_record(record["value"], record["key"]).to_dict()
    else:
        value = shown_bytes(frame["value"], frame["value_format"])
        assert value == record["value"] or (cut and record["value"].startswith(value)), frame["value_format"]
        if cut:
            assert frame["value_size"] == len(record["value"]) > len(value)
    if "headers_raw" in frame:
        assert [(h["name"], shown_bytes(h["value"], h["value_format"])) for h in frame["headers_raw"]] == [
            (name_text(name), value) for name, value in record["headers"]
        ]
    else:
        assert frame["headers"] == {name_text(name): value.decode() for name, value in record["headers"]}


async def test_any_record_gets_one_frame_in_order_and_the_stream_goes_on(kafka_broker, orders_topic):
    socket = await open_socket()
    await start_stream(socket, "latest")
    loop = asyncio.get_running_loop()
    producer = KafkaProducer(
        bootstrap_servers=kafka_broker.bootstrap_servers, linger_ms=5, max_request_size=4 * 1024 * 1024
    )
    sent_all: dict[tuple[int, int], dict] = {}

    @hsettings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(records=st.lists(a_record(), min_size=1, max_size=8))
    def relayed_once_each(records: list[dict]) -> None:
        futures = [producer.send(orders_topic, **record) for record in records]
        producer.flush(20)  # one flush per example: records of one example often share a batch
        sent = [(meta.partition, meta.offset) for meta in (future.get(timeout=20) for future in futures)]
        frames = asyncio.run_coroutine_threadsafe(receive_records(socket, len(records)), loop).result(60)
        by_position = {(frame["partition"], frame["offset"]): frame for frame in frames}
        assert len(by_position) == len(frames) == len(records), "one frame per record"
        for partition in range(PARTITIONS):
            got = [frame["offset"] for frame in frames if frame["partition"] == partition]
            assert got == sorted(p_o[1] for p_o in sent if p_o[0] == partition), f"partition {partition} in order"
        # kafka-python parses a batch from its start: after a record it cannot read, the rest of that batch
        # cannot be read either (messaging.readers.poll_stepping_past).
        bad_before: dict[int, bool] = defaultdict(bool)
        for record, position in sorted(zip(records, sent, strict=True), key=lambda pair: pair[1]):
            bad_before[position[0]] |= not all(readable(name) for name, _ in record["headers"])
            check_frame(by_position[position], record, may_be_unreadable=bad_before[position[0]])
            note_event(
                f"frame: {by_position[position]['value_format']}, truncated: {by_position[position]['truncated']}"
            )
            sent_all[position] = record

    try:
        await asyncio.to_thread(relayed_once_each)
        # Still live: a normal order event comes next, as an event.
        event = events.OrderEvent(
            event_id="e-after",
            type=events.ORDER_CREATED,
            occurred_at="2026-01-01T00:00:00Z",
            source="rest",
            order={
                "order_id": "o-after",
                "created_by": "ana",
                "status": "QUEUED",
                "created_at": "2026-01-01T00:00:00Z",
                "equipment": ["MOUSE"],
            },
        )
        future = producer.send(orders_topic, value=event.to_value(), key=b"o-after", headers=event.headers())
        meta = await asyncio.to_thread(future.get, 20)
        [last] = await receive_records(socket, 1)
        assert (last["partition"], last["offset"], last["value"]) == (meta.partition, meta.offset, event.to_dict())
    finally:
        await socket.disconnect()
        await asyncio.to_thread(producer.close)

    # Replay from the beginning: the same one frame per record, and live after them.
    replayer = await open_socket()
    frames = [frame for frame in await start_stream(replayer, "beginning", timeout=60) if frame["type"] == "record"]
    assert sorted((f["partition"], f["offset"]) for f in frames) == sorted([*sent_all, (meta.partition, meta.offset)])
    for frame in frames:
        if (frame["partition"], frame["offset"]) in sent_all:
            record = sent_all[frame["partition"], frame["offset"]]
            check_frame(frame, record, may_be_unreadable=True)
    # Resume right after an unreadable record (or any record): the stream goes on from the next offset, once.
    unreadable = [f for f in frames if f["value_format"] == "unreadable"] or frames
    pick = unreadable[len(unreadable) // 2]
    resumed = await open_socket()
    resume_frames = await start_stream(resumed, {str(pick["partition"]): pick["offset"] + 1}, timeout=60)
    again = [(f["partition"], f["offset"]) for f in resume_frames if f["type"] == "record"]
    expected = sorted(
        (f["partition"], f["offset"])
        for f in frames
        if f["partition"] != pick["partition"] or f["offset"] > pick["offset"]
    )
    assert sorted(again) == expected and len(set(again)) == len(again)
    await replayer.disconnect()
    await resumed.disconnect()


@pytest.fixture(autouse=True)
async def relay_stopped_after():
    yield
    assert await asyncio.to_thread(relay.stop), "the relay reader thread did not stop"
    assert not [t for t in threading.enumerate() if t.name == "orders-relay-reader" and t.is_alive()]


async def test_a_record_the_client_cannot_read_is_stepped_past_and_other_partitions_flow(kafka_broker, orders_topic):
    """The shared reader and a replay both step past it, and say which partition and offset."""
    socket = await open_socket()
    await start_stream(socket, "latest")
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers, linger_ms=0)
    try:
        metas = []
        for value, name, partition in [
            (b"a", "ok", 0),
            (b"bad", RawHeaderName(b"\xff"), 0),
            (b"c", "ok", 0),
            (b"d", "ok", 1),
        ]:
            metas.append(
                await asyncio.to_thread(
                    producer.send(orders_topic, value=value, headers=[(name, b"v")], partition=partition).get, 20
                )
            )
    finally:
        await asyncio.to_thread(producer.close)
    frames = await receive_records(socket, 4)
    by_position = {(f["partition"], f["offset"]): f for f in frames}
    bad = by_position[metas[1].partition, metas[1].offset]
    assert bad["value_format"] == "unreadable" and "UnicodeDecodeError" in bad["error"]
    assert by_position[metas[2].partition, metas[2].offset]["value"] == "c"
    assert by_position[metas[3].partition, metas[3].offset]["value"] == "d"
    replayer = await open_socket()
    replayed = [f for f in await start_stream(replayer, "beginning") if f["type"] == "record"]
    assert [(f["partition"], f["offset"], f["value_format"]) for f in replayed if f["partition"] == 0] == [
        (0, metas[0].offset, "text"),
        (0, metas[1].offset, "unreadable"),
        (0, metas[2].offset, "text"),
    ]
    await socket.disconnect()
    await replayer.disconnect()
