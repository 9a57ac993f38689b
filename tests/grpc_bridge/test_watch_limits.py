"""Watch streams cannot starve the server: capped in number, ended at a maximum lifetime, and their slot given
back however the client goes away. Over real channels, against the real broker. The same bounds for every kind of
stream: test_stream_limits.py."""

import contextlib
import signal
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
from django.core.management import CommandError, call_command

from grpc_bridge import server as grpc_server
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from grpc_bridge.server import build_server, server_options
from grpc_bridge.servicer import WATCH_END_KEY, WATCH_MAX_SECONDS_KEY
from grpc_bridge.stream_limits import max_streams_for, max_waiting_for
from messaging import clients
from outbox.publisher import publish_pending
from tests.support.waiting import wait_until

# Watch's slots, keepalives and deadlines: the database is incidental (make test runs these on SQLite only).
pytestmark = pytest.mark.database_incidental

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
SLOTS = max_streams_for(WORKERS)

# A client in a process of its own: it watches from the beginning, says so after its first event, then waits.
WATCHING_CLIENT = """
import sys, time, grpc
from grpc_bridge.generated import orders_pb2 as pb, orders_pb2_grpc
channel = grpc.insecure_channel(sys.argv[1])
call = orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest(from_beginning=True), timeout=300)
next(call)
print("watching", flush=True)
time.sleep(300)
"""


@pytest.fixture
def start_server(transactional_db, orders_topic):
    """Start servers on free ports (stopped afterwards); returns (target, stub) for each."""
    with contextlib.ExitStack() as stack:

        def start(**options):
            running = build_server("127.0.0.1:0", **{"max_workers": WORKERS, **options})
            stack.callback(lambda: running.stop(grace=1).wait(5))
            target = f"127.0.0.1:{running.port}"
            channel = stack.enter_context(grpc.insecure_channel(target))
            return target, orders_pb2_grpc.OrderServiceStub(channel)

        yield start


def put_events(stub, count: int) -> None:
    """`count` order.created events on the test's topic, through the real outbox publisher."""
    for n in range(count):
        stub.Create(pb.OrderMessage(created_by=f"watched-{n}", equipment=[1]), timeout=10)
    producer = clients.build_producer()
    try:
        assert publish_pending(producer).sent == count
    finally:
        producer.close()


def watching(stub, **call_options):
    """A Watch from the beginning that has delivered its first event, so it surely holds a slot."""
    call = stub.Watch(pb.WatchRequest(from_beginning=True), **{"timeout": 120, **call_options})
    assert next(call).type == "order.created"
    return call


def refused(stub) -> bool:
    try:
        next(stub.Watch(pb.WatchRequest(from_beginning=True), timeout=60))
    except grpc.RpcError as error:
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error
        return True
    return False


def wait_for_a_slot(stub, within: float = 30.0):
    """A new Watch, retried while every slot is still taken (the server frees it when it learns the call ended)."""

    def attempt():
        try:
            return watching(stub)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.RESOURCE_EXHAUSTED:
                raise
            return None

    return wait_until(attempt, timeout=within, interval=0.2, message="every Watch slot stayed taken")


def test_create_answers_while_every_watch_slot_is_taken(start_server):
    _, stub = start_server()
    put_events(stub, 1)
    holders = [watching(stub) for _ in range(SLOTS)]
    try:
        assert refused(stub)
        answers, failures = [], []

        def create(n):
            try:
                answers.append(stub.Create(pb.OrderMessage(created_by=f"busy-{n}", equipment=[0]), timeout=30))
            except grpc.RpcError as error:
                failures.append(error.code())

        threads = [threading.Thread(target=create, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert not failures and len(answers) == 8
        assert len(stub.List(pb.ListRequest(page_size=50), timeout=30).orders) == 9
    finally:
        for holder in holders:
            holder.cancel()


def _cancel(call, channel):
    call.cancel()


def _close_channel(call, channel):
    channel.close()


def _let_the_deadline_pass(call, channel):
    assert call.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # waits for the end without reading on


@pytest.mark.parametrize(
    "leave", [_cancel, _close_channel, _let_the_deadline_pass], ids=["cancelled", "channel-closed", "deadline-passed"]
)
def test_a_watch_whose_client_leaves_gives_its_slot_back(start_server, leave):
    target, stub = start_server()
    put_events(stub, 5)
    others = [watching(stub) for _ in range(SLOTS - 1)]
    with grpc.insecure_channel(target) as channel:
        # It reads one of five events, then stops reading and leaves.
        leaving = watching(orders_pb2_grpc.OrderServiceStub(channel), timeout=8)
        assert refused(stub)
        leave(leaving, channel)
    try:
        next_watch = wait_for_a_slot(stub)
        next_watch.cancel()
    finally:
        for other in others:
            other.cancel()


@contextlib.contextmanager
def client_process(target):
    process = subprocess.Popen(
        [sys.executable, "-c", WATCHING_CLIENT, target],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "watching", process.stderr.read()
        yield process
    finally:
        process.kill()
        process.wait(10)


def test_a_killed_client_process_gives_its_slot_back(start_server):
    target, stub = start_server(max_workers=2)  # one slot
    put_events(stub, 1)
    with client_process(target) as process:
        assert refused(stub)
        process.kill()
        wait_for_a_slot(stub).cancel()


def test_a_frozen_client_is_found_by_keepalive_and_gives_its_slot_back(start_server, monkeypatch):
    """SIGSTOP: its kernel still acknowledges TCP, so only an unanswered HTTP/2 ping tells the server it is gone."""
    monkeypatch.setattr(grpc_server, "KEEPALIVE_TIME_MS", 1_000)
    monkeypatch.setattr(grpc_server, "KEEPALIVE_TIMEOUT_MS", 1_000)
    monkeypatch.setattr(grpc_server, "PING_TIMEOUT_MS", 1_000)
    target, stub = start_server(max_workers=2)  # one slot
    put_events(stub, 1)
    with client_process(target) as process:
        assert refused(stub)
        process.send_signal(signal.SIGSTOP)
        wait_for_a_slot(stub).cancel()


def test_a_client_that_stops_reading_is_cancelled_once_idle(start_server):
    """Its stream waits in gRPC's send on flow control, where no check of the servicer's runs: the stream limits
    cancel it once it has waited there longer than the idle bound."""
    target, stub = start_server(max_workers=2, stream_idle_seconds=2)  # one slot
    put_events(stub, 20)
    # A flow-control window of about one event: the server's sends block on the events this client leaves unread.
    tiny_window = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 1024)]
    with grpc.insecure_channel(target, options=tiny_window) as channel:
        stalled = watching(orders_pb2_grpc.OrderServiceStub(channel), timeout=60)  # reads one event of twenty
        assert refused(stub)
        wait_for_a_slot(stub).cancel()
        # Reading again, the client gets what was buffered, then the status: cancelled, not the OK of a stream
        # that was read to its lifetime.
        with pytest.raises(grpc.RpcError) as caught:
            for _ in stalled:
                pass
        assert caught.value.code() == grpc.StatusCode.CANCELLED


def test_a_watch_ends_with_ok_at_its_maximum_lifetime_and_frees_its_slot(start_server):
    _, stub = start_server(max_workers=2, max_stream_seconds=2)  # one slot
    put_events(stub, 1)
    for _ in range(2):  # the second Watch only gets the one slot if the first gave it back
        call = stub.Watch(pb.WatchRequest(from_beginning=True), timeout=60)
        events = list(call)  # ends by itself, without an error
        assert [event.type for event in events] == ["order.created"]
        assert call.code() == grpc.StatusCode.OK
        trailers = dict(call.trailing_metadata())
        assert trailers[WATCH_END_KEY] == "max-lifetime" and trailers[WATCH_MAX_SECONDS_KEY] == "2"


def test_the_server_detects_dead_clients_and_bounds_connections():
    options = dict(server_options(max_message_bytes=1024, max_stream_seconds=3600))
    assert options["grpc.keepalive_time_ms"] > 0 and options["grpc.keepalive_timeout_ms"] > 0
    assert options["grpc.http2.ping_timeout_ms"] == options["grpc.keepalive_timeout_ms"], "what 1.85 enforces"
    assert options["grpc.http2.max_pings_without_data"] == 0, "a quiet Watch must not stop the pings"
    assert options["grpc.max_connection_idle_ms"] > 0
    assert options["grpc.max_connection_age_ms"] > 0
    assert options["grpc.max_connection_age_grace_ms"] > 3600 * 1000, "a Watch that is read ends by itself"
    huge = dict(server_options(max_message_bytes=1024, max_stream_seconds=10**9))
    assert huge["grpc.max_connection_age_grace_ms"] == 2**31 - 1


def test_every_pool_keeps_a_thread_for_unary_calls():
    assert [max_streams_for(n) for n in (2, 3, 4, 10)] == [1, 1, 2, 5]
    assert [max_waiting_for(n) for n in (2, 3, 4, 10)] == [0, 0, 1, 2]
    assert all(n - max_streams_for(n) - max_waiting_for(n) >= 1 for n in range(2, 100))
    with pytest.raises(ValueError, match="max_workers must be at least 2"):
        build_server("127.0.0.1:0", max_workers=1)
    with pytest.raises(ValueError, match="max_stream_seconds must be"):
        build_server("127.0.0.1:0", max_stream_seconds=0)
    with pytest.raises(ValueError, match="stream_idle_seconds must be"):
        build_server("127.0.0.1:0", stream_idle_seconds=float("nan"))
    with pytest.raises(ValueError, match="request_wait_seconds must be"):
        build_server("127.0.0.1:0", request_wait_seconds=-1)


@pytest.mark.parametrize(
    "options",
    [
        ["--max-workers", "1"],
        ["--max-stream-seconds", "0"],
        ["--max-stream-seconds", "nan"],
        ["--max-stream-seconds", "inf"],
        ["--stream-idle-seconds", "0"],
        ["--stream-idle-seconds", "-1"],
        ["--request-wait-seconds", "0"],
        ["--request-wait-seconds", "inf"],
    ],
)
def test_rungrpc_refuses_limits_that_cannot_work(options):
    with pytest.raises(CommandError, match=options[0]):
        call_command("rungrpc", "127.0.0.1:0", *options)
