"""The /ws/orders/ websocket: one browser's view of the orders topic, fed by the process's shared relay reader.

Server to client, JSON text frames:

- ``{"type": "record", ...}``: one Kafka record, see ``live.frames.record_frame``.
- ``{"type": "status", "state", "topic", "kafka": "starting" | "ok" | "unavailable", ...}`` where state is
  ``connected`` (on open, and when Kafka comes back before any stream was asked for; with ``partitions``,
  ``positions`` where "latest" would start, ``end_offsets``: no records flow until the client asks for a replay),
  ``replaying`` (with ``from`` and ``until``, ``{"<partition>": offset}``, and ``skipped``: the records in
  [from, until) follow), ``live`` (with ``positions``: every record before them was sent, new ones follow),
  ``paused`` (with ``positions``) or ``kafka_unavailable`` (with ``error``: the shared reader lost the broker;
  the stream goes on with no gap when it is back, announced by a ``live``, ``paused`` or ``connected`` frame).
- ``{"type": "error", "message", "action"?}``: a bad client message, or a replay that cannot go on (an unknown
  partition). The socket stays open; such a replay leaves the stream stopped (state ``connected``). A replay that
  hits a Kafka error sends ``kafka_unavailable`` and retries from the last record it sent.

Client to server: ``{"action": "replay", "from": "beginning" | "latest" | {"<partition>": <next offset>, ...} |
{"timestamp": <ms since the epoch>}}`` (starts or restarts this socket's stream; a partition left out of the offsets
is read from its beginning), ``{"action": "pause"}`` and ``{"action": "resume"}`` (continues from where it paused).

Exactly once: a stream sends every record from its start once, in offset order per partition. A replay takes the
relay's positions as the cut, buffers live frames at or past it, sends the history below it from a short-lived
reader (at most replay.MAX_REPLAY_RECORDS_PER_PARTITION of the newest per partition; older ones are counted in
``skipped``), then the buffer, then live. A lost live frame (buffer over MAX_BUFFERED_FRAMES, or a relay message dropped
by a full channel layer) starts another round from the last offsets sent, read from Kafka.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from kafka.errors import KafkaError

from live import relay, replay
from live.stream import Outgoing, Restart, Stream, error_frame

logger = logging.getLogger(__name__)

CUT_WAIT_SECONDS = 0.1


class OrdersConsumer(AsyncJsonWebsocketConsumer):
    """Parses client actions, drives the Kafka side and sends the frames of its live.stream.Stream, in order."""

    async def connect(self) -> None:
        self.relay = relay.ensure_started()
        self.stream = Stream(self.relay.topic, self.relay.state)
        self.replay_task: asyncio.Task | None = None
        await self.channel_layer.group_add(self.relay.group, self.channel_name)
        await self.accept()
        await self._send_all(self.stream.opened())

    async def disconnect(self, code: int) -> None:
        if self.replay_task is not None:
            self.replay_task.cancel()
        await self.channel_layer.group_discard(self.relay.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        if text_data is None:
            return await self._error("send JSON text frames, not binary ones")
        try:
            message = json.loads(text_data)
        except (ValueError, RecursionError):
            return await self._error("the message is not JSON")
        if not isinstance(message, dict):
            return await self._error('a message is a JSON object with an "action"')
        handlers = {"replay": self._on_replay, "pause": self._on_pause, "resume": self._on_resume}
        action = message.get("action")
        handler = handlers.get(action) if isinstance(action, str) else None
        if handler is None:
            return await self._error(f'unknown action {action!r}: use "replay", "pause" or "resume"')
        await handler(message)

    async def _on_replay(self, message: dict[str, Any]) -> None:
        try:
            start = replay.parse_replay_from(message.get("from"))
            _check_partitions(start, self.relay.state().partitions)
        except ValueError as exc:
            return await self._error(str(exc), action="replay")
        self.stream.start_replay()
        self._launch(start)

    async def _on_pause(self, message: dict[str, Any]) -> None:
        await self._send_all(self.stream.pause())

    async def _on_resume(self, message: dict[str, Any]) -> None:
        await self._send_all(self.stream.resume())

    def _launch(self, start: replay.ReplayFrom) -> None:
        """Run this socket's one replay task from `start`, ending any earlier one."""
        if self.replay_task is not None:
            self.replay_task.cancel()
        self.replay_task = asyncio.create_task(self._replay(start))

    async def _replay(self, start: replay.ReplayFrom) -> None:
        """Rounds of cut, history, buffer until one ends with nothing lost, then live; Kafka errors retry."""
        try:
            async with self.relay.replay_slots:
                while not await self._round(start):
                    # Go on from the last record sent (once history has begun), reading from Kafka again.
                    if (offsets := self.stream.round_restart()) is not None:
                        start = replay.ReplayFrom("offsets", offsets=offsets)
        except Exception as exc:  # noqa: BLE001 - a failed replay ends this stream, never the socket
            if not isinstance(exc, ValueError):
                logger.exception("replay failed")
            await self._send_all(self.stream.replay_failed(str(exc)))

    async def _round(self, start: replay.ReplayFrom) -> bool:
        """One round; True once the stream is live, False when another round must follow (a frame was lost)."""
        cut = await self._take_cut()
        _check_partitions(start, tuple(cut))
        try:
            await self._send_history(start, cut)
        except KafkaError as exc:
            await self.send_json(self.stream.unavailable(f"replay: {type(exc).__name__}: {exc}"))
            await asyncio.sleep(relay.RETRY_SECONDS)
            return False
        return await self._finish_round()

    async def _take_cut(self) -> dict[int, int]:
        """Wait for the shared reader, take its positions as the cut, and buffer live frames past it from now on."""
        while (reader := self.relay.state()).kafka != "ok":
            await asyncio.sleep(CUT_WAIT_SECONDS)
        return self.stream.begin_round(reader.positions)

    async def _send_history(self, start: replay.ReplayFrom, cut: dict[int, int]) -> None:
        """Send the records from `start` up to the cut; afterwards next_offsets is at or past the cut everywhere."""
        start = start.clamped(cut)
        if not start.needs_history(cut):
            begin = dict(cut) if start.kind == "latest" else {p: start.offsets.get(p, 0) for p in cut}
            await self._send_all(self.stream.history_started(begin, skipped={}))
        else:
            reader = replay.HistoryReader(self.relay.topic, self.relay.bootstrap, cut)
            try:
                plan = await asyncio.to_thread(reader.open, start)
                await self._send_all(self.stream.history_started(plan.start, skipped=plan.skipped))
                while (packed := await asyncio.to_thread(reader.read_chunk)) is not None:
                    for record in packed:
                        await self.send(text_data=self.stream.history_record(record))
            finally:
                # Also on cancel: the lock in HistoryReader makes close() wait for a read still running.
                await asyncio.to_thread(reader.close)
        self.stream.finish_history()

    async def _finish_round(self) -> bool:
        """Announce live, then drain the buffer one frame at a time (relay messages may still add to it meanwhile)."""
        await self._send_all(self.stream.finish_round())
        while (text := self.stream.next_buffered()) is not None:
            await self.send(text_data=text)
        return self.stream.go_live()

    async def relay_records(self, message: dict[str, Any]) -> None:
        """A batch from the shared reader: send it when live, hold it while a replay reads history."""
        await self._send_all(self.stream.on_records(message["seq"], message["records"]))

    async def relay_status(self, message: dict[str, Any]) -> None:
        await self._send_all(self.stream.on_status(message["seq"], message["kafka"], message.get("error", "")))

    async def _send_all(self, items: list[Outgoing]) -> None:
        """Send the stream's frames in order; a Restart starts a new replay from the offsets it carries."""
        for item in items:
            if isinstance(item, Restart):
                self._launch(replay.ReplayFrom("offsets", offsets=item.offsets))
            elif isinstance(item, str):
                await self.send(text_data=item)
            else:
                await self.send_json(item)

    async def _error(self, message: str, **detail: Any) -> None:
        await self.send_json(error_frame(message, **detail))


def _check_partitions(start: replay.ReplayFrom, partitions: tuple[int, ...]) -> None:
    unknown = sorted(set(start.offsets) - set(partitions)) if partitions else []
    if unknown:
        raise ValueError(f"unknown partitions {unknown}; the topic has {list(partitions)}")
