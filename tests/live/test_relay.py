"""The websocket relay on a real broker: record frames, replays, resuming with no gap or duplicate, one reader."""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import threading
import time

import pytest
from channels.db import database_sync_to_async
from kafka import KafkaProducer

from live import relay
from messaging import clients
from orders import events, services
from outbox.models import OutboxEvent
from outbox.publisher import publish_pending
from tests.support.relay_sockets import (
    is_status,
    open_socket,
    positions,
    receive_records,
    receive_until,
    records_in,
    send_records,
    start_stream,
)
from tests.support.waiting import wait_until

# The relay reads Kafka and writes sockets: the database only feeds it orders (make test runs it on SQLite only).
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.kafka, pytest.mark.database_incidental]


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "orders-relay-reader" and t.is_alive()]


@pytest.fixture(autouse=True)
async def relay_stopped_after():
    """Each test starts its own reader on its own topic; none may be left running afterwards."""
    yield
    assert await asyncio.to_thread(relay.stop), "the relay reader thread did not stop"
    assert not reader_threads()


@database_sync_to_async
def place_and_publish(count: int) -> list[OutboxEvent]:
    for i in range(count):
        services.create_order(created_by=f"watcher-{i}", equipment=["MONITOR", "MOUSE"], source="rest")
    producer = clients.build_producer()
    try:
        assert publish_pending(producer).sent == count
    finally:
        producer.close()
    return list(OutboxEvent.objects.order_by("id"))


async def send(broker, topic: str, *records: dict) -> list[tuple[int, int]]:
    return await asyncio.to_thread(send_records, broker.bootstrap_servers, topic, records)


async def test_published_orders_arrive_as_record_frames(kafka_broker, orders_topic):
    socket = await open_socket()
    await start_stream(socket, "latest")
    rows = await place_and_publish(3)
    frames = sorted(await receive_records(socket, 3), key=lambda f: (f["partition"], f["offset"]))
    assert positions(frames) == sorted((row.partition, row.offset) for row in rows)
    for frame in frames:
        row = next(r for r in rows if (r.partition, r.offset) == (frame["partition"], frame["offset"]))
        assert frame["topic"] == orders_topic
        assert frame["key"] == row.key
        assert frame["headers"] == dict(row.headers)
        assert frame["value"] == json.loads(row.value) and frame["value_format"] == "json-event"
        assert frame["timestamp_type"] == "create" and abs(frame["timestamp"] - time.time() * 1000) < 60_000
        assert frame["size"] == len(row.key.encode()) + len(row.value.encode())
    await socket.disconnect()


async def test_replay_from_the_beginning_then_live(kafka_broker, orders_topic):
    before = await send(
        kafka_broker, orders_topic, *({"value": f"old-{i}".encode(), "partition": i % 3} for i in range(5))
    )
    socket = await open_socket()
    frames = await start_stream(socket, "beginning")
    replaying = frames[0]
    assert replaying["state"] == "replaying"
    assert replaying["from"] == {"0": 0, "1": 0, "2": 0} and replaying["until"] == {"0": 2, "1": 2, "2": 1}
    history = records_in(frames)
    assert sorted(positions(history)) == sorted(before)
    assert [f["value"] for f in history if f["partition"] == 0] == ["old-0", "old-3"]
    assert frames[-1]["positions"] == {"0": 2, "1": 2, "2": 1}
    [after] = await send(kafka_broker, orders_topic, {"value": b"new", "partition": 0})
    [live] = await receive_records(socket, 1)
    assert (live["partition"], live["offset"], live["value"]) == (*after, "new")
    await socket.disconnect()


async def test_replay_from_a_timestamp(kafka_broker, orders_topic):
    start = int(time.time() * 1000) - 60_000
    sent = await send(
        kafka_broker,
        orders_topic,
        *({"value": f"t{i}".encode(), "partition": 1, "timestamp_ms": start + i * 1_000} for i in range(4)),
    )
    socket = await open_socket()
    frames = await start_stream(socket, {"timestamp": start + 2_000})
    history = records_in(frames)
    assert [f["value"] for f in history] == ["t2", "t3"]
    assert positions(history) == sent[2:]
    assert [f["timestamp"] for f in history] == [start + 2_000, start + 3_000]
    await socket.disconnect()


class SteadyProducer(threading.Thread):
    """Sends one record after another, each acknowledged, until stopped; `sent` holds their (partition, offset)."""

    def __init__(self, bootstrap_servers: str, topic: str):
        super().__init__(daemon=True)
        self.bootstrap_servers, self.topic = bootstrap_servers, topic
        self.sent: list[tuple[int, int]] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        producer = KafkaProducer(bootstrap_servers=self.bootstrap_servers, linger_ms=0)
        try:
            for i in itertools.count():
                if self.stopping.is_set():
                    return
                meta = producer.send(self.topic, key=f"k{i}".encode(), value=f"steady-{i}".encode()).get(timeout=20)
                self.sent.append((meta.partition, meta.offset))
        finally:
            producer.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(20)


async def wait_for_reader(past: list[tuple[int, int]], timeout: float = 20.0) -> None:
    """Wait (bounded) until the shared reader has handed these records to the sockets.

    In a thread: the reader hands records over on this loop, which must keep running meanwhile.
    """
    await asyncio.to_thread(
        wait_until,
        lambda: all(relay.current().state().positions.get(p, 0) > o for p, o in past),
        timeout=timeout,
        message=f"the relay reader did not reach {past}",
    )


async def receive_through(socket, wanted: list[tuple[int, int]]) -> list[dict]:
    """Frames until every one of the `wanted` records has arrived."""
    pending = set(wanted)

    def all_in(frame: dict) -> bool:
        if frame["type"] == "record":
            pending.discard((frame["partition"], frame["offset"]))
        return not pending

    return await receive_until(socket, all_in)


async def test_reconnecting_with_the_last_offsets_gives_every_later_record_once(kafka_broker, orders_topic):
    first = await open_socket()
    start = await start_stream(first, "latest")
    assert start[-1]["positions"] == {"0": 0, "1": 0, "2": 0}
    producer = SteadyProducer(kafka_broker.bootstrap_servers, orders_topic)
    producer.start()
    try:
        seen_first = await receive_records(first, 15)
        await first.disconnect()
        next_offsets = dict.fromkeys(range(3), 0)
        for frame in seen_first:
            next_offsets[frame["partition"]] = frame["offset"] + 1
        # Records that arrive while no socket is open: the reader hands them on, the new socket gets them as history.
        gap = await send(kafka_broker, orders_topic, *({"value": b"while-away", "partition": p} for p in range(3)))
        await wait_for_reader(gap)

        second = await open_socket()
        frames = await start_stream(second, {str(p): o for p, o in next_offsets.items()})
        frames += await receive_records(second, 15)
    finally:
        await asyncio.to_thread(producer.stop)
    finals = await send(kafka_broker, orders_topic, *({"value": b"final", "partition": p} for p in range(3)))
    frames += await receive_through(second, finals)
    await second.disconnect()

    replaying = next(f for f in frames if is_status("replaying")(f))
    assert replaying["from"] == {str(p): o for p, o in next_offsets.items()}
    live_at = next(i for i, f in enumerate(frames) if is_status("live")(f))
    assert {f["value"] for f in records_in(frames[:live_at])} >= {"while-away"}
    assert records_in(frames[live_at:]), "nothing arrived live after the replay"
    seen_second = records_in(frames)
    for p in range(3):
        offsets_first = [o for q, o in positions(seen_first) if q == p]
        offsets_second = [o for q, o in positions(seen_second) if q == p]
        assert offsets_first == list(range(next_offsets[p]))
        # Contiguous from where the first socket stopped to the final record: no gap, no duplicate, in order.
        assert offsets_second == list(range(next_offsets[p], dict(finals)[p] + 1)), f"partition {p}"
    assert set(positions(seen_first) + positions(seen_second)) == set(producer.sent + gap + finals)


async def test_a_non_json_record_shows_as_raw_text_and_the_relay_goes_on(kafka_broker, orders_topic):
    socket = await open_socket()
    await start_stream(socket, "latest")
    event = events.OrderEvent(
        event_id="e-1",
        type=events.ORDER_CREATED,
        occurred_at="2026-01-01T00:00:00Z",
        source="rest",
        order={
            "order_id": "o-1",
            "created_by": "ana",
            "status": "QUEUED",
            "created_at": "2026-01-01T00:00:00Z",
            "equipment": ["MOUSE"],
        },
    )
    sent = await send(
        kafka_broker,
        orders_topic,
        {"value": b"{not json", "key": b"raw", "headers": [("note", b"hand typed")], "partition": 0},
        {"value": b"\xff\xfe binary", "partition": 0},
        {"value": b"[" * 100_000, "partition": 0},
        {"value": event.to_value(), "key": b"o-1", "headers": event.headers(), "partition": 0},
    )
    raw, binary, nested, parsed = await receive_records(socket, 4)
    assert positions([raw, binary, nested, parsed]) == sent
    assert nested["value_format"] == "text" and len(nested["value"]) == 100_000
    assert (raw["value"], raw["value_format"], raw["key"], raw["headers"]) == (
        "{not json",
        "text",
        "raw",
        {"note": "hand typed"},
    )
    assert binary["value_format"] == "base64" and base64.b64decode(binary["value"]) == b"\xff\xfe binary"
    assert (parsed["value"], parsed["value_format"]) == (event.to_dict(), "json-event")
    await socket.disconnect()


async def test_two_sockets_share_one_kafka_reader(kafka_broker, orders_topic, monkeypatch):
    built = []
    build_consumer = clients.build_consumer

    def counting_build_consumer(**options):
        built.append(build_consumer(**options))
        return built[-1]

    monkeypatch.setattr(clients, "build_consumer", counting_build_consumer)
    sockets = [await open_socket(), await open_socket()]
    for socket in sockets:
        await start_stream(socket, "latest")
    sent = await send(kafka_broker, orders_topic, {"value": b"to both", "partition": 2})
    received = [await receive_records(socket, 1) for socket in sockets]
    assert received[0] == received[1] and positions(received[0]) == sent
    [reader] = built
    assert reader.config["group_id"] is None and not reader.config["enable_auto_commit"]
    assert len(reader_threads()) == 1
    for socket in sockets:
        await socket.disconnect()


async def test_pause_then_resume_sends_what_arrived_meanwhile_once(kafka_broker, orders_topic):
    socket = await open_socket()
    await start_stream(socket, "latest")
    await socket.send_json_to({"action": "pause"})
    paused = await receive_until(socket, is_status("paused"))
    assert paused[-1]["positions"] == {"0": 0, "1": 0, "2": 0}
    during = await send(
        kafka_broker, orders_topic, *({"value": f"during-{i}".encode(), "partition": 0} for i in range(3))
    )
    await wait_for_reader(during)
    await socket.send_json_to({"action": "resume"})
    frames = await receive_until(socket, is_status("live"))
    assert positions(records_in(frames)) == during
    [after] = await send(kafka_broker, orders_topic, {"value": b"after", "partition": 0})
    assert positions(await receive_records(socket, 1)) == [after]
    await socket.disconnect()


async def test_the_reader_survives_a_broker_outage_without_a_gap(own_broker):
    watching, asking = await open_socket(), await open_socket()
    await start_stream(watching, "latest")
    [before] = await send(own_broker, "orders", {"value": b"before", "partition": 0})
    assert positions(await receive_records(watching, 1)) == [before]
    [thread] = reader_threads()

    await asyncio.to_thread(own_broker.kill)
    down = await receive_until(watching, is_status("kafka_unavailable"), timeout=30)
    assert down[-1]["kafka"] == "unavailable" and down[-1]["error"]
    await receive_until(asking, is_status("kafka_unavailable"))
    # A replay asked for while the broker is away waits for it rather than failing.
    await asking.send_json_to({"action": "replay", "from": "beginning"})
    await asyncio.to_thread(own_broker.start)

    back = await receive_until(watching, is_status("live"), timeout=60)
    assert back[-1]["positions"]["0"] == before[1] + 1 and not records_in(back)
    replayed = await receive_until(asking, is_status("live"), timeout=30)
    assert positions(records_in(replayed)) == [before]
    [after] = await send(own_broker, "orders", {"value": b"after", "partition": 0})
    assert after == (0, before[1] + 1)
    for socket in (watching, asking):
        assert positions(await receive_records(socket, 1)) == [after]
        await socket.disconnect()
    assert reader_threads() == [thread]


async def refused_and_still_live(socket, start: dict, kafka_broker, orders_topic) -> dict:
    """Ask a live socket for `start`; return the error frame, after checking the stream went on as it was."""
    await socket.send_json_to({"action": "replay", "from": start})
    error = await socket.receive_json_from(timeout=20)
    assert error["type"] == "error" and error["action"] == "replay", error
    sent = await send(kafka_broker, orders_topic, {"value": b"after", "partition": 0})
    frames = await receive_until(socket, lambda frame: frame["type"] == "record")
    assert positions(frames) == sent, "the next frame is the next live record: no status, no replay"
    return error


async def test_a_start_on_a_partition_the_topic_lacks_is_refused_and_the_stream_stays_live(kafka_broker, orders_topic):
    socket = await open_socket()
    await start_stream(socket, "latest")
    error = await refused_and_still_live(socket, {"7": 0}, kafka_broker, orders_topic)
    assert error["message"] == "partition 7 does not exist: the topic has partitions 0\u20132"
    assert error["valid"] == {"partitions": [0, 1, 2]}
    await socket.disconnect()


async def test_a_start_past_a_partitions_end_is_refused_with_its_range(kafka_broker, orders_topic):
    await send(kafka_broker, orders_topic, *({"value": b"old", "partition": 1} for _ in range(4)))
    socket = await open_socket()
    await start_stream(socket, "latest")
    error = await refused_and_still_live(socket, {"0": 0, "1": 900}, kafka_broker, orders_topic)
    assert error["message"] == "offset 900 of partition 1 is past its end: 0\u20134"
    assert error["valid"] == {"partition": 1, "first": 0, "end": 4}
    await socket.disconnect()


async def test_a_start_at_a_partitions_end_is_taken_even_before_the_relay_sees_it(kafka_broker, orders_topic):
    """The relay's view may lag a record just written: an offset past it is checked with Kafka, not refused."""
    socket = await open_socket()
    await start_stream(socket, "latest")
    sent = await send(kafka_broker, orders_topic, *({"value": b"new", "partition": 2} for _ in range(3)))
    # Ask straight away for the end as Kafka has it (the relay may not have polled these yet).
    frames = await start_stream(socket, {"0": 0, "1": 0, "2": sent[-1][1] + 1})
    assert not any(frame["type"] == "error" for frame in frames), frames
    assert frames[-1]["positions"]["2"] == sent[-1][1] + 1
    await socket.disconnect()
