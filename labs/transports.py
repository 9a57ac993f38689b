"""REST against gRPC, measured like with like for lab 8: the same order body, the same number of calls, one call at a
time on one kept-alive connection each, over loopback, with the course's REST client (examples/client.py) and
the current contract's generated gRPC code (grpc_bridge/generated: the v1 clients' modules define the same messages,
and one process loads one version of them).

- Bytes: each client talks through a relay of its own on 127.0.0.1 that counts what passes each way. "Wire" bytes are
  what TCP carries: for REST the request line, headers and body (HTTP/1.1), for gRPC the HTTP/2 frames (HEADERS with
  HPACK-compressed headers, DATA with the 5-byte gRPC prefix and the protobuf, trailers, and the connection's own
  SETTINGS / WINDOW_UPDATE / PING frames as they fall). "Body" bytes are the JSON, or the protobuf message alone.
  The create is the first call on a new connection (the HTTP/2 preface and settings count there); a read is
  averaged over READS_WEIGHED calls on the warm connection.
- Latency: the same order read N times over each, straight to the servers (no relay), after WARMUP calls; p50 and
  p99 of the calls, and calls/s = N / the time the N calls took.
- CPU per call: this process's CPU time over the N calls (all its threads, gRPC's C core included), and the server
  process's from /proc, found by the address it announces in the system map's presence table (None when it is not a
  process of this machine).
"""

from __future__ import annotations

import os
import socket
import statistics
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import grpc
import requests

from examples import client as rest_client
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from system_map.models import Presence

EQUIPMENT = ["KEYBOARD", "MOUSE", "MOUSE", "MONITOR"]
MAX_CALLS = 1000
WARMUP = 20
READS_WEIGHED = 20


def create_request(created_by: str) -> pb.OrderMessage:
    equipment = [pb.OrderMessage.Equipment.Value(name) for name in EQUIPMENT]
    return pb.OrderMessage(created_by=created_by, equipment=equipment)


def grpc_create(stub: orders_pb2_grpc.OrderServiceStub, created_by: str) -> pb.OrderMessage:
    return stub.Create(create_request(created_by), timeout=10)


def grpc_fetch(stub: orders_pb2_grpc.OrderServiceStub, order_id: str) -> pb.OrderMessage:
    return stub.GetOrder(pb.OrderId(id=order_id), timeout=10)


class Relay:
    """A TCP relay on 127.0.0.1 to `upstream` that counts the bytes each way, for one client connection at a time."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.sent = self.received = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self.listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(self.upstream, timeout=10)
            for pair in ((downstream, upstream, "sent"), (upstream, downstream, "received")):
                threading.Thread(target=self._pump, args=pair, daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, counter: str) -> None:
        with source, target:
            while chunk := _read(source):
                with self.lock:
                    setattr(self, counter, getattr(self, counter) + len(chunk))
                target.sendall(chunk)

    def weigh(self, call: Callable[[], object], times: int = 1) -> tuple[object, float, float]:
        """Run `call` `times` times; its last result and the bytes sent and received per call."""
        with self.lock:
            sent, received = self.sent, self.received
        for _ in range(times):
            result = call()
        with self.lock:
            return result, (self.sent - sent) / times, (self.received - received) / times

    def close(self) -> None:
        self.listener.close()


def _read(source: socket.socket) -> bytes:
    try:
        return source.recv(65536)
    except OSError:
        return b""


def _address(url_or_target: str) -> tuple[str, int]:
    parts = urlsplit(url_or_target if "//" in url_or_target else f"//{url_or_target}")
    return parts.hostname or "127.0.0.1", parts.port or 80


def measure(name: str, calls: int, base_url: str, target: str) -> dict:
    """Create an order of `name` over each transport with the same body, weigh the calls, then read the REST one back
    `calls` times over each; the figures per transport."""
    calls = max(1, min(calls, MAX_CALLS))
    rest_relay, grpc_relay = Relay(_address(base_url)), Relay(_address(target))
    try:
        with requests.Session() as session, grpc.insecure_channel(f"127.0.0.1:{grpc_relay.port}") as channel:
            relayed = f"http://127.0.0.1:{rest_relay.port}"
            stub = orders_pb2_grpc.OrderServiceStub(channel)
            created, rest_create_out, rest_create_in = rest_relay.weigh(
                lambda: rest_client.place(session, relayed, name, EQUIPMENT)
            )
            created.raise_for_status()
            order_id = created.json()["order_id"]
            grpc_order, grpc_create_out, grpc_create_in = grpc_relay.weigh(lambda: grpc_create(stub, name))
            read, rest_read_out, rest_read_in = rest_relay.weigh(
                lambda: rest_client.fetch(session, relayed, order_id), READS_WEIGHED
            )
            read.raise_for_status()
            grpc_read, grpc_read_out, grpc_read_in = grpc_relay.weigh(lambda: grpc_fetch(stub, order_id), READS_WEIGHED)
    finally:
        rest_relay.close()
        grpc_relay.close()
    with requests.Session() as session, grpc.insecure_channel(target) as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)
        rest_timing = _time(lambda: rest_client.fetch(session, base_url, order_id).raise_for_status(), calls, base_url)
        grpc_timing = _time(lambda: grpc_fetch(stub, order_id), calls, target)
    return {
        "order_id": order_id,
        "grpc_order_id": grpc_order.id,
        "calls": calls,
        "rest": {
            "create_body": [len(created.request.body), len(created.content)],
            "create_wire": [rest_create_out, rest_create_in],
            "read_body": [0, len(read.content)],
            "read_wire": [rest_read_out, rest_read_in],
            **rest_timing,
        },
        "grpc": {
            "create_body": [
                len(create_request(name).SerializeToString()),
                len(grpc_order.SerializeToString()),
            ],
            "create_wire": [grpc_create_out, grpc_create_in],
            "read_body": [len(pb.OrderId(id=order_id).SerializeToString()), len(grpc_read.SerializeToString())],
            "read_wire": [grpc_read_out, grpc_read_in],
            **grpc_timing,
        },
    }


def _time(call: Callable[[], object], calls: int, address: str) -> dict:
    """Latency of `calls` calls after WARMUP, and the CPU this process and the server spent per call."""
    for _ in range(WARMUP):
        call()
    server = server_pid(address)
    server_cpu, cpu = _cpu_seconds(server), time.process_time()
    latencies, began = [], time.perf_counter()
    for _ in range(calls):
        started = time.perf_counter()
        call()
        latencies.append((time.perf_counter() - started) * 1000)
    elapsed = time.perf_counter() - began
    cpu, server_cpu_after = time.process_time() - cpu, _cpu_seconds(server)
    return {
        "p50_ms": round(statistics.median(latencies), 3),
        "p99_ms": round(sorted(latencies)[min(calls - 1, round(0.99 * (calls - 1)))], 3),
        "calls_per_second": round(calls / elapsed, 1),
        "client_cpu_ms": round(cpu * 1000 / calls, 3),
        "server_cpu_ms": None if server_cpu is None else round((server_cpu_after - server_cpu) * 1000 / calls, 3),
        "server_pid": server,
    }


def server_pid(address: str) -> int | None:
    """The pid of the playground process on this machine that announces it listens on `address`'s port."""
    _, port = _address(address)
    here = f"@{socket.gethostname()}"
    for instance in (
        Presence.objects.filter(address__endswith=f":{port}").order_by("-last_seen").values_list("instance", flat=True)
    ):
        pid, _, rest = instance.partition("@")
        if f"@{rest}" == here and pid.isdigit() and os.path.exists(f"/proc/{pid}/stat"):
            return int(pid)
    return None


def _cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU of the process, all its threads; None without a process to read."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
