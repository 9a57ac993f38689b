"""The /ws/orders/ consumer against a stand-in relay: statuses, bad client messages, origin check, the live filter."""

from __future__ import annotations

import asyncio
import dataclasses
import json

import pytest
from channels.testing import WebsocketCommunicator

from live import relay, replay
from live.broadcast import Broadcast
from live.stream import Stream
from playground.asgi import application
from tests.support.relay_sockets import BROWSER_HEADERS, is_status, open_socket, positions, receive_until, start_stream

# Channels closes stale database connections in a worker thread on disconnect, so the database must be reachable.
pytestmark = pytest.mark.django_db(transaction=True)


class FakeRelay:
    """The shared reader's interface with a fixed state; the test plays the reader by publishing to `broadcast`."""

    topic = "orders-fake"
    bootstrap = "127.0.0.1:1"

    def __init__(self) -> None:
        self.broadcast = Broadcast()
        self.replay_slots = asyncio.Semaphore(1)
        self.ledger = None  # nothing judged yet: a replay judges its records itself
        self.reader = relay.ReaderState(
            kafka="ok", partitions=(0, 1, 2), positions={0: 5, 1: 0, 2: 2}, end_offsets={0: 5, 1: 0, 2: 2}
        )

    def state(self) -> relay.ReaderState:
        return self.reader


@pytest.fixture
def fake_relay(monkeypatch) -> FakeRelay:
    fake = FakeRelay()
    monkeypatch.setattr(relay, "ensure_started", lambda: fake)
    return fake


async def test_connect_sends_the_connected_status(fake_relay):
    communicator = WebsocketCommunicator(application, "/ws/orders/", headers=BROWSER_HEADERS)
    assert (await communicator.connect(timeout=5))[0]
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "status",
        "state": "connected",
        "topic": "orders-fake",
        "kafka": "ok",
        "partitions": [0, 1, 2],
        "positions": {"0": 5, "1": 0, "2": 2},
        "end_offsets": {"0": 5, "1": 0, "2": 2},
    }
    await communicator.disconnect()


BAD_MESSAGES = {
    "not-json": "{action: replay",
    "not-an-object": "[1, 2]",
    "no-action": "{}",
    "unknown-action": '{"action": "explode"}',
    "unknown-from": '{"action": "replay", "from": "yesterday"}',
    "no-from": '{"action": "replay"}',
    "negative-offset": '{"action": "replay", "from": {"0": -1}}',
    "text-offset": '{"action": "replay", "from": {"0": "5"}}',
    "bool-offset": '{"action": "replay", "from": {"0": true}}',
    "huge-offset": '{"action": "replay", "from": {"0": 99999999999999999999}}',
    "bad-partition": '{"action": "replay", "from": {"zero": 1}}',
    "unknown-partition": '{"action": "replay", "from": {"7": 0}}',
    "negative-timestamp": '{"action": "replay", "from": {"timestamp": -5}}',
    "pause-when-not-live": '{"action": "pause"}',
    "resume-when-not-paused": '{"action": "resume"}',
}


@pytest.mark.parametrize("text", BAD_MESSAGES.values(), ids=BAD_MESSAGES.keys())
async def test_a_bad_message_gets_an_error_frame_and_the_socket_stays_open(fake_relay, text):
    communicator = await open_socket()
    await communicator.send_to(text_data=text)
    error = await communicator.receive_json_from(timeout=5)
    assert error["type"] == "error" and error["message"], error
    frames = await start_stream(communicator, "latest", timeout=5)
    assert frames[-1]["positions"] == {"0": 5, "1": 0, "2": 2}
    await communicator.disconnect()


async def test_a_binary_frame_gets_an_error_frame(fake_relay):
    communicator = await open_socket()
    await communicator.send_to(bytes_data=b"\x00\x01")
    assert (await communicator.receive_json_from(timeout=5))["type"] == "error"
    await start_stream(communicator, "latest", timeout=5)
    await communicator.disconnect()


@pytest.mark.parametrize(
    "headers",
    [
        [(b"origin", b"http://evil.example"), (b"host", b"127.0.0.1:8000")],
        [(b"host", b"127.0.0.1:8000")],
    ],
    ids=["foreign-origin", "no-origin"],
)
async def test_a_socket_from_a_disallowed_origin_is_refused(fake_relay, headers):
    communicator = WebsocketCommunicator(application, "/ws/orders/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert not connected
    await communicator.wait()


async def test_latest_replays_nothing_and_goes_live_at_the_cut(fake_relay):
    communicator = await open_socket()
    frames = await start_stream(communicator, "latest", timeout=5)
    assert frames == [
        {
            "type": "status",
            "state": "replaying",
            "topic": "orders-fake",
            "kafka": "ok",
            "from": {"0": 5, "1": 0, "2": 2},
            "until": {"0": 5, "1": 0, "2": 2},
            "skipped": {},
        },
        {
            "type": "status",
            "state": "live",
            "topic": "orders-fake",
            "kafka": "ok",
            "positions": {"0": 5, "1": 0, "2": 2},
        },
    ]
    await communicator.disconnect()


def frame(partition: int, offset: int) -> dict:
    return {
        "type": "record",
        "topic": "orders-fake",
        "partition": partition,
        "offset": offset,
        "key": None,
        "timestamp": 0,
        "timestamp_type": "create",
        "headers": {},
        "value": "x",
        "value_format": "text",
        "size": 1,
    }


async def test_live_frames_below_the_stream_position_are_not_sent(fake_relay):
    communicator = await open_socket()
    await start_stream(communicator, "latest", timeout=5)
    batch = [frame(0, 4), frame(0, 5), frame(0, 6), frame(2, 1), frame(2, 2), frame(0, 6)]
    fake_relay.broadcast.publish({"type": "relay.records", "records": packed(batch)})
    received = await communicator.receive_json_from(timeout=5)
    assert received == {"type": "records", "records": [frame(0, 5), frame(0, 6), frame(2, 2)]}
    await communicator.disconnect()


def packed(frames: list[dict]) -> list[list]:
    """Record frames as the relay publishes them: [partition, offset, frame as JSON text]."""
    return [[f["partition"], f["offset"], json.dumps(f, separators=(",", ":"))] for f in frames]


async def test_one_record_is_its_own_frame_and_a_backlog_is_coalesced_in_order(fake_relay):
    communicator = await open_socket()
    await start_stream(communicator, "latest", timeout=5)
    fake_relay.broadcast.publish({"type": "relay.records", "records": packed([frame(0, 5)])})
    assert await communicator.receive_json_from(timeout=5) == frame(0, 5)
    # Three polls published before the socket's turn: one frame carries them all, in order.
    for offsets in ((6, 7), (8,), (9, 10)):
        fake_relay.broadcast.publish({"type": "relay.records", "records": packed([frame(0, o) for o in offsets])})
    coalesced = await communicator.receive_json_from(timeout=5)
    assert coalesced["type"] == "records" and positions(coalesced["records"]) == [(0, o) for o in range(6, 11)]
    assert await communicator.receive_nothing(timeout=0.2)
    await communicator.disconnect()


async def test_kafka_outage_and_return_are_reported(fake_relay):
    communicator = await open_socket()
    await start_stream(communicator, "latest", timeout=5)
    fake_relay.broadcast.publish({"type": "relay.status", "kafka": "unavailable", "error": "KafkaTimeoutError: gone"})
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "status",
        "state": "kafka_unavailable",
        "topic": "orders-fake",
        "kafka": "unavailable",
        "error": "KafkaTimeoutError: gone",
    }
    fake_relay.broadcast.publish({"type": "relay.status", "kafka": "ok", "error": ""})
    back = await communicator.receive_json_from(timeout=5)
    assert (back["state"], back["positions"]) == ("live", {"0": 5, "1": 0, "2": 2})
    await communicator.disconnect()


async def test_the_broker_watch_reaches_every_socket_and_a_new_one_hears_of_an_outage(fake_relay):
    communicator = await open_socket()
    await start_stream(communicator, "latest", timeout=5)
    refused = "cannot connect to 127.0.0.1:1: Connection refused"
    fake_relay.broadcast.publish({"type": "relay.broker", "listening": False, "error": refused})
    assert await communicator.receive_json_from(timeout=5) == {"type": "broker", "listening": False, "error": refused}
    fake_relay.reader = dataclasses.replace(fake_relay.reader, listening=False, listening_error=refused)
    late = WebsocketCommunicator(application, "/ws/orders/", headers=BROWSER_HEADERS)
    assert (await late.connect(timeout=5))[0]
    assert [(await late.receive_json_from(timeout=5))["type"] for _ in range(2)] == ["status", "broker"]
    fake_relay.broadcast.publish({"type": "relay.broker", "listening": True, "error": ""})
    for socket in (communicator, late):
        assert await socket.receive_json_from(timeout=5) == {"type": "broker", "listening": True}
        await socket.disconnect()


async def test_relay_messages_dropped_from_the_log_make_the_stream_catch_up(fake_relay):
    fake_relay.broadcast.max_messages = 1
    communicator = await open_socket()
    await start_stream(communicator, "latest", timeout=5)
    fake_relay.broadcast.publish({"type": "relay.status", "kafka": "ok", "error": ""})
    assert (await communicator.receive_json_from(timeout=5))["state"] == "live"
    # Two messages before the socket's turn, with room for one: it never sees the first, and must not trust its
    # live stream, so it replays from its own positions.
    for _ in range(2):
        fake_relay.broadcast.publish({"type": "relay.status", "kafka": "ok", "error": ""})
    frames = await receive_until(communicator, is_status("live"), timeout=5)
    assert [f["state"] for f in frames if f["type"] == "status"][-2:] == ["replaying", "live"]
    assert frames[-2]["from"] == {"0": 5, "1": 0, "2": 2}
    await communicator.disconnect()


def test_replay_from_is_parsed_and_validated():
    assert replay.parse_replay_from("beginning") == replay.ReplayFrom("beginning")
    assert replay.parse_replay_from({"timestamp": 1_700_000_000_000}) == replay.ReplayFrom(
        "timestamp", timestamp=1_700_000_000_000
    )
    assert replay.parse_replay_from({"0": 3, "2": 0}) == replay.ReplayFrom("offsets", offsets={0: 3, 2: 0})
    for bad in (None, "", "now", {}, [], 5, {"timestamp": "x"}, {"\uff10": 1}, {"1": 1.5}):
        with pytest.raises(ValueError, match=r"."):  # any message: it becomes the error frame's text
            replay.parse_replay_from(bad)


async def test_a_socket_the_pump_cannot_feed_is_closed_with_4011_and_the_process_goes_on(fake_relay, monkeypatch):
    communicator = await open_socket()
    await start_stream(communicator, "latest", timeout=5)

    def broken(self, seq, records):
        raise RuntimeError("a bug in the stream")

    with monkeypatch.context() as patch:
        patch.setattr(Stream, "on_records", broken)
        fake_relay.broadcast.publish({"type": "relay.records", "records": packed([frame(0, 5)])})
        assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4011}
    await communicator.disconnect()
    again = await open_socket()
    await start_stream(again, "latest", timeout=5)
    fake_relay.broadcast.publish({"type": "relay.records", "records": packed([frame(0, 5)])})
    assert await again.receive_json_from(timeout=5) == frame(0, 5)
    await again.disconnect()
