"""`manage.py rungrpc` as a real process: the banner, a taken port, and a graceful stop on SIGTERM."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from localkafka import free_port
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def database_url(tmp_path_factory):
    """A migrated SQLite file of the server's own, which the test can lock from outside."""
    path = tmp_path_factory.mktemp("rungrpc") / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return path


def start_rungrpc(database_path, port, *extra):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database_path}", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "manage.py", "rungrpc", f"127.0.0.1:{port}", *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def opened_database(pid, database_path) -> list[str]:
    """The files of the SQLite database (the file, -wal, -shm) that process `pid` has open."""
    database = str(Path(database_path).resolve())
    opened = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # closed since the listing
        if target.startswith(database):
            opened.append(target)
    return opened


def wait_serving(port):
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    grpc.channel_ready_future(channel).result(timeout=30)
    return channel


@pytest.fixture
def server(database_url):
    port = free_port()
    process = start_rungrpc(database_url, port, "--grace", "15")
    channel = wait_serving(port)
    yield process, port, channel
    channel.close()
    if process.poll() is None:
        process.kill()
    process.wait(10)


def test_banner_names_the_grpcurl_commands_and_the_port_taken_is_a_clear_error(server, database_url):
    process, port, _channel = server
    second = start_rungrpc(database_url, port)
    _, err = second.communicate(timeout=60)
    assert second.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err
    process.send_signal(signal.SIGTERM)
    out, _ = process.communicate(timeout=30)
    assert f"grpcurl -plaintext 127.0.0.1:{port} list" in out
    assert "OrderService/Create" in out


def test_sigterm_lets_the_in_flight_call_finish_and_refuses_new_ones(server, database_url):
    process, port, channel = server
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    health_updates = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(service=""))
    assert next(health_updates).status == health_pb2.HealthCheckResponse.SERVING

    # Hold SQLite's write lock so the Create below is genuinely in flight when SIGTERM arrives.
    blocker = sqlite3.connect(database_url, isolation_level=None, timeout=30)
    blocker.execute("BEGIN IMMEDIATE")
    # The server connects to its database lazily, on the first call that needs it: only the Create will.
    assert not opened_database(process.pid, database_url), "the server opened its database before any call"
    outcome = {}

    def create():
        try:
            outcome["order"] = stub.Create(pb.OrderMessage(created_by="in-flight", equipment=[1]), timeout=30)
        except grpc.RpcError as exc:
            outcome["error"] = exc.code()

    call = threading.Thread(target=create)
    call.start()
    # The server opening its database means the Create's handler is running; the write lock it needs is ours, so
    # from there it can only wait for it (SQLite's busy timeout is 20 s here).
    wait_until(
        lambda: opened_database(process.pid, database_url),
        timeout=30,
        message="the Create never reached the server's database",
    )
    assert call.is_alive(), "the Create should be waiting for the database lock"
    process.send_signal(signal.SIGTERM)
    assert next(health_updates).status == health_pb2.HealthCheckResponse.NOT_SERVING

    with grpc.insecure_channel(f"127.0.0.1:{port}") as late, pytest.raises(grpc.RpcError):
        orders_pb2_grpc.OrderServiceStub(late).Get(pb.Empty(), timeout=3)

    blocker.execute("COMMIT")
    call.join(30)
    assert "order" in outcome, f"the in-flight call failed: {outcome.get('error')}"
    assert process.wait(30) == 0
    stored = (
        sqlite3.connect(database_url)
        .execute("SELECT created_by FROM orders_order WHERE order_id = ?", (outcome["order"].id.replace("-", ""),))
        .fetchall()
    )
    assert stored == [("in-flight",)]


def test_reload_mode_serves_and_restarts_on_a_code_change(database_url):
    port = free_port()
    process = start_rungrpc(database_url, port, "--reload")
    banners = []
    threading.Thread(
        target=lambda: banners.extend(line for line in process.stdout if "listening" in line), daemon=True
    ).start()
    try:
        with wait_serving(port) as channel:
            assert (
                orders_pb2_grpc.OrderServiceStub(channel)
                .Create(pb.OrderMessage(created_by="reload", equipment=[0]), timeout=10)
                .id
            )
        # Touched again until it restarts: Django's reloader takes its first look at the files once it runs, which can
        # be after the server first answers, and a change made before that look is the baseline, not a change.
        servicer = ROOT / "grpc_bridge" / "servicer.py"
        wait_until(
            lambda: len(banners) >= 2 or servicer.touch(),
            timeout=40,
            interval=5,
            message="the server should restart after a code change",
        )

        def created_by() -> list[str] | None:
            """What the server lists, or None while it restarts (a later touch may restart it once more)."""
            try:
                with wait_serving(port) as channel:
                    orders = orders_pb2_grpc.OrderServiceStub(channel).Get(pb.Empty(), timeout=10).orders
            except grpc.RpcError:
                return None
            return [order.created_by for order in orders]

        listed = wait_until(created_by, timeout=30, interval=1, message="the restarted server does not answer")
        assert "reload" in listed, "the restarted server serves the same database"
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
    assert "Traceback" not in err, err
