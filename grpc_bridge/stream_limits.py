"""Every streaming call rungrpc serves is bounded here, in one server interceptor, whatever its service.

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

Streams with one request (Watch, health Watch) are served as request-streaming: gRPC would otherwise wait for that
request on a pool thread before any code of ours runs, and a client that never sends it would hold the thread.
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


def max_streams_for(max_workers: int) -> int:
    """Half the pool may stream; the other half (at least one thread) always serves the unary calls."""
    return max_workers // 2


class StreamLimits(grpc.ServerInterceptor):
    def __init__(self, *, max_streams: int, idle_seconds: float, max_seconds: float):
        self.max_streams = max_streams
        self.idle_seconds = idle_seconds
        self.max_seconds = max_seconds
        # How often the watchdog looks: a stream is ended at most this late.
        self.tick_seconds = min(1.0, idle_seconds / 4, max_seconds / 4)
        self._lock = threading.Lock()
        self._open: set[_Stream] = set()
        self._watchdog: threading.Thread | None = None

    def open_streams(self) -> int:
        with self._lock:
            return len(self._open)

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or not (handler.request_streaming or handler.response_streaming):
            return handler
        method = handler_call_details.method
        if handler.stream_unary:
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
                request = next(stream.receiving(requests, "its request"), None)
                if request is None:  # the client closed its side without a request; gRPC's own words for it
                    context.abort(grpc.StatusCode.UNIMPLEMENTED, f'"{method}" requires exactly one request message.')
                yield from stream.sending(inner(request, context))
            finally:
                stream.release()

        return behavior

    def _take(self, method: str, context) -> _Stream:
        """A slot for this call, or the call aborted (RESOURCE_EXHAUSTED when every slot is taken)."""
        stream = _Stream(self, method, context)
        with self._lock:
            full = len(self._open) >= self.max_streams
            if not full:
                self._open.add(stream)
                if self._watchdog is None:
                    self._watchdog = threading.Thread(target=self._watch, name="grpc-stream-watchdog", daemon=True)
                    self._watchdog.start()
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

    def _watch(self) -> None:
        """Cancel overdue streams; runs while any stream is open (one thread for all of them)."""
        while True:
            time.sleep(self.tick_seconds)
            now = time.monotonic()
            with self._lock:
                if not self._open:
                    self._watchdog = None
                    return
                overdue = [(stream, why) for stream in self._open if (why := stream.overdue(now))]
            for stream, why in overdue:
                logger.info("cancelled a %s stream: %s", stream.method, why)
                stream.cancel()


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

    def receiving(self, requests, what: str = "its next message") -> Iterator:
        while True:
            self.waiting = (time.monotonic(), what)
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
