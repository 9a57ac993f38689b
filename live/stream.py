"""One websocket's stream of the orders topic as a plain state machine: events in, frames out.

The protocol is in live.consumers.

No asyncio, websocket or Kafka here: ``OrdersConsumer`` drives the Kafka side (the shared relay, the history reader,
retries, tasks) and sends what the methods of ``Stream`` return, in order. Each item of that list is one of:

- a ``dict``: a JSON status or error frame (``send_json``);
- a ``str``: a record frame, already encoded as JSON text by the relay (``send(text_data=...)``);
- a ``Restart``: live frames were lost, so a new replay from ``offsets`` must read them from Kafka.

Exactly once: ``next_offsets`` holds, per partition, the offset after the last record sent; a record below it is
never sent again. A replay round takes the relay's positions as the cut, buffers live frames at or past it while the
history below it is sent, then announces ``live`` and drains the buffer. A lost live frame (a relay ``seq`` jump, or
the buffer over MAX_BUFFERED_FRAMES or its byte bound) while replaying makes the round not caught up,
so another round follows from ``next_offsets``.
"""

from __future__ import annotations

import functools
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

CONNECTED, REPLAYING, LIVE, PAUSED = "connected", "replaying", "live", "paused"
# Live frames held per socket while its replay reads history; past either bound the replay catches up from Kafka
# instead. The consumer passes half its socket budget (settings.RELAY_SOCKET_BUDGET_BYTES) as the byte bound.
MAX_BUFFERED_FRAMES = 10_000
MAX_BUFFERED_BYTES = 4 * 1024 * 1024

# A record as the relay packs it once for every socket (live.relay.pack): (partition, offset, frame as JSON text).
PackedRecord = tuple[int, int, str]
# A "records" frame (several record frames coalesced) carries at most this many bytes of them; more make more frames.
COALESCE_MAX_BYTES = 64 * 1024


@dataclass(frozen=True)
class Restart:
    """Some live frames will never reach this stream: replay from these offsets (the last records sent)."""

    offsets: dict[int, int]


Outgoing = dict[str, Any] | str | Restart


class ReaderView(Protocol):
    """What a stream reads of the shared relay reader's state (live.relay.ReaderState)."""

    kafka: str
    error: str
    partitions: tuple[int, ...]
    positions: dict[int, int]
    end_offsets: dict[int, int]
    listening: bool | None
    listening_error: str


def frame_bytes(text: str) -> int:
    """The UTF-8 size of a frame's JSON text (what it costs queued to a socket)."""
    return len(text) if text.isascii() else len(text.encode())


def coalesced(items: list[Outgoing], max_bytes: int = COALESCE_MAX_BYTES) -> list[Outgoing]:
    """The same items with each run of record frames sent as few frames as `max_bytes` allows: one record stays a
    ``record`` frame, several become one ``{"type": "records", "records": [<record frame>, ...]}`` frame."""
    out: list[Outgoing] = []
    run: list[str] = []
    size = 0
    for item in items:
        if isinstance(item, str) and (not run or size + frame_bytes(item) <= max_bytes):
            run.append(item)
            size += frame_bytes(item)
            continue
        if run:
            out.append(_records_frame(tuple(run)))
            run, size = [], 0
        if isinstance(item, str):
            run, size = [item], frame_bytes(item)
        else:
            out.append(item)
    if run:
        out.append(_records_frame(tuple(run)))
    return out


@functools.lru_cache(maxsize=16)
def _records_frame(texts: tuple[str, ...]) -> str:
    """Built once for every socket that sends the same records at once (the texts are the relay's own objects)."""
    return texts[0] if len(texts) == 1 else '{"type":"records","records":[' + ",".join(texts) + "]}"


def keyed(offsets: dict[int, int]) -> dict[str, int]:
    """Offsets as a JSON object: partition numbers as keys, in order."""
    return {str(partition): offset for partition, offset in sorted(offsets.items())}


def error_frame(message: str, **detail: Any) -> dict[str, Any]:
    """A bad client message or a failed replay: the socket stays open."""
    return {"type": "error", "message": message, **detail}


class Stream:
    """One socket's replay/live state: which records it sent, and what it holds back while a replay reads history."""

    def __init__(
        self, topic: str, reader: Callable[[], ReaderView], max_buffered_bytes: int = MAX_BUFFERED_BYTES
    ) -> None:
        self.topic, self.reader, self.max_buffered_bytes = topic, reader, max_buffered_bytes
        self.state = CONNECTED
        # Per partition, the offset after the last record this stream sent: where it goes on from.
        self.next_offsets: dict[int, int] = {}
        # While replaying: the relay's positions when the round began (None until then).
        self.cut: dict[int, int] | None = None
        self.buffer: deque[PackedRecord] = deque()
        self.buffered_bytes = 0  # UTF-8 bytes of the frames in `buffer`
        self.caught_up = True
        self.last_seq: int | None = None

    # Frames

    def status(self, state: str, **detail: Any) -> dict[str, Any]:
        """A status frame; ``kafka`` is the shared reader's view at the time the frame is made."""
        return {"type": "status", "state": state, "topic": self.topic, "kafka": self.reader().kafka, **detail}

    def unavailable(self, error: str) -> dict[str, Any]:
        """The ``kafka_unavailable`` status: the shared reader or a replay lost the broker."""
        return self.status("kafka_unavailable", kafka="unavailable", error=error)

    def connected_frame(self) -> dict[str, Any]:
        """The ``connected`` status: where "latest" would start, and how far the topic goes."""
        reader = self.reader()
        return self.status(
            CONNECTED,
            partitions=list(reader.partitions),
            positions=keyed(reader.positions),
            end_offsets=keyed(reader.end_offsets),
        )

    def broker_frame(self, listening: bool, error: str) -> dict[str, Any]:
        """The ``broker`` frame: whether the broker's port accepts connections (the relay's broker watch)."""
        return {"type": "broker", "listening": listening, **({"error": error} if error else {})}

    def opened(self) -> list[Outgoing]:
        """The frames a new socket gets: connected, and the outage if the reader or the broker watch is in one."""
        frames: list[Outgoing] = [self.connected_frame()]
        reader = self.reader()
        if reader.kafka == "unavailable":
            frames.append(self.unavailable(reader.error))
        if reader.listening is False:
            frames.append(self.broker_frame(False, reader.listening_error))
        return frames

    # Client actions

    def start_replay(self) -> None:
        """A new replay (asked for, resumed or restarted) begins: nothing sent counts until its history starts."""
        self.state, self.cut, self.next_offsets = REPLAYING, None, {}
        self._clear_buffer()

    def pause(self) -> list[Outgoing]:
        """Stop sending live records; the stream keeps its offsets to resume from."""
        if self.state != LIVE:
            return [error_frame("only a live stream can be paused", action="pause")]
        self.state = PAUSED
        return [self.status(PAUSED, positions=keyed(self.next_offsets))]

    def resume(self) -> list[Outgoing]:
        """Go on from where the stream paused: what arrived meanwhile comes from Kafka."""
        if self.state != PAUSED:
            return [error_frame("the stream is not paused", action="resume")]
        return self._restart()

    # Relay messages

    def on_records(self, seq: int, records: Iterable[PackedRecord]) -> list[Outgoing]:
        """A batch from the shared reader: sent when live, held while a replay reads history, else dropped."""
        out = self._follow_seq(seq)
        for record in records:
            if self.state == LIVE:
                out.extend(self._if_new(record))
            elif self._buffers(record):
                self._hold(record)
        return out

    def on_status(self, seq: int, kafka: str, error: str) -> list[Outgoing]:
        """The shared reader lost or found the broker: tell the client where its stream stands."""
        out = self._follow_seq(seq)
        if kafka == "unavailable":
            out.append(self.unavailable(error))
        elif self.state == CONNECTED:
            out.append(self.connected_frame())
        elif self.state in (LIVE, PAUSED):
            out.append(self.status(self.state, positions=keyed(self.next_offsets)))
        return out

    def on_broker(self, seq: int, listening: bool, error: str) -> list[Outgoing]:
        """The broker watch found the broker's port closed or open again: the client hears it in any state."""
        return [*self._follow_seq(seq), self.broker_frame(listening, error)]

    # Replay rounds (driven by the consumer's replay task)

    def begin_round(self, positions: dict[int, int]) -> dict[int, int]:
        """Take the relay's positions as the cut: live frames at or past it are buffered from now on."""
        self.cut = dict(positions)
        self._clear_buffer()
        self.caught_up = True
        return self.cut

    def history_started(self, start: dict[int, int], skipped: dict[int, int]) -> list[Outgoing]:
        """The history [start, cut) follows (minus `skipped` old records): announce it."""
        self.next_offsets = dict(start)
        return [self.status(REPLAYING, **{"from": keyed(start)}, until=keyed(self._cut()), skipped=keyed(skipped))]

    def history_record(self, record: PackedRecord) -> str:
        """One record of the history, in offset order per partition: it is sent."""
        return self._sent(record)

    def finish_history(self) -> None:
        """Offsets below the cut that no record had (compaction, transaction markers) are passed, not awaited."""
        cut = self._cut()
        self.next_offsets = {p: max(self.next_offsets.get(p, 0), cut[p]) for p in cut}

    def finish_round(self) -> list[Outgoing]:
        """History is sent: announce ``live`` at next_offsets, unless a frame was lost (then another round follows)."""
        return [self.status(LIVE, positions=keyed(self.next_offsets))] if self.caught_up else []

    def next_buffered(self) -> str | None:
        """The next held live frame not sent yet, or None: one at a time, as frames may still arrive meanwhile."""
        while self.caught_up and self.buffer:
            record = self.buffer.popleft()
            self.buffered_bytes -= frame_bytes(record[2])
            if self._is_new(record):
                return self._sent(record)
        return None

    def go_live(self) -> bool:
        """The buffer is drained: live now, or False when a frame was lost meanwhile and another round is needed."""
        if self.caught_up:
            self.state, self.cut = LIVE, None
        return self.caught_up

    def round_restart(self) -> dict[int, int] | None:
        """Where the next round reads from: the last records sent, or None to start over (history not begun)."""
        return dict(self.next_offsets) if self.next_offsets else None

    def drop_held(self) -> None:
        """The socket is closing: let go of the live frames held, and hold no more."""
        self._clear_buffer()
        self.caught_up = False

    def replay_failed(self, reason: str) -> list[Outgoing]:
        """A replay that cannot go on leaves the stream stopped; the socket stays open."""
        self.state, self.cut = CONNECTED, None
        self._clear_buffer()
        return [error_frame(f"replay failed: {reason}", action="replay")]

    # Internals

    def _follow_seq(self, seq: int) -> list[Outgoing]:
        """A jump in the relay's seq means the broadcast log dropped a message before this socket took it."""
        lost = self.last_seq is not None and seq != self.last_seq + 1
        self.last_seq = seq
        return self._lose_frames() if lost else []

    def _lose_frames(self) -> list[Outgoing]:
        """Some live frames will never reach this stream: get them from Kafka instead."""
        if self.state == LIVE:
            return self._restart()
        if self.state == REPLAYING:
            self.caught_up = False
            self._clear_buffer()
        return []

    def _restart(self) -> list[Outgoing]:
        """Start a new replay from the last records sent."""
        offsets = dict(self.next_offsets)
        self.start_replay()
        return [Restart(offsets)]

    def _buffers(self, record: PackedRecord) -> bool:
        """While a caught-up round replays, live frames at or past its cut are held for after the history."""
        partition, offset, _ = record
        return (
            self.state == REPLAYING and self.cut is not None and self.caught_up and offset >= self.cut.get(partition, 0)
        )

    def _hold(self, record: PackedRecord) -> None:
        """Buffer a live frame; a full buffer loses it, and the round catches up from Kafka instead."""
        size = frame_bytes(record[2])
        if len(self.buffer) < MAX_BUFFERED_FRAMES and self.buffered_bytes + size <= self.max_buffered_bytes:
            self.buffer.append(record)
            self.buffered_bytes += size
        else:
            self._lose_frames()

    def _clear_buffer(self) -> None:
        self.buffer.clear()
        self.buffered_bytes = 0

    def _is_new(self, record: PackedRecord) -> bool:
        """Not sent yet: at or past the offset after the last record sent on its partition."""
        partition, offset, _ = record
        return offset >= self.next_offsets.get(partition, 0)

    def _if_new(self, record: PackedRecord) -> list[Outgoing]:
        """A live record, sent unless this stream already sent its offset."""
        return [self._sent(record)] if self._is_new(record) else []

    def _sent(self, record: PackedRecord) -> str:
        """The record's text, to be sent now: the stream goes on after its offset."""
        partition, offset, text = record
        self.next_offsets[partition] = offset + 1
        return text

    def _cut(self) -> dict[int, int]:
        if self.cut is None:
            raise RuntimeError("no replay round is under way")
        return self.cut
