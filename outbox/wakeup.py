"""A nudge from the process that committed an event to the outbox publisher, so it need not wait for its poll.

One UDP datagram to OUTBOX_WAKEUP_ADDR on this host; losing it costs nothing but the poll interval, so a
send never blocks, never fails a request, and needs no reply.
"""

from __future__ import annotations

import select
import socket
import threading

from django.conf import settings


def _address(text: str) -> tuple[str, int]:
    host, port = text.rsplit(":", 1)
    return host, int(port)


class _Sender:
    """This process's one nudging socket, made on the first nudge (no socket at import time) and then reused."""

    def __init__(self) -> None:
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def send(self, address: str) -> None:
        with self._lock:
            if self._socket is None:
                self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self._socket.setblocking(False)
            try:
                self._socket.sendto(b"!", _address(address))
            except (OSError, ValueError):
                pass  # nobody listening, a full buffer or a malformed address: the publisher's poll covers it


_sender = _Sender()


def nudge_publisher() -> None:
    """Tell a waiting publisher that events were committed (a no-op when OUTBOX_WAKEUP_ADDR is empty)."""
    if settings.OUTBOX_WAKEUP_ADDR:
        _sender.send(settings.OUTBOX_WAKEUP_ADDR)


class WakeupListener:
    """The publisher's end: wait up to a timeout, returning early when a nudge arrives."""

    def __init__(self, address: str):
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(_address(address))
        self.socket.setblocking(False)

    def wait(self, timeout: float) -> bool:
        """Return True when a nudge ended the wait, False when the timeout did."""
        readable, _, _ = select.select([self.socket], [], [], timeout)
        if readable:
            self._drain()
        return bool(readable)

    def _drain(self) -> None:
        """Many commits may have nudged while a batch was in flight; one look at the outbox serves them all."""
        while True:
            try:
                self.socket.recv(64)
            except BlockingIOError:
                return

    def interrupt(self) -> None:
        """End a wait now (the publisher is stopping)."""
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"!", self.socket.getsockname())

    def close(self) -> None:
        self.socket.close()
