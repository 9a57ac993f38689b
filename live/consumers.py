"""The /ws/orders/ websocket: one browser's view of the orders topic, fed by the process's shared relay reader.

Server to client, JSON text frames:

- ``{"type": "records", "records": [<record frame>, ...]}``: several record frames coalesced into one websocket
  frame, in the order they would have come one by one. A socket gets one when several records are ready for it at
  once (a poll that returned several, a socket with a backlog, a chunk of history); at most
  live.stream.COALESCE_MAX_BYTES of record frames each. A lone record comes as its own ``record`` frame.
- ``{"type": "record", ...}``: one Kafka record, whatever its bytes (``live.frames``): ``key`` with ``key_format``
  "text" | "base64" | "null" (``key_reason`` with base64), ``headers`` ``{name: text | null}`` plus
  ``headers_raw`` ``[{"name", "value", "value_format", "reason"?}]`` when the map is not faithful (a value not
  UTF-8, a repeated name), ``value`` with ``value_format`` "json-event" | "text" | "base64" | "null" (``value_reason``
  with base64: not UTF-8, or an event holding escapes UTF-8 cannot encode), ``size``, ``truncated`` (a field over
  settings.RELAY_FRAME_FIELD_MAX_BYTES is cut; then ``key_size``, ``value_size``), ``verdict`` "accepted" |
  "refused" | "invalid" (``verdict_reason`` unless accepted: messaging.judging, the same in history and live) and
  ``hand_made``. A record the Kafka client cannot
  decode at all (a header name that is not UTF-8) comes as ``value_format`` "unreadable" with ``error`` and null
  key and value: the stream passes its offset (resume offsets too) and never stops on it.
- ``{"type": "status", "state", "topic", "kafka": "starting" | "ok" | "unavailable", ...}`` where state is
  ``connected`` (on open, and when Kafka comes back before any stream was asked for; with ``partitions``,
  ``positions`` where "latest" would start, ``end_offsets``: no records flow until the client asks for a replay),
  ``replaying`` (with ``from`` and ``until``, ``{"<partition>": offset}``, and ``skipped``: the records in
  [from, until) follow), ``live`` (with ``positions``: every record before them was sent, new ones follow),
  ``paused`` (with ``positions``) or ``kafka_unavailable`` (with ``error``: the shared reader lost the broker;
  the stream goes on with no gap when it is back, announced by a ``live``, ``paused`` or ``connected`` frame).
- ``{"type": "broker", "listening": true | false, "error"?}``: whether the broker's port accepts connections, as
  the process's broker watch finds it (live.relay): ``false`` (with ``error``, one line of at most 80 characters)
  within about BROKER_WATCH_SECONDS of every bootstrap server refusing them (the broker process died or stopped),
  seconds before the stream's own ``kafka_unavailable``; ``true`` when one accepts again. Sent only around an
  outage: on open while the broker does not listen, and on each change after that.
- ``{"type": "error", "message", "action"?, "valid"?}``: a bad client message, or a replay that cannot go on. The
  socket stays open. A start the topic cannot serve is refused before anything changes (the stream goes on as it
  was, with no status frame), with ``valid`` naming what it has: offsets for a partition it lacks ("partition 7
  does not exist: the topic has partitions 0-2", ``valid`` ``{"partitions": [0, 1, 2]}``) or past a partition's
  end ("offset 900 of partition 1 is past its end: 0-412", ``valid`` ``{"partition": 1, "first": 0, "end": 412}``;
  the end itself is a valid start; messages write ranges with an en dash). The end is the relay's, or Kafka's at
  that moment for an offset past it; when Kafka cannot say, the start is taken and such a partition starts at its
  end. A replay that cannot go on once begun (the topic lost a partition) leaves the stream stopped (state
  ``connected``). A replay that hits a Kafka error sends ``kafka_unavailable`` and retries from the last record it
  sent.

Client to server: ``{"action": "replay", "from": "beginning" | "latest" | {"<partition>": <next offset>, ...} |
{"timestamp": <ms since the epoch>}}`` (starts or restarts this socket's stream; a partition left out of the offsets
is read from its beginning), ``{"action": "pause"}`` and ``{"action": "resume"}`` (continues from where it paused).

Exactly once: a stream sends every record from its start once, in offset order per partition. A replay takes the
relay's positions as the cut, buffers live frames at or past it, sends the history below it from a short-lived
reader (at most replay.MAX_REPLAY_RECORDS_PER_PARTITION of the newest per partition; older ones are counted in
``skipped``), then the buffer, then live. A lost live frame (buffer over MAX_BUFFERED_FRAMES or half the byte
budget, or relay messages the process's broadcast log dropped before this socket took them) starts another round from
the last offsets sent, read from Kafka.

Fan-out: the shared reader publishes each poll once to the process's ``live.broadcast`` log; each socket's pump task
takes what it has not sent yet and sends it coalesced. No Channels layer: nothing per socket leaves the process.

Bounded, whatever a client does: at most settings.RELAY_MAX_SOCKETS sockets per process (one more gets an error
frame with ``code`` 4029 and is closed with 4029; a socket the server cannot go on feeding, a bug that is logged,
is closed with 4011: reconnect and resume); per socket, settings.RELAY_SOCKET_BUDGET_BYTES of frames
queued (written to its TCP transport under daphne and not yet taken by the client, plus live frames held while it
replays, which may use half): a frame that would pass it closes the socket with 4008 ("too slow"; reconnect and
resume from the offsets seen). Replays: only one that reads history takes one of the process's
MAX_CONCURRENT_REPLAYS slots ("latest" takes none), for at most REPLAY_SLOT_SECONDS per round; a new replay on a
socket replaces its running one, which closes its reader and frees its slot first. Dead clients: daphne (runserver)
pings every 20 s and drops a socket whose pong does not come within 30 s.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, ClassVar

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from kafka.errors import KafkaError

from live import relay, replay
from live.broadcast import Subscription
from live.stream import Outgoing, Restart, Stream, coalesced, error_frame, frame_bytes
from messaging import clients
from playground import library_internals

logger = logging.getLogger(__name__)

CUT_WAIT_SECONDS = 0.1
# How long a replay's start may wait for Kafka to confirm an offset past what the relay has seen.
START_CHECK_SECONDS = 5.0
# Close codes (the 4000-4999 range is the application's): the client fell more than its byte budget behind
# (settings.RELAY_SOCKET_BUDGET_BYTES); the server could not go on feeding the socket (a bug: logged); the process
# already serves settings.RELAY_MAX_SOCKETS sockets.
CLOSE_TOO_SLOW = 4008
CLOSE_SERVER_ERROR = 4011
CLOSE_TOO_MANY_SOCKETS = 4029
# A replay holds its slot (and its Kafka reader) at most this long per round, however slowly its socket takes
# frames: then the round fails, the slot is given back and the next round goes on from the last record sent.
REPLAY_SLOT_SECONDS = replay.REPLAY_TIMEOUT_SECONDS + 5


def open_sockets() -> int:
    """Websockets this process serves now (accepted and counted, not yet disconnected)."""
    return OrdersConsumer.open_count


def transport_backlog(send: Any) -> int | None:
    """Bytes written to this socket's TCP transport that the client has not taken yet, or None if unknown.

    Under daphne (runserver) the protocol's Twisted transport buffers what the kernel would not take (daphne applies
    no backpressure: a client that does not read grows this buffer). Other servers, and the Channels test
    communicator, have no such transport.
    """
    protocol = library_internals.daphne_protocol(send)
    return library_internals.twisted_write_backlog(getattr(protocol, "transport", None))


class OrdersConsumer(AsyncJsonWebsocketConsumer):
    """Parses client actions, drives the Kafka side and sends the frames of its live.stream.Stream, in order."""

    # The process's count (one event loop: no lock), kept on the class; `counted` says whether this socket is in it.
    open_count: ClassVar[int] = 0
    counted = False
    closing = False
    relay: relay.Relay | None = None
    subscription: Subscription | None = None
    pump_task: asyncio.Task | None = None
    replay_task: asyncio.Task | None = None

    async def connect(self) -> None:
        if OrdersConsumer.open_count >= settings.RELAY_MAX_SOCKETS:
            await self.accept()
            await self.send_json(
                error_frame(
                    f"this process serves {settings.RELAY_MAX_SOCKETS} websockets already; try again later",
                    code=CLOSE_TOO_MANY_SOCKETS,
                )
            )
            self.closing = True
            return await self.close(code=CLOSE_TOO_MANY_SOCKETS)
        OrdersConsumer.open_count += 1
        self.counted = True
        self.budget = settings.RELAY_SOCKET_BUDGET_BYTES
        self.relay = relay.ensure_started()
        # Half the budget for live frames held while a replay reads history, the rest for frames not yet read.
        self.stream = Stream(self.relay.topic, self.relay.state, max_buffered_bytes=self.budget // 2)
        # Client actions and the pump take turns: a pause or a replay never lands inside a batch of live frames.
        self.turn = asyncio.Lock()
        self.subscription = self.relay.broadcast.subscribe()
        await self.accept()
        await self._send_all(self.stream.opened())
        self.pump_task = asyncio.create_task(self._pump())

    async def disconnect(self, code: int) -> None:
        if self.counted:
            self.counted = False
            OrdersConsumer.open_count -= 1
        for task in (self.pump_task, self.replay_task):
            if task is not None:
                task.cancel()
        if self.subscription is not None:
            self.subscription.close()

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        async with self.turn:
            await self._receive(text_data)

    async def _receive(self, text_data: str | None) -> None:
        if self.closing:
            return None
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
            await self._check_start(start)
        except replay.StartRefused as exc:
            return await self._error(str(exc), action="replay", valid=exc.valid)
        except ValueError as exc:
            return await self._error(str(exc), action="replay")
        self.stream.start_replay()
        self._launch(start)

    async def _check_start(self, start: replay.ReplayFrom) -> None:
        """Refuse offsets the topic cannot serve (StartRefused) before the stream changes at all.

        The relay's view (its partitions, its positions and last known ends) settles almost every start; an offset
        past it is checked against the ends Kafka reports now, as it may just have been written. When Kafka cannot
        say (down, slow), the start is taken, and such a partition starts at its end (ReplayFrom.clamped).
        """
        reader = self.relay.state()
        if start.kind != "offsets" or not reader.partitions:
            return
        replay.check_partitions(start, reader.partitions)
        known = {p: max(reader.end_offsets.get(p, 0), reader.positions.get(p, 0)) for p in reader.partitions}
        if all(offset <= known[p] for p, offset in start.offsets.items()):
            return
        try:
            first, end = await asyncio.wait_for(
                asyncio.to_thread(replay.log_bounds, self.relay.topic, self.relay.bootstrap), START_CHECK_SECONDS
            )
        except (KafkaError, TimeoutError):
            return
        replay.check_offsets(start, first, end)

    async def _on_pause(self, message: dict[str, Any]) -> None:
        await self._send_all(self.stream.pause())

    async def _on_resume(self, message: dict[str, Any]) -> None:
        await self._send_all(self.stream.resume())

    def _launch(self, start: replay.ReplayFrom) -> None:
        """Run this socket's one replay task from `start`, ending any earlier one (it finishes first)."""
        previous = self.replay_task
        if previous is not None:
            previous.cancel()
        if not self.closing:
            self.replay_task = asyncio.create_task(self._replay(start, previous))

    async def _replay(self, start: replay.ReplayFrom, previous: asyncio.Task | None = None) -> None:
        """Rounds of cut, history, buffer until one ends with nothing lost, then live; Kafka errors retry."""
        if previous is not None:
            # One replay per socket at a time: the one replaced closes its reader and frees its slot first.
            await asyncio.wait({previous})
        try:
            while not await self._round(start) and not self.closing:
                # Go on from the last record sent (once history has begun), reading from Kafka again.
                if (offsets := self.stream.round_restart()) is not None:
                    start = replay.ReplayFrom("offsets", offsets=offsets)
        except Exception as exc:
            if not isinstance(exc, ValueError):
                logger.exception("replay failed")
            await self._send_all(self.stream.replay_failed(str(exc)))

    async def _round(self, start: replay.ReplayFrom) -> bool:
        """One round; True once the stream is live, False when another round must follow (a frame was lost)."""
        cut = await self._take_cut()
        replay.check_partitions(start, tuple(cut))
        try:
            await self._send_history(start, cut)
            if self.closing:
                return True
        except (KafkaError, TimeoutError) as exc:
            error = (
                clients.error_text(exc)
                if isinstance(exc, KafkaError)
                else f"the replay did not finish within {REPLAY_SLOT_SECONDS:.0f} s"
            )
            await self._send_all([self.stream.unavailable(f"replay: {error}")])
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
            # Only a replay that reads history takes a slot ("latest" needs none), and gives it back when the
            # round ends: done, failed, cancelled (replaced, socket gone) or over REPLAY_SLOT_SECONDS.
            async with self.relay.replay_slots, asyncio.timeout(REPLAY_SLOT_SECONDS):
                reader = replay.HistoryReader(self.relay.topic, self.relay.bootstrap, cut, self.relay.ledger)
                try:
                    plan = await asyncio.to_thread(reader.open, start)
                    await self._send_all(self.stream.history_started(plan.start, skipped=plan.skipped))
                    while not self.closing and (packed := await asyncio.to_thread(reader.read_chunk)) is not None:
                        await self._send_all(coalesced([self.stream.history_record(record) for record in packed]))
                finally:
                    # Also on cancel: the lock in HistoryReader makes close() wait for a read still running.
                    await asyncio.to_thread(reader.close)
        self.stream.finish_history()

    async def _finish_round(self) -> bool:
        """Announce live, then drain the buffer one frame at a time (relay messages may still add to it meanwhile)."""
        await self._send_all(self.stream.finish_round())
        while (text := self.stream.next_buffered()) is not None:
            await self._send_text(text)
        return self.stream.go_live()

    async def _pump(self) -> None:
        """Send what the shared reader published since the last turn: records when live (held while a replay reads
        history), statuses; whatever piled up goes out coalesced."""
        try:
            while not self.closing:
                await self.subscription.wait()
                async with self.turn:
                    items: list[Outgoing] = []
                    for message in self.subscription.take():
                        if message["type"] == "relay.records":
                            items += self.stream.on_records(message["seq"], message["records"])
                        elif message["type"] == "relay.broker":
                            items += self.stream.on_broker(message["seq"], message["listening"], message["error"])
                        else:
                            items += self.stream.on_status(message["seq"], message["kafka"], message["error"])
                    await self._send_all(coalesced(items))
        except Exception:
            logger.exception("the live pump of a websocket failed; closing it")
            self.closing = True
            await self.close(code=CLOSE_SERVER_ERROR)

    async def _send_all(self, items: list[Outgoing]) -> None:
        """Send the stream's frames in order; a Restart starts a new replay from the offsets it carries."""
        for item in items:
            if isinstance(item, Restart):
                self._launch(replay.ReplayFrom("offsets", offsets=item.offsets))
            elif isinstance(item, str):
                await self._send_text(item)
            else:
                await self._send_text(await self.encode_json(item))

    async def _send_text(self, text: str) -> None:
        """Send one frame within this socket's byte budget; past it, close the socket with CLOSE_TOO_SLOW."""
        if self.closing:
            return
        backlog = transport_backlog(self.base_send)
        if backlog is not None and backlog + self.stream.buffered_bytes + frame_bytes(text) > self.budget:
            return await self._close_too_slow(backlog)
        await self.send(text_data=text)

    async def _close_too_slow(self, backlog: int) -> None:
        logger.warning("closing a websocket %d bytes behind (budget %d)", backlog, self.budget)
        self.closing = True
        if self.replay_task is not None and self.replay_task is not asyncio.current_task():
            self.replay_task.cancel()
        self.stream.drop_held()
        await self.close(code=CLOSE_TOO_SLOW)

    async def _error(self, message: str, **detail: Any) -> None:
        await self.send_json(error_frame(message, **detail))
