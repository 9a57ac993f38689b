"""The /ws/search/ websocket: one search of any topic at a time per socket, run in the background, its frames sent
as they come (the protocol: docs/protocol.md, "Searching a topic"; the frames: topic_search.frames).

Client to server: ``{"action": "search", "topic": ..., <criteria and bounds>}`` (topic_search.criteria) and
``{"action": "cancel"}``. A bad message, bad criteria, a second search while one runs, or every search slot of the
process taken (settings.SEARCH_MAX_CONCURRENT) gets one ``error`` frame and starts nothing; the socket stays open.

Bounded whatever the client does: the search thread hands frames over through a byte-bounded Handoff; the sender
takes no more while the socket's TCP transport holds more than settings.RELAY_SOCKET_BUDGET_BYTES (as
live.consumers measures it), so a client that does not read makes the search wait (its time bound running on)
rather than the server buffer. Closing the socket cancels its search; its thread gives its slot back when it ends.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from live.consumers import transport_backlog
from topic_search import frames, slots
from topic_search.criteria import CriteriaError, parse
from topic_search.handoff import Handoff
from topic_search.scan import Scan

logger = logging.getLogger(__name__)

# How often a sender whose client lags looks again at its transport's backlog.
BACKLOG_WAIT_SECONDS = 0.05
MAX_MESSAGE_BYTES = 64 * 1024


class SearchConsumer(AsyncWebsocketConsumer):
    scan: Scan | None = None
    handoff: Handoff | None = None
    sender: asyncio.Task | None = None

    async def connect(self) -> None:
        await self.accept()

    async def disconnect(self, code: int) -> None:
        self._stop_search()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if text_data is None:
            return await self._error("send JSON text frames, not binary ones")
        if len(text_data) > MAX_MESSAGE_BYTES:
            return await self._error(f"a message is at most {MAX_MESSAGE_BYTES} bytes")
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            return await self._error("the message is not JSON")
        action = message.get("action") if isinstance(message, dict) else None
        if action == "search":
            return await self._on_search(message)
        if action == "cancel":
            return await self._on_cancel()
        await self._error('a message is a JSON object with an "action": "search" or "cancel"')

    async def _on_search(self, message: dict[str, Any]) -> None:
        if self.scan is not None:
            return await self._error("this socket runs a search already: cancel it, or wait for its done frame")
        try:
            criteria = parse(message)
        except CriteriaError as exc:
            return await self._error(str(exc), field_errors=exc.field_errors)
        if not slots.take():
            return await self._error(
                f"this process runs {settings.SEARCH_MAX_CONCURRENT} searches already; try again shortly",
                code="busy",
            )
        self.handoff = Handoff(asyncio.get_running_loop())
        self.scan = Scan(criteria, self.handoff)
        self.scan.start()
        self.sender = asyncio.create_task(self._send_frames(self.scan, self.handoff))

    async def _on_cancel(self) -> None:
        if self.scan is None:
            return await self._error("no search is running")
        self.scan.cancel()

    async def _send_frames(self, scan: Scan, handoff: Handoff) -> None:
        """Send what the search hands over, in order, until its last frame (done, or an error that started nothing);
        wait while the client lags."""
        try:
            while True:
                await handoff.ready.wait()
                for text in handoff.take():
                    while (transport_backlog(self.send) or 0) > settings.RELAY_SOCKET_BUDGET_BYTES:
                        await asyncio.sleep(BACKLOG_WAIT_SECONDS)
                    await self.send(text_data=text)
                    if text.startswith(('{"type":"done"', '{"type":"error"')):
                        if self.scan is scan:
                            self.scan = None
                        return
        except Exception:
            logger.exception("topic search sender failed")
            scan.cancel()
            handoff.close()
            raise

    def _stop_search(self) -> None:
        if self.scan is not None:
            self.scan.cancel()
        if self.handoff is not None:
            self.handoff.close()
        if self.sender is not None:
            self.sender.cancel()

    async def _error(self, message: str, **extra: Any) -> None:
        await self.send(text_data=frames.error_frame(message, **extra))
