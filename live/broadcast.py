"""In-process fan-out of the shared reader's messages: one bounded log per process, a cursor per socket.

The relay publishes each message (a batch of packed records, or a status) once; every socket's pump takes the
messages past its own cursor. No copy and no message per socket: through a Channels group, each message cost a deep
copy, a queue hop and a database-connection check per socket.

The log numbers messages with a consecutive ``seq``. Bounded whatever the sockets do: it keeps only what some socket
has not taken yet, and at most MAX_LOG_BYTES of record text and MAX_LOG_MESSAGES messages. A socket whose cursor
falls off the start sees a ``seq`` jump and catches up from Kafka (live.stream); one far behind is also closed by its
byte budget (live.consumers).
"""

from __future__ import annotations

import asyncio
from typing import Any

from live.stream import frame_bytes

MAX_LOG_BYTES = 8 * 1024 * 1024
MAX_LOG_MESSAGES = 10_000
# What a message costs in the log besides its record text (a status, an empty batch).
MESSAGE_OVERHEAD_BYTES = 200


def message_bytes(message: dict[str, Any]) -> int:
    """The UTF-8 bytes of a message's record frames, plus a fixed overhead: what the byte bound counts."""
    return MESSAGE_OVERHEAD_BYTES + sum(frame_bytes(text) for _, _, text in message.get("records", ()))


class Subscription:
    """One socket's place in the log: ``wait`` until there is something new, then ``take`` it."""

    def __init__(self, broadcast: Broadcast) -> None:
        self.broadcast, self.cursor = broadcast, broadcast.next_seq
        self.ready = asyncio.Event()

    async def wait(self) -> None:
        await self.ready.wait()
        self.ready.clear()

    def take(self) -> list[dict[str, Any]]:
        """The messages published since the last take, oldest first (from the log's start if it dropped some)."""
        messages = self.broadcast.since(self.cursor)
        self.cursor = self.broadcast.next_seq
        return messages

    def close(self) -> None:
        self.broadcast.subscribers.discard(self)


class Broadcast:
    """The log of one relay's messages; lives on (and is only touched from) the event loop serving the sockets."""

    def __init__(self, max_bytes: int = MAX_LOG_BYTES, max_messages: int = MAX_LOG_MESSAGES) -> None:
        self.max_bytes, self.max_messages = max_bytes, max_messages
        # log[head:] holds the messages of seq first_seq .. next_seq - 1; the taken prefix is dropped in bulk.
        self.log: list[tuple[dict[str, Any], int]] = []
        self.head = 0
        self.first_seq = self.next_seq = 1
        self.log_bytes = 0
        self.subscribers: set[Subscription] = set()

    def subscribe(self) -> Subscription:
        """A subscription that gets every message published from now on."""
        subscription = Subscription(self)
        self.subscribers.add(subscription)
        return subscription

    def publish(self, message: dict[str, Any]) -> None:
        """Number the message with the next ``seq``, append it, and wake every socket."""
        message["seq"] = self.next_seq
        self.next_seq += 1
        size = message_bytes(message)
        self.log.append((message, size))
        self.log_bytes += size
        self._trim()
        for subscription in self.subscribers:
            subscription.ready.set()

    def since(self, cursor: int) -> list[dict[str, Any]]:
        """The messages from seq `cursor` on (from the oldest kept, if it is past `cursor`)."""
        start = self.head + max(0, cursor - self.first_seq)
        return [message for message, _ in self.log[start:]]

    def _trim(self) -> None:
        """Forget what every socket took, then the oldest messages past the bounds (their readers lose them)."""
        wanted = min((subscription.cursor for subscription in self.subscribers), default=self.next_seq)
        while self.head < len(self.log) and (
            self.first_seq < wanted or len(self.log) - self.head > self.max_messages or self.log_bytes > self.max_bytes
        ):
            self.log_bytes -= self.log[self.head][1]
            self.head += 1
            self.first_seq += 1
        if self.head > len(self.log) // 2:
            del self.log[: self.head]
            self.head = 0
