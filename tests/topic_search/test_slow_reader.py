"""A client that stops reading makes the search wait, not the server buffer: under the real web server (daphne), a
search whose matches would all be sent within a second is held back by the socket's budget until its time bound
ends it, and then every match it counted still reaches the client, in order, before its done frame."""

from __future__ import annotations

import asyncio
import json
import socket as sockets
import uuid
from urllib.parse import urlsplit

import pytest
import websockets

from harness.processes import Stack
from harness.topics import create_topic
from tests.conftest import ARTIFACTS
from tests.support.live_socket import run_in_own_loop
from tests.topic_search.conftest import batching_producer

RECORDS = 300
VALUE = b"v" * (100 * 1024)  # 300 matches of 100 KiB: 30 MiB of match frames


@pytest.fixture(scope="module")
def slow_stack(kafka_broker):
    topic = f"search-slow-{uuid.uuid4().hex[:8]}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    producer = batching_producer(kafka_broker.bootstrap_servers)
    sent = [producer.send(topic, key=f"k{i}".encode(), value=VALUE, partition=i % 3) for i in range(RECORDS)]
    producer.flush(30)
    for future in sent:
        future.get(10)
    producer.close()
    running = Stack(
        bootstrap_servers=kafka_broker.bootstrap_servers,
        topic=f"orders-slow-{uuid.uuid4().hex[:8]}",
        log_dir=ARTIFACTS,
        services=("web",),
        extra_env={"RELAY_SOCKET_BUDGET_BYTES": str(256 * 1024)},
    ).start()
    yield running, topic
    running.stop()


def test_a_client_that_does_not_read_holds_the_search_back_until_its_time_bound(slow_stack):
    stack, topic = slow_stack
    frames: list = []

    async def scenario():
        url = stack.base_url.replace("http://", "ws://") + "/ws/search/"
        # A small receive buffer of its own: the kernel's autotuning may otherwise take the whole 30 MiB on
        # loopback (tcp_rmem's maximum is 32 MiB on some machines) and the client would never seem stuck.
        raw = sockets.socket(sockets.AF_INET, sockets.SOCK_STREAM)
        raw.setsockopt(sockets.SOL_SOCKET, sockets.SO_RCVBUF, 64 * 1024)
        raw.connect((urlsplit(url).hostname, urlsplit(url).port))
        raw.setblocking(False)
        # max_queue=1: once one frame waits unread, the client reads nothing more from TCP, as a stuck tab would.
        async with websockets.connect(url, sock=raw, origin=stack.base_url, max_queue=1, max_size=None) as socket:
            await socket.send(json.dumps({"action": "search", "topic": topic, "value": "vvvv", "max_seconds": 3}))
            await asyncio.sleep(5)
            async with asyncio.timeout(30):
                while not frames or frames[-1]["type"] != "done":
                    frames.append(json.loads(await socket.recv()))

    run_in_own_loop(scenario, timeout=60)
    done = frames[-1]
    matches = [frame for frame in frames if frame["type"] == "match"]
    assert done["reason"] == "max_seconds", json.dumps(done)
    assert 0 < done["matches"] < RECORDS
    assert len(matches) == done["matches"]
    offsets = [(m["record"]["partition"], m["record"]["offset"]) for m in matches]
    assert offsets == sorted(offsets, key=lambda place: offsets.index(place))  # each sent once
    assert len(set(offsets)) == len(offsets)
