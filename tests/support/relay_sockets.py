"""Helpers for the relay tests: open a socket as a browser would, read frames with bounded waits, send raw records."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from channels.testing import WebsocketCommunicator
from kafka import KafkaProducer

from playground.asgi import application
from tests.support.live_socket import unwrap

BROWSER_HEADERS = [(b"origin", b"http://127.0.0.1:8000"), (b"host", b"127.0.0.1:8000")]
Frame = dict[str, Any]


async def open_socket(headers: list[tuple[bytes, bytes]] = BROWSER_HEADERS) -> WebsocketCommunicator:
    """A connected /ws/orders/ socket whose first frame (the connected status) was read and checked."""
    communicator = WebsocketCommunicator(application, "/ws/orders/", headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected, "the websocket was refused"
    first = await communicator.receive_json_from(timeout=5)
    assert (first["type"], first["state"]) == ("status", "connected"), first
    return communicator


async def receive_until(
    communicator: WebsocketCommunicator, done: Callable[[Frame], bool], *, timeout: float = 20.0
) -> list[Frame]:
    """Every frame up to and including the first for which `done` is true; fail with what came if none in time.

    The records of a coalesced ``records`` frame count as frames of their own (see ``unwrap``)."""
    frames: list[Frame] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            frame = await communicator.receive_json_from(timeout=max(deadline - loop.time(), 0.01))
        except TimeoutError:
            raise AssertionError(f"no awaited frame within {timeout} s; received {frames}") from None
        for each in unwrap(frame):
            frames.append(each)
            if done(each):
                return frames


def is_status(state: str) -> Callable[[Frame], bool]:
    return lambda frame: frame["type"] == "status" and frame["state"] == state


async def start_stream(communicator: WebsocketCommunicator, start: Any, *, timeout: float = 20.0) -> list[Frame]:
    """Ask for a replay and return its frames up to and including the `live` status."""
    await communicator.send_json_to({"action": "replay", "from": start})
    return await receive_until(communicator, is_status("live"), timeout=timeout)


async def receive_records(communicator: WebsocketCommunicator, count: int, *, timeout: float = 20.0) -> list[Frame]:
    """The next `count` record frames (status frames in between are skipped)."""
    records: list[Frame] = []

    def enough(frame: Frame) -> bool:
        if frame["type"] == "record":
            records.append(frame)
        return len(records) == count

    await receive_until(communicator, enough, timeout=timeout)
    return records


def records_in(frames: Iterable[Frame]) -> list[Frame]:
    return [frame for frame in frames if frame["type"] == "record"]


def positions(frames: Iterable[Frame]) -> list[tuple[int, int]]:
    return [(frame["partition"], frame["offset"]) for frame in frames]


def send_records(bootstrap_servers: str, topic: str, records: Iterable[dict[str, Any]]) -> list[tuple[int, int]]:
    """Send raw records (kwargs of KafkaProducer.send) and return their (partition, offset) once acknowledged."""
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers, linger_ms=0)
    try:
        futures = [producer.send(topic, **record) for record in records]
        producer.flush(20)
        return [(meta.partition, meta.offset) for meta in (future.get(timeout=20) for future in futures)]
    finally:
        producer.close()
