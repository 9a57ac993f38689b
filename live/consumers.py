"""The /ws/orders/ websocket: one browser's view of the orders topic, fed by the process's shared relay reader.

Server to client, JSON text frames:

- ``{"type": "record", ...}``: one Kafka record, see ``orders.events.record_frame``.
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
from collections import deque
from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from kafka.errors import KafkaError

from live import relay, replay

logger = logging.getLogger(__name__)

CONNECTED, REPLAYING, LIVE, PAUSED = "connected", "replaying", "live", "paused"
# Live frames held per socket while its replay reads history; past this the replay catches up from Kafka instead.
MAX_BUFFERED_FRAMES = 10_000
CUT_WAIT_SECONDS = 0.1


def _keyed(offsets: dict[int, int]) -> dict[str, int]:
    return {str(partition): offset for partition, offset in sorted(offsets.items())}


class OrdersConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.relay = relay.ensure_started()
        self.stream_state = CONNECTED
        # Per partition, the offset after the last record this stream sent: where it goes on from.
        self.next_offsets: dict[int, int] = {}
        # While replaying: the relay's positions when the round began (None until then).
        self.cut: dict[int, int] | None = None
        self.buffer: deque[relay.PackedRecord] = deque()
        self.caught_up = True
        self.last_seq: int | None = None
        self.replay_task: asyncio.Task | None = None
        await self.channel_layer.group_add(self.relay.group, self.channel_name)
        await self.accept()
        await self.send_json(self._connected_frame())
        reader = self.relay.state()
        if reader.kafka == "unavailable":
            await self.send_json(self._status("kafka_unavailable", kafka="unavailable", error=reader.error))

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
        self._start_replay(start)

    async def _on_pause(self, message: dict[str, Any]) -> None:
        if self.stream_state != LIVE:
            return await self._error("only a live stream can be paused", action="pause")
        self.stream_state = PAUSED
        await self.send_json(self._status(PAUSED, positions=_keyed(self.next_offsets)))

    async def _on_resume(self, message: dict[str, Any]) -> None:
        if self.stream_state != PAUSED:
            return await self._error("the stream is not paused", action="resume")
        self._start_replay(replay.ReplayFrom("offsets", offsets=dict(self.next_offsets)))

    def _start_replay(self, start: replay.ReplayFrom) -> None:
        if self.replay_task is not None:
            self.replay_task.cancel()
        self.stream_state, self.cut, self.next_offsets = REPLAYING, None, {}
        self.buffer.clear()
        self.replay_task = asyncio.create_task(self._replay(start))

    async def _replay(self, start: replay.ReplayFrom) -> None:
        """Rounds of cut, history, buffer until one ends with nothing lost, then live; Kafka errors retry."""
        try:
            async with self.relay.replay_slots:
                while True:
                    cut = await self._take_cut()
                    _check_partitions(start, tuple(cut))
                    try:
                        await self._send_history(start, cut)
                    except KafkaError as exc:
                        await self.send_json(self._status("kafka_unavailable", kafka="unavailable",
                                                          error=f"replay: {type(exc).__name__}: {exc}"))
                        await asyncio.sleep(relay.RETRY_SECONDS)
                    else:
                        if self.caught_up:
                            await self.send_json(self._status(LIVE, positions=_keyed(self.next_offsets)))
                            while self.buffer:
                                await self._send_if_new(self.buffer.popleft())
                            if self.caught_up:
                                self.stream_state, self.cut = LIVE, None
                                return
                    # Go on from the last record sent (once history has begun), reading from Kafka again.
                    if self.next_offsets:
                        start = replay.ReplayFrom("offsets", offsets=dict(self.next_offsets))
        except Exception as exc:  # noqa: BLE001 - a failed replay ends this stream, never the socket
            if not isinstance(exc, ValueError):
                logger.exception("replay failed")
            self.stream_state, self.cut = CONNECTED, None
            self.buffer.clear()
            await self._error(f"replay failed: {exc}", action="replay")

    async def _take_cut(self) -> dict[int, int]:
        """Wait for the shared reader, take its positions as the cut, and buffer live frames past it from now on."""
        while (reader := self.relay.state()).kafka != "ok":
            await asyncio.sleep(CUT_WAIT_SECONDS)
        self.cut = dict(reader.positions)
        self.buffer.clear()
        self.caught_up = True
        return self.cut

    async def _send_history(self, start: replay.ReplayFrom, cut: dict[int, int]) -> None:
        """Send the records from `start` up to the cut; afterwards next_offsets is at or past the cut everywhere."""
        start = start.clamped(cut)
        if not start.needs_history(cut):
            begin = dict(cut) if start.kind == "latest" else {p: start.offsets.get(p, 0) for p in cut}
            self.next_offsets = dict(begin)
            await self.send_json(self._status(REPLAYING, **{"from": _keyed(begin)}, until=_keyed(cut), skipped={}))
        else:
            reader = replay.HistoryReader(self.relay.topic, self.relay.bootstrap, cut)
            try:
                plan = await asyncio.to_thread(reader.open, start)
                self.next_offsets = dict(plan.start)
                await self.send_json(self._status(
                    REPLAYING, **{"from": _keyed(plan.start)}, until=_keyed(cut), skipped=_keyed(plan.skipped),
                ))
                while (packed := await asyncio.to_thread(reader.read_chunk)) is not None:
                    for record in packed:
                        await self._send_record(record)
            finally:
                # Also on cancel: the lock in HistoryReader makes close() wait for a read still running.
                await asyncio.to_thread(reader.close)
        # Offsets below the cut that no record had (compaction, transaction markers) are passed, not awaited.
        self.next_offsets = {p: max(self.next_offsets.get(p, 0), cut[p]) for p in cut}

    async def relay_records(self, message: dict[str, Any]) -> None:
        """A batch from the shared reader: send it when live, hold it while a replay reads history."""
        self._follow_seq(message["seq"])
        for record in message["records"]:
            partition, offset, _ = record
            if self.stream_state == LIVE:
                await self._send_if_new(record)
            elif self.stream_state == REPLAYING and self.cut is not None and self.caught_up \
                    and offset >= self.cut.get(partition, 0):
                if len(self.buffer) < MAX_BUFFERED_FRAMES:
                    self.buffer.append(record)
                else:
                    self._lose_frames()

    async def relay_status(self, message: dict[str, Any]) -> None:
        self._follow_seq(message["seq"])
        if message["kafka"] == "unavailable":
            await self.send_json(self._status("kafka_unavailable", kafka="unavailable", error=message["error"]))
        elif self.stream_state == CONNECTED:
            await self.send_json(self._connected_frame())
        elif self.stream_state in (LIVE, PAUSED):
            await self.send_json(self._status(self.stream_state, positions=_keyed(self.next_offsets)))

    def _follow_seq(self, seq: int) -> None:
        if self.last_seq is not None and seq != self.last_seq + 1:
            self._lose_frames()
        self.last_seq = seq

    def _lose_frames(self) -> None:
        """Some live frames will never reach this stream: get them from Kafka instead."""
        if self.stream_state == LIVE:
            self._start_replay(replay.ReplayFrom("offsets", offsets=dict(self.next_offsets)))
        elif self.stream_state == REPLAYING:
            self.caught_up = False
            self.buffer.clear()

    async def _send_if_new(self, record: relay.PackedRecord) -> None:
        partition, offset, _ = record
        if offset >= self.next_offsets.get(partition, 0):
            await self._send_record(record)

    async def _send_record(self, record: relay.PackedRecord) -> None:
        partition, offset, text = record
        self.next_offsets[partition] = offset + 1
        await self.send(text_data=text)

    def _status(self, state: str, **detail: Any) -> dict[str, Any]:
        return {"type": "status", "state": state, "topic": self.relay.topic, "kafka": self.relay.state().kafka,
                **detail}

    def _connected_frame(self) -> dict[str, Any]:
        reader = self.relay.state()
        return self._status(CONNECTED, partitions=list(reader.partitions), positions=_keyed(reader.positions),
                            end_offsets=_keyed(reader.end_offsets))

    async def _error(self, message: str, **detail: Any) -> None:
        await self.send_json({"type": "error", "message": message, **detail})


def _check_partitions(start: replay.ReplayFrom, partitions: tuple[int, ...]) -> None:
    unknown = sorted(set(start.offsets) - set(partitions)) if partitions else []
    if unknown:
        raise ValueError(f"unknown partitions {unknown}; the topic has {list(partitions)}")
