"""Build the gRPC server: the order service, reflection, health, message limits and a graceful stop."""

from __future__ import annotations

import threading
from concurrent import futures
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from grpc_bridge.servicer import OrderServicer

SERVICE_NAME = orders_pb2.DESCRIPTOR.services_by_name["OrderService"].full_name
DEFAULT_MAX_MESSAGE_BYTES = 4 * 1024 * 1024


class PortInUse(RuntimeError):
    """The address is taken (or not ours to bind)."""


@dataclass
class RunningServer:
    server: grpc.Server
    health: health.HealthServicer
    port: int

    def stop(self, grace: float) -> threading.Event:
        """Report NOT_SERVING, refuse new calls, and give in-flight calls `grace` seconds to finish."""
        self.health.enter_graceful_shutdown()
        return self.server.stop(grace)


def build_server(
    address: str, *, max_workers: int = 10, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
) -> RunningServer:
    """Bind `address` and start serving; raise PortInUse when it cannot be bound."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="grpc-rpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.max_send_message_length", max_message_bytes),
            # gRPC sets SO_REUSEPORT by default, which lets a second server share a busy port silently.
            ("grpc.so_reuseport", 0),
        ],
    )
    # Half the pool may stream Watch; the other half always serves the unary calls.
    orders_pb2_grpc.add_OrderServiceServicer_to_server(OrderServicer(max_watches=max(1, max_workers // 2)), server)
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
    return RunningServer(server=server, health=health_servicer, port=port)
