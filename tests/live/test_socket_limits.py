"""Bounded whatever a client does: a per-process socket cap (4029), a per-socket byte budget (4008), replay slots
that only history replays take and always give back, one replay per socket at a time."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.testing import WebsocketCommunicator

from live import consumers, replay
from live import stream as stream_module
from playground.asgi import application
from tests.live.test_ws_consumer import FakeRelay, frame, packed
from tests.support.relay_sockets import BROWSER_HEADERS, is_status, open_socket, receive_until, start_stream

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fake_relay(monkeypatch) -> FakeRelay:
    fake = FakeRelay()
    monkeypatch.setattr(consumers.relay, "ensure_started", lambda: fake)
    return fake


class StuckReader:
    """A HistoryReader whose history never ends (a reader that cannot progress)."""

    opened: list[StuckReader] = []

    def __init__(self, topic, bootstrap, until, shared=None):
        self.until, self.closed = dict(until), threading.Event()
        StuckReader.opened.append(self)

    def open(self, start):
        return replay.ReplayPlan(start=dict.fromkeys(self.until, 0), until=self.until, skipped={})

    def read_chunk(self):
        self.closed.wait(0.05)
        return []

    def close(self):
        self.closed.set()


async def test_sockets_past_the_cap_are_closed_with_4029(fake_relay, settings):
    settings.RELAY_MAX_SOCKETS = 1
    first = await open_socket()
    refused = WebsocketCommunicator(application, "/ws/orders/", headers=BROWSER_HEADERS)
    assert (await refused.connect(timeout=5))[0]
    error = await refused.receive_json_from(timeout=5)
    assert (error["type"], error["code"]) == ("error", consumers.CLOSE_TOO_MANY_SOCKETS)
    assert await refused.receive_output(timeout=5) == {"type": "websocket.close", "code": 4029}
    await refused.wait()
    await first.disconnect()
    assert consumers.open_sockets() == 0
    again = await open_socket()  # a place is free again
    await start_stream(again, "latest", timeout=5)
    await again.disconnect()


async def test_a_socket_over_its_byte_budget_is_closed_with_4008(fake_relay, settings, monkeypatch):
    settings.RELAY_SOCKET_BUDGET_BYTES = 10_000
    backlog = {"bytes": 0}
    monkeypatch.setattr(consumers, "transport_backlog", lambda send: backlog["bytes"])
    socket = await open_socket()
    await start_stream(socket, "latest", timeout=5)
    fake_relay.broadcast.publish({"type": "relay.records", "records": packed([frame(0, 5)])})
    assert (await socket.receive_json_from(timeout=5))["offset"] == 5
    backlog["bytes"] = 9_990  # the client stopped reading: the next frame would pass the budget
    fake_relay.broadcast.publish({"type": "relay.records", "records": packed([frame(0, 6), frame(0, 7)])})
    assert await socket.receive_output(timeout=5) == {"type": "websocket.close", "code": 4008}
    assert await socket.receive_nothing(timeout=0.3)
    await socket.disconnect()


def test_the_transport_backlog_is_read_from_daphnes_protocol():
    import functools

    class Transport:
        dataBuffer, offset, _tempDataLen = b"x" * 100, 40, 7

    class Protocol:
        transport = Transport()

    async def handle_reply(protocol, message):
        return None

    assert consumers.transport_backlog(functools.partial(handle_reply, Protocol())) == 67
    assert consumers.transport_backlog(handle_reply) is None


def test_live_frames_held_during_a_replay_are_bounded_in_bytes():
    stream = stream_module.Stream("t", lambda: None, max_buffered_bytes=100)
    stream.start_replay()
    stream.begin_round({0: 0})
    stream.on_records(1, [(0, 0, "a" * 60)])
    assert stream.caught_up and stream.buffered_bytes == 60
    stream.on_records(2, [(0, 1, "é" * 25)])  # 50 bytes: over the bound, so the round catches up from Kafka
    assert not stream.caught_up and stream.buffered_bytes == 0 and not stream.buffer


async def test_latest_needs_no_replay_slot(fake_relay, monkeypatch):
    monkeypatch.setattr(replay, "HistoryReader", StuckReader)
    StuckReader.opened.clear()
    fake_relay.replay_slots = asyncio.Semaphore(0)  # every slot taken
    socket = await open_socket()
    frames = await start_stream(socket, "latest", timeout=5)
    live = frames[-1]
    assert live["positions"] == {"0": 5, "1": 0, "2": 2}, "live from the shared reader's positions, with no slot free"
    assert not StuckReader.opened, "latest reads no history, so it opens no reader"
    assert fake_relay.replay_slots.locked(), "and takes no slot"
    await socket.disconnect()


async def test_a_replaced_replay_gives_its_slot_back_first(fake_relay, monkeypatch):
    monkeypatch.setattr(replay, "HistoryReader", StuckReader)
    StuckReader.opened.clear()
    socket = await open_socket()
    await socket.send_json_to({"action": "replay", "from": "beginning"})
    await receive_until(socket, is_status("replaying"), timeout=5)
    assert fake_relay.replay_slots.locked()
    await socket.send_json_to({"action": "replay", "from": "beginning"})  # replaces the stuck one
    await receive_until(socket, is_status("replaying"), timeout=5)
    first, second = StuckReader.opened
    assert first.closed.is_set() and not second.closed.is_set(), "one replay (one reader) per socket at a time"
    await start_stream(socket, "latest", timeout=5)
    assert not fake_relay.replay_slots.locked() and second.closed.is_set()
    await socket.disconnect()


async def test_a_replay_that_cannot_progress_gives_its_slot_back(fake_relay, monkeypatch):
    monkeypatch.setattr(replay, "HistoryReader", StuckReader)
    monkeypatch.setattr(consumers, "REPLAY_SLOT_SECONDS", 0.5)
    socket = await open_socket()
    await socket.send_json_to({"action": "replay", "from": "beginning"})
    frames = await receive_until(socket, is_status("kafka_unavailable"), timeout=5)
    assert "did not finish within" in frames[-1]["error"]
    assert not fake_relay.replay_slots.locked(), "the slot is free while the replay waits to retry"
    await socket.disconnect()
    await asyncio.sleep(0)
    assert consumers.open_sockets() == 0
