"""Topics to search and a socket to search them with: records produced fast by one batching producer."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from typing import Any

import pytest
from channels.testing import WebsocketCommunicator
from kafka import KafkaProducer

from harness.topics import create_topic
from playground.asgi import application
from tests.support.relay_sockets import BROWSER_HEADERS

RECORDS = 100_000
PLANTED = 37
NEEDLE = "needle-7f3a"


def batching_producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap, acks=1, linger_ms=50, batch_size=512 * 1024, max_request_size=4 * 1024 * 1024
    )


def fill(bootstrap: str, topic: str, count: int, planted: set[int], partitions: int = 3) -> dict[int, tuple[int, int]]:
    """`count` records (round robin over the partitions), the `planted` ones carrying NEEDLE in their value; returns
    the planted records' index -> (partition, offset)."""
    producer = batching_producer(bootstrap)
    futures = {}
    filler = b"x" * 60
    for i in range(count):
        value = b"order-" + str(i).encode() + b"-" + (NEEDLE.encode() if i in planted else b"plain") + filler
        future = producer.send(topic, key=f"key-{i}".encode(), value=value, partition=i % partitions)
        if i in planted:
            futures[i] = future
    producer.flush(60)
    producer.close()
    return {i: (f.get(5).partition, f.get(5).offset) for i, f in futures.items()}


@pytest.fixture(scope="session")
def big_topic(kafka_broker) -> dict[str, Any]:
    """100,000 records on 3 partitions with PLANTED matches among them, made once per run."""
    name = f"search-big-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, name)
    planted = set(random.Random(7).sample(range(RECORDS), PLANTED))
    where = fill(kafka_broker.bootstrap_servers, name, RECORDS, planted)
    return {"name": name, "planted": set(where.values())}


async def open_search_socket() -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(application, "/ws/search/", headers=BROWSER_HEADERS)
    connected, _ = await communicator.connect(timeout=5)
    assert connected, "the search socket was refused"
    return communicator


async def frames_until_end(
    communicator: WebsocketCommunicator, timeout: float = 30.0, last: tuple[str, ...] = ("done", "error")
) -> list[dict[str, Any]]:
    """Every frame up to the search's last one: its done frame, or the error frame that started nothing."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await communicator.receive_from(timeout=timeout))
            frames.append(frame)
            if frame["type"] in last:
                return frames


async def search(message: dict[str, Any], timeout: float = 30.0) -> list[dict[str, Any]]:
    """Run one search on a fresh socket; its frames up to its last."""
    communicator = await open_search_socket()
    try:
        await communicator.send_to(text_data=json.dumps({"action": "search", **message}))
        return await frames_until_end(communicator, timeout)
    finally:
        await communicator.disconnect()


def of_type(frames: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [frame for frame in frames if frame["type"] == kind]
