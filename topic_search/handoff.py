"""Frames from a search's thread to its socket's event loop, bounded in bytes: the thread waits while the socket lags.

A slow reader cannot make the server buffer without bound: the socket's sender stops taking frames while its TCP
transport holds more than its budget (as live.consumers measures it), so this handoff fills up, and then the search
thread waits here (its clock, and so its time bound, running on) instead of scanning further.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque

# What one search may have handed over and its socket not yet sent.
MAX_PENDING_BYTES = 1024 * 1024
WAIT_SLICE_SECONDS = 0.1


class Handoff:
    def __init__(self, loop: asyncio.AbstractEventLoop, max_bytes: int = MAX_PENDING_BYTES) -> None:
        self.loop, self.max_bytes = loop, max_bytes
        self.ready = asyncio.Event()
        self._frames: deque[str] = deque()
        self._bytes = 0
        self._closed = False
        self._room = threading.Condition()

    def put(self, text: str, give_up: threading.Event, deadline: float | None = None) -> bool:
        """Queue a frame (from the search thread), waiting while the queue is over its bound; False when `give_up`
        was set, the handoff closed or the monotonic `deadline` passed first (the frame is then dropped)."""
        size = len(text)
        with self._room:
            while self._frames and self._bytes + size > self.max_bytes:
                if self._closed or give_up.is_set() or (deadline is not None and time.monotonic() >= deadline):
                    return False
                self._room.wait(WAIT_SLICE_SECONDS)
            if self._closed:
                return False
            self._frames.append(text)
            self._bytes += size
        try:
            self.loop.call_soon_threadsafe(self.ready.set)
        except RuntimeError:  # the loop is closed: nobody will send it
            return False
        return True

    def take(self) -> list[str]:
        """Every queued frame, oldest first (on the loop); the search thread may queue more at once."""
        with self._room:
            frames = list(self._frames)
            self._frames.clear()
            self._bytes = 0
            self.ready.clear()
            self._room.notify_all()
        return frames

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Nothing more is sent: a waiting put returns False at once."""
        with self._room:
            self._closed = True
            self._frames.clear()
            self._bytes = 0
            self._room.notify_all()
