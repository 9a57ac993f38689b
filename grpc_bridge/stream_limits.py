"""Every call rungrpc serves is bounded here, in one server interceptor, whatever its service: each stream, and each
call's wait for its request.

gRPC's sync server gives a call one thread of its pool for as long as the call runs, and a stream runs as long as
its client likes. Unbounded, ten idle streams of any kind (a reflection stream nobody speaks on again, a health
Watch, an order Watch) take every thread, and Create, Get and the page's calls wait out their deadlines. So:

- streams of every kind share `max_streams` slots, fewer than the pool's threads; one more is refused at once with
  RESOURCE_EXHAUSTED, and the other threads are always left to unary calls;
- a stream that waits on its client (for its next message, or for it to read what was sent) longer than
  `idle_seconds` is cancelled: a slow client and one holding a thread on purpose look the same from here;
- a stream still open `END_GRACE_SECONDS` after `max_seconds` is cancelled. Watch ends itself with OK at
  `max_seconds` (servicer.py); the grace lets it.

A slot is given back when its call ends, however it ends: the stream returns or fails, the client cancels, its
deadline passes, keepalive finds the client gone (server.py), or the watchdog here cancels it.

Every call with one request (Create, Get, health Check, Watch, health Watch...) is served as request-streaming, which
is invisible on the wire: gRPC would otherwise wait for that request on a pool thread before any code of ours runs,
unbounded, and clients that send headers but never the request would hold every thread. Here the wait is bounded:

- a call still waiting for its request after `request_wait_seconds` is cancelled;
- at most `max_waiting` calls may wait longer than `REQUEST_PROMPT_SECONDS` for theirs; the ones beyond are
  cancelled at the watchdog's next look. A call is not refused for that when it begins: its request may be on its
  way, and refusing newcomers while `max_waiting` calls stall would let that many clients deny every call;
- a call on a connection where another call is late with its request is refused at once (RESOURCE_EXHAUSTED):
  a flood of calls without requests over one connection, queued for threads, then costs a thread for an instant
  each instead of until the watchdog's look, and the calls queued behind them from other connections are served.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import grpc

logger = logging.getLogger(__name__)

# A stream still open this long after its lifetime is cancelled (Watch ends itself at the lifetime, with OK).
END_GRACE_SECONDS = 10.0
# A request that comes within this long is not counted against `max_waiting`: a client sends it with the call's
# headers, and the server has it within milliseconds even when busy.
REQUEST_PROMPT_SECONDS = 0.5
# The watchdog thread ends once it has had nothing to watch this long (it is not started again for every call).
WATCHDOG_LINGER_SECONDS = 5.0


def max_streams_for(max_workers: int) -> int:
    """Half the pool may stream; the other half (at least one thread) always serves the unary calls."""
    return max_workers // 2


def max_waiting_for(max_workers: int) -> int:
    """A quarter of the pool may wait for requests that are late: with the streams' half, a quarter is left."""
    return max_workers // 4


class StreamLimits(grpc.ServerInterceptor):
    def __init__(
        self,
        *,
        max_streams: int,
        max_waiting: int,
        idle_seconds: float,
        max_seconds: float,
        request_wait_seconds: float,
    ):
        self.max_streams = max_streams
        self.max_waiting = max_waiting
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        self.request_wait_seconds = request_wait_seconds
        # How often the watchdog looks: a call is ended at most this late.
        self.tick_seconds = min(REQUEST_PROMPT_SECONDS / 2, idle_seconds / 4, max_seconds / 4, request_wait_seconds / 4)
        self._lock = threading.Lock()
        self._open: set[_Stream] = set()
        self._waiting: set[_Waiting] = set()
        # The connections (peers) with a call late with its request, as the watchdog last saw them.
        self._late_peers: frozenset[str] = frozenset()
        self._watchdog: threading.Thread | None = None
        self._last_watched = 0.0

    def open_streams(self) -> int:
        with self._lock:
            return len(self._open)

    def waiting_for_requests(self) -> int:
        with self._lock:
            return len(self._waiting)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        method = handler_call_details.method
        if handler.unary_unary:
            build, behavior = grpc.stream_unary_rpc_method_handler, self._unary_unary(method, handler.unary_unary)
        elif handler.stream_unary:
            build, behavior = grpc.stream_unary_rpc_method_handler, self._stream_unary(method, handler.stream_unary)
        elif handler.stream_stream:
            build, behavior = grpc.stream_stream_rpc_method_handler, self._stream_stream(method, handler.stream_stream)
        else:
            build, behavior = grpc.stream_stream_rpc_method_handler, self._unary_stream(method, handler.unary_stream)
        return build(
            behavior,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    def _stream_stream(self, method, inner):
        def behavior(requests, context):
            stream = self._take(method, context)
            try:
                yield from stream.sending(inner(stream.receiving(requests), context))
            finally:
                stream.release()

        return behavior

    def _stream_unary(self, method, inner):
        def behavior(requests, context):
            stream = self._take(method, context)
            try:
                return inner(stream.receiving(requests), context)
            finally:
                stream.release()

        return behavior

    def _unary_stream(self, method, inner):
        def behavior(requests, context):
            stream = self._take(method, context)
            try:
                yield from stream.sending(inner(self._one_request(method, requests, context), context))
            finally:
                stream.release()

        return behavior

    def _unary_unary(self, method, inner):
        def behavior(requests, context):
            return inner(self._one_request(method, requests, context), context)

        return behavior

    def _one_request(self, method: str, requests: Iterator, context):
        """The call's one request, waited for within the bounds; the call cancelled (an RpcError here) past them.

        Nothing to give back if the call ends meanwhile: this thread is in `next`, which returns or raises then."""
        waiting = _Waiting(method, context)
        if waiting.peer in self._late_peers:
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"another call on this connection has waited more than {REQUEST_PROMPT_SECONDS:g} s for its request; "
                f"send each call's request with it",
            )
        with self._lock:
            self._waiting.add(waiting)
            self._watched(waiting.since)
        try:
            request = next(requests, None)
        finally:
            with self._lock:
                self._waiting.discard(waiting)
        if request is None:  # the client closed its side without a request; gRPC's own words for it
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f'"{method}" requires exactly one request message.')
        return request

    def _take(self, method: str, context) -> _Stream:
        """A slot for this call, or the call aborted (RESOURCE_EXHAUSTED when every slot is taken)."""
        stream = _Stream(self, method, context)
        with self._lock:
            full = len(self._open) >= self.max_streams
            if not full:
                self._open.add(stream)
                self._watched(stream.began)
        if full:
            context.abort(
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"at most {self.max_streams} streams at once (Watch, health Watch, reflection and any other stream "
                f"share them, so unary calls always find a thread); try again when one ends",
            )
        # The end callback matters when the call ends while a generator waits at a `yield`: gRPC then drops the
        # generator without resuming it, and its `finally` runs only when it is collected.
        if not context.add_callback(stream.release):
            stream.release()
            context.abort(grpc.StatusCode.CANCELLED, "the call ended before it began")
        return stream

    def release(self, stream: _Stream) -> None:
        with self._lock:
            self._open.discard(stream)

    def _watched(self, now: float) -> None:
        """A call is to be watched from `now`: the watchdog runs (with the lock held)."""
        self._last_watched = now
        if self._watchdog is None:
            self._watchdog = threading.Thread(target=self._watch, name="grpc-stream-watchdog", daemon=True)
            self._watchdog.start()

    def _watch(self) -> None:
        """Cancel overdue calls; one thread for all of them, while there are any (and a little after)."""
        while True:
            time.sleep(self.tick_seconds)
            now = time.monotonic()
            with self._lock:
                if self._open or self._waiting:
                    self._last_watched = now
                elif now - self._last_watched > WATCHDOG_LINGER_SECONDS:
                    self._watchdog = None
                    return
                overdue = [(stream, why) for stream in self._open if (why := stream.overdue(now))]
                overdue += self._overdue_waits(now)
            for call, why in overdue:
                logger.info("cancelled a %s call: %s", call.method, why)
                call.cancel()

    def _overdue_waits(self, now: float) -> list[tuple[_Waiting, str]]:
        """Calls past the request wait, then the late ones beyond the first `max_waiting` (with the lock held)."""
        late = sorted(
            (waiting for waiting in self._waiting if now - waiting.since > REQUEST_PROMPT_SECONDS),
            key=lambda waiting: waiting.since,
        )
        self._late_peers = frozenset(waiting.peer for waiting in late)
        late = [waiting for waiting in late if not waiting.cancelled]
        overdue = [
            (waiting, f"waited more than {self.request_wait_seconds:g} s for its request")
            for waiting in late
            if now - waiting.since > self.request_wait_seconds
        ]
        beyond = late[len(overdue) + self.max_waiting :]
        why = f"at most {self.max_waiting} calls may wait more than {REQUEST_PROMPT_SECONDS:g} s for their request"
        return overdue + [(waiting, why) for waiting in beyond]


class _Stream:
    """One open streaming call: when it began and whether (since when) it waits on its client."""

    def __init__(self, limits: StreamLimits, method: str, context):
        self._limits = limits
        self._context = context
        self.method = method
        self.began = time.monotonic()
        # (since, for what) while the call waits on its client, else None; one assignment, read by the watchdog.
        self.waiting: tuple[float, str] | None = None
        self.cancelled = False

    def receiving(self, requests) -> Iterator:
        while True:
            self.waiting = (time.monotonic(), "its next message")
            try:
                request = next(requests)
            except StopIteration:
                return
            finally:
                self.waiting = None
            yield request

    def sending(self, responses) -> Iterator:
        # gRPC resumes this generator once a message is sent: until then a client that does not read (flow
        # control) keeps the call waiting here.
        for response in responses:
            self.waiting = (time.monotonic(), "it to read")
            yield response
            self.waiting = None

    def overdue(self, now: float) -> str | None:
        if self.cancelled:
            return None
        limits = self._limits
        if (waiting := self.waiting) is not None and now - waiting[0] > limits.idle_seconds:
            return f"waited more than {limits.idle_seconds:g} s for {waiting[1]}"
        if now - self.began > limits.max_seconds + END_GRACE_SECONDS:
            return f"open more than {limits.max_seconds:g} s"
        return None

    def cancel(self) -> None:
        """From the watchdog's thread: context.cancel works from any thread, and wakes a call blocked on its client."""
        self.cancelled = True
        self._context.cancel()

    def release(self) -> None:
        self._limits.release(self)


class _Waiting:
    """A call waiting for its one request, since when, on which connection."""

    def __init__(self, method: str, context):
        self._context = context
        self.method = method
        self.peer = context.peer()
        self.since = time.monotonic()
        self.cancelled = False

    def cancel(self) -> None:
        """From the watchdog's thread: wakes the call's thread, blocked on the request, with an RpcError."""
        self.cancelled = True
        self._context.cancel()
