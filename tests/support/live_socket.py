"""A real websocket client of /ws/orders/ on a running web process, resuming after drops as the dashboard does."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import websockets


@dataclass
class ResumingReader:
    """Collects record frames; after a drop it reconnects and asks for the offsets after the last ones seen."""

    base_url: str
    records: list[dict[str, Any]] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    socket: Any = None

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/ws/orders/"

    async def connect(self, start: Any = "latest", timeout: float = 30.0) -> None:
        """Open a socket and stream from `start` (or, after a drop, from the positions seen)."""
        self.socket = await websockets.connect(self.ws_url, origin=self.base_url, open_timeout=10)
        await self._until(lambda frame: frame["type"] == "status" and frame["state"] == "connected", timeout)
        await self.socket.send(json.dumps({"action": "replay", "from": self.positions or start}))
        await self._until(lambda frame: frame["type"] == "status" and frame["state"] == "live", timeout)

    async def read_for(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._until(lambda frame: False, seconds + 1), seconds)
        except TimeoutError:
            pass

    async def read_until_count(self, count: int, timeout: float) -> None:
        await self._until(lambda frame: len(self.records) >= count, timeout)

    async def read_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Read until `condition()` holds; it is also checked while no frame arrives."""
        await self._until(lambda frame: condition(), timeout, idle_check=True)

    def drop(self) -> None:
        """Cut the TCP connection without a closing handshake, as a network failure would."""
        self.socket.transport.abort()
        self.socket = None

    async def close(self) -> None:
        if self.socket is not None:
            await self.socket.close()

    async def _until(self, done, timeout: float, idle_check: bool = False) -> None:
        async with asyncio.timeout(timeout):
            while True:
                try:
                    raw = await asyncio.wait_for(self.socket.recv(), 0.5) if idle_check else await self.socket.recv()
                except TimeoutError:
                    if done(None):
                        return
                    continue
                for frame in unwrap(json.loads(raw)):
                    if frame["type"] == "record":
                        self.records.append(frame)
                        self.positions[str(frame["partition"])] = frame["offset"] + 1
                    elif frame["type"] == "status" and frame["state"] == "live":
                        # Partitions without a record yet resume from the live position, not from their beginning.
                        for partition, offset in frame.get("positions", {}).items():
                            self.positions.setdefault(partition, offset)
                    if done(frame):
                        return

    def offsets_seen(self) -> list[tuple[int, int]]:
        return [(frame["partition"], frame["offset"]) for frame in self.records]


def unwrap(frame: dict[str, Any]) -> list[dict[str, Any]]:
    """A coalesced ``records`` frame as the record frames it carries, in order; any other frame as itself."""
    return frame["records"] if frame["type"] == "records" else [frame]


def run_in_own_loop(scenario: Callable[[], Coroutine], timeout: float = 180.0) -> None:
    """asyncio.run in a thread of its own: Playwright's sync API keeps an event loop running in the main thread."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(scenario())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread below
            failure.append(exc)

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"the websocket scenario did not finish within {timeout} s"
    if failure:
        raise failure[0]
