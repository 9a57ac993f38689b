"""A nudge from the process that committed an event to the outbox publisher, so it need not wait for its poll.

One UDP datagram to OUTBOX_WAKEUP_ADDR, a loopback address; losing it costs nothing but the poll interval, so a
send never blocks, never fails a request, and needs no reply.

Any local process can send datagrams there. A nudge whose look at the outbox found work holds nothing back, so
orders are published as soon as before at any rate; but after a nudge that found nothing (a stray one, or a
flood), the next is acted on no sooner than MIN_SECONDS_BETWEEN_IDLE_WAKEUPS later, and every nudge meanwhile
collapses into that one look. A flood then costs the publisher one batch query per window, not one per datagram.
"""

from __future__ import annotations

import ipaddress
import math
import select
import socket
import threading
import time
from collections.abc import Callable

from django.conf import settings

MIN_SECONDS_BETWEEN_IDLE_WAKEUPS = 0.1
# A nudge carries no data and one pending nudge stands for any number: the kernel keeps a few and drops the rest.
RECEIVE_BUFFER_BYTES = 4096
MAX_READS_PER_DRAIN = 64


def loopback_address(text: str) -> tuple[str, int]:
    """`host:port` as a socket address; ValueError unless the host is an IPv4 loopback address (or localhost)."""
    host, port = text.rsplit(":", 1)
    if host == "localhost":
        host = "127.0.0.1"
    try:
        loopback = ipaddress.IPv4Address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"the outbox wake-up address must be an IPv4 loopback address, not {host!r}")
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
                self._socket.sendto(b"!", loopback_address(address))
            except (OSError, ValueError):
                pass  # nobody listening, a full buffer or an unusable address: the publisher's poll covers it


_sender = _Sender()


def nudge_publisher() -> None:
    """Tell a waiting publisher that events were committed (a no-op when OUTBOX_WAKEUP_ADDR is empty)."""
    if settings.OUTBOX_WAKEUP_ADDR:
        _sender.send(settings.OUTBOX_WAKEUP_ADDR)


class WakeupWindow:
    """When a nudge may be acted on: at once, unless a nudge found nothing less than `interval` seconds ago."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic):
        self.interval, self.clock = interval, clock
        self.idle_at = -math.inf

    def hold(self) -> float:
        """Seconds until a nudge may be acted on (0: now)."""
        return max(0.0, self.idle_at + self.interval - self.clock())

    def found_nothing(self) -> None:
        """The look a nudge started found no work: hold the next nudges back for a window."""
        self.idle_at = self.clock()


class WakeupListener:
    """The publisher's end, on a loopback address: wait up to a timeout, returning early when a nudge arrives.

    The publisher tells it when each look at the outbox starts (`looking`) and what it found (`looked`).
    """

    def __init__(self, address: str, *, min_interval: float = MIN_SECONDS_BETWEEN_IDLE_WAKEUPS):
        host_port = loopback_address(address)
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER_BYTES)
            self.socket.bind(host_port)
        except OSError:
            self.socket.close()
            raise
        self.socket.setblocking(False)
        self.window = WakeupWindow(min_interval)
        self.woken = False
        self._interrupted = threading.Event()

    def wait(self, timeout: float) -> bool:
        """Return True when a nudge ended the wait, False when the timeout did (or `interrupt`)."""
        deadline = time.monotonic() + timeout
        hold = self.window.hold()
        # Inside the window the socket is not even looked at: nudges wait in its small buffer until it ends.
        if hold and (self._interrupted.wait(min(hold, timeout)) or hold >= timeout):
            self.woken = False
            return False
        readable, _, _ = select.select([self.socket], [], [], max(deadline - time.monotonic(), 0))
        self.woken = bool(readable)
        self._drain()
        return self.woken

    def looking(self) -> None:
        """A look at the outbox starts: it serves every nudge sent so far, so none of them wakes the next wait."""
        self._drain()

    def _drain(self) -> None:
        for _ in range(MAX_READS_PER_DRAIN):
            try:
                self.socket.recv(1)
            except BlockingIOError:
                return

    def looked(self, *, found_work: bool) -> None:
        """A look ended: when a nudge started it and it found nothing, the next nudges wait for the window."""
        if self.woken and not found_work:
            self.window.found_nothing()
        self.woken = False

    def interrupt(self) -> None:
        """End a wait now (the publisher is stopping)."""
        self._interrupted.set()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"!", self.socket.getsockname())

    def close(self) -> None:
        self.socket.close()
