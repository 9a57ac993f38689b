"""Build the gRPC server: the order service, reflection, health, message and stream limits and a graceful stop."""

from __future__ import annotations

import gc
import math
import threading
from concurrent import futures
from dataclasses import dataclass

import grpc
from django.conf import settings
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from grpc_bridge.servicer import OrderServicer
from grpc_bridge.stream_limits import StreamLimits, max_streams_for, max_waiting_for

SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_WORKERS = 10
# Connection limits (milliseconds). A Watch can be silent for hours, so only pings tell a dead client from a quiet one.
KEEPALIVE_TIME_MS = 60_000
KEEPALIVE_TIMEOUT_MS = 20_000
PING_TIMEOUT_MS = 20_000
MAX_CONNECTION_IDLE_MS = 5 * 60_000
MAX_CONNECTION_AGE_MS = 30 * 60_000
INT32_MAX = 2**31 - 1  # channel arguments are C ints
# Container objects allocated (net) before the youngest generation is collected; Python's default is 700.
YOUNG_GC_THRESHOLD = 5000


class PortInUse(RuntimeError):
    """The address is taken (or not ours to bind)."""


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    streams: StreamLimits
    port: int

    def stop(self, grace: float) -> threading.Event:
        """Refuse new calls, then report NOT_SERVING; in-flight calls get `grace` seconds to finish.

        In this order a client that sees NOT_SERVING (on a health Watch, which is in flight) can rely on new calls
        being refused: the other way round, a call arriving between the two steps was still accepted and served.
        """
        stopped = self.server.stop(grace)
        self.health.enter_graceful_shutdown()
        return stopped


def server_options(*, max_message_bytes: int, max_stream_seconds: float) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        # gRPC sets SO_REUSEPORT by default, which lets a second server share a busy port silently.
        ("grpc.so_reuseport", 0),
        # Ping a connection after a minute without traffic: an idle Watch to a client whose host vanished (no FIN,
        # no RST) is otherwise noticed only at the stream's lifetime (stream_limits.py).
        ("grpc.keepalive_time_ms", KEEPALIVE_TIME_MS),
        # A ping unanswered this long means the client is gone: the connection closes and its calls are cancelled.
        ("grpc.keepalive_timeout_ms", KEEPALIVE_TIMEOUT_MS),
        # ... but gRPC core 1.85 does not enforce keepalive_timeout: an unanswered ping is judged by this one
        # (default 60 s; grpc/grpc#39239). Set to the same so a frozen client is let go after 60 + 20 s.
        ("grpc.http2.ping_timeout_ms", PING_TIMEOUT_MS),
        # By default the server stops pinging after 2 pings with no data sent; a quiet Watch sends none, so keep
        # pinging (0 = no limit) or a dead client on a quiet stream goes undetected after two minutes.
        ("grpc.http2.max_pings_without_data", 0),
        # A connection with no call at all for 5 minutes is closed (GOAWAY): idle clients hold no server memory.
        # Calls in flight, a Watch included, keep a connection from being idle.
        ("grpc.max_connection_idle_ms", MAX_CONNECTION_IDLE_MS),
        # After 30 minutes a connection is asked to go away (GOAWAY); clients reconnect for new calls on their own.
        ("grpc.max_connection_age_ms", MAX_CONNECTION_AGE_MS),
        # Calls still open after GOAWAY get this long, then the connection is closed and they are cancelled. It
        # is a stream's whole lifetime plus a margin, so a Watch started just before the GOAWAY still ends by
        # itself (OK) instead of being cut.
        ("grpc.max_connection_age_grace_ms", min(int(max_stream_seconds * 1000) + 30_000, INT32_MAX)),
    ]


def settle_gc() -> None:
    """Freeze what the process has built before serving, and collect young objects less often.

    Before serving, rungrpc holds ~150,000 objects (Django, the protobuf descriptors, gRPC, the tracing SDK) that
    live as long as it does. Each full collection walked all of them: 70-230 ms with the GIL held. With tracing on,
    each call's span and its parts (~11 container objects) wait in the batch processor's queue until the next
    export, a second later, so they outlive the young collections and are promoted to the old generation, which
    calls for a full collection about four times as often: one every ~2,000 Creates, 40-70 us of CPU per Create
    (gc.callbacks, 8 Creates at a time). Frozen, the startup objects are never walked again: a full collection
    costs ~2 ms. And the youngest generation, collected every 700 net allocations by default, was collected about
    every 15 Creates with tracing on (~25 us per Create for it and the middle one); at 5,000 it is ~4 us.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *gc.get_threshold()[1:])


def build_server(
    address: str,
    *,
    max_workers: int = DEFAULT_MAX_WORKERS,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    max_stream_seconds: float | None = None,
    stream_idle_seconds: float | None = None,
    request_wait_seconds: float | None = None,
) -> RunningServer:
    """Bind `address` and start serving; raise PortInUse when it cannot be bound.

    The bounds default to GRPC_STREAM_MAX_SECONDS, GRPC_STREAM_IDLE_SECONDS and GRPC_REQUEST_WAIT_SECONDS
    (settings)."""
    max_stream_seconds = settings.GRPC_STREAM_MAX_SECONDS if max_stream_seconds is None else max_stream_seconds
    stream_idle_seconds = settings.GRPC_STREAM_IDLE_SECONDS if stream_idle_seconds is None else stream_idle_seconds
    request_wait_seconds = settings.GRPC_REQUEST_WAIT_SECONDS if request_wait_seconds is None else request_wait_seconds
    if max_workers < 2:
        raise ValueError("max_workers must be at least 2: one for streams, one for the other calls")
    for name, seconds in (
        ("max_stream_seconds", max_stream_seconds),
        ("stream_idle_seconds", stream_idle_seconds),
        ("request_wait_seconds", request_wait_seconds),
    ):
        if not (math.isfinite(seconds) and seconds > 0):
            raise ValueError(f"{name} must be a number of seconds more than 0")
    # Each call holds a pool thread: streams and calls waiting for their request are capped, so that Create, Get
    # and the rest always find one free.
    streams = StreamLimits(
        max_streams=max_streams_for(max_workers),
        max_waiting=max_waiting_for(max_workers),
        idle_seconds=stream_idle_seconds,
        max_seconds=max_stream_seconds,
        request_wait_seconds=request_wait_seconds,
    )
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc-rpc"),
        interceptors=[streams],
        options=server_options(max_message_bytes=max_message_bytes, max_stream_seconds=max_stream_seconds),
    )
    orders_pb2_grpc.add_OrderServiceServicer_to_server(OrderServicer(max_watch_seconds=max_stream_seconds), server)
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    reflection.enable_server_reflection(
        [SERVICE_NAME, health_pb2.DESCRIPTOR.services_by_name["Health"].full_name, reflection.SERVICE_NAME],
        server,
    )
    try:
        port = server.add_insecure_port(address)
    except RuntimeError as exc:
        raise PortInUse(f"cannot listen on {address}: {exc}") from exc
    server.start()
    for name in ("", SERVICE_NAME):
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    return RunningServer(server=server, health=health_servicer, streams=streams, port=port)
