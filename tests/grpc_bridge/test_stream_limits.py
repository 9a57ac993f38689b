"""No stream of any kind starves rungrpc: reflection, health Watch and Watch share capped slots, unary calls always
find a thread, and a stream that waits on its client or outlives its lifetime is ended by the server. Nor do calls
that never send their request. Over real channels to a real server."""

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from grpc_bridge import stream_limits
from grpc_bridge.generated import orders_pb2 as pb
from grpc_bridge.generated import orders_pb2_grpc
from grpc_bridge.server import build_server
from grpc_bridge.stream_limits import max_streams_for, max_waiting_for
from tests.support.waiting import wait_until

WORKERS = 6
SLOTS = max_streams_for(WORKERS)
LATE = max_waiting_for(WORKERS)  # calls that may wait longer than a moment for their request
UNARY_PATHS = ["/OrderService/Create", "/OrderService/Get", "/grpc.health.v1.Health/Check"]
LIST_SERVICES = reflection_pb2.ServerReflectionRequest(list_services="")


class Held:
    """An open stream of one kind that the client keeps open and quiet until `end`."""

    def __init__(self, kind: str, channel: grpc.Channel, timeout: float = 120):
        self._ended = threading.Event()
        if kind == "reflection":
            self.call = reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(
                self._one_request_then_quiet(), timeout=timeout
            )
            assert next(self.call).list_services_response.service, "reflection answered its first request"
        elif kind == "health Watch":
            self.call = health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=timeout)
            assert next(self.call).status == health_pb2.HealthCheckResponse.SERVING
        else:  # an order Watch from now: it sends nothing until an event arrives, and none will
            self.call = orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest(), timeout=timeout)

    def _one_request_then_quiet(self):
        yield LIST_SERVICES
        self._ended.wait()

    def end(self) -> None:
        self.call.cancel()
        self._ended.set()


def refusal(kind: str, channel: grpc.Channel) -> grpc.RpcError:
    """The error a new stream of `kind` ends with; a stream that was not refused at once fails the test."""
    with pytest.raises(grpc.RpcError) as caught:
        if kind == "reflection":
            next(
                reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(iter([LIST_SERVICES]), timeout=5)
            )
        elif kind == "health Watch":
            next(health_pb2_grpc.HealthStub(channel).Watch(health_pb2.HealthCheckRequest(), timeout=5))
        else:
            next(orders_pb2_grpc.OrderServiceStub(channel).Watch(pb.WatchRequest(), timeout=5))
    return caught.value


def own_connection(running) -> grpc.Channel:
    """A channel on a connection of its own: channels of one process to one target otherwise share one."""
    return grpc.insecure_channel(f"127.0.0.1:{running.port}", options=[("grpc.use_local_subchannel_pool", 1)])


class NeverSent:
    """Calls to unary methods that send their headers and never their request (a request-streaming stub on the
    method's path), each on a connection of its own or all on one; `ended_after` holds when each call ended, in
    seconds since they were made."""

    def __init__(self, running, count: int, *, one_connection: bool = False, timeout: float = 60):
        self._never = threading.Event()
        self.began = time.monotonic()
        self.ended_after: list[float] = []
        self.calls = []
        self._channels = [own_connection(running) for _ in range(1 if one_connection else count)]
        for n in range(count):
            channel = self._channels[n % len(self._channels)]
            call = channel.stream_unary(UNARY_PATHS[n % len(UNARY_PATHS)]).future(self._nothing(), timeout=timeout)
            call.add_done_callback(lambda _: self.ended_after.append(time.monotonic() - self.began))
            self.calls.append(call)

    def _nothing(self):
        self._never.wait()
        yield from ()

    def ended(self) -> list:
        return [call for call in self.calls if call.done()]

    def end(self) -> None:
        for call in self.calls:
            call.cancel()
        self._never.set()
        for channel in self._channels:
            channel.close()


@pytest.fixture
def start_server(transactional_db):
    """Start servers on free ports (stopped afterwards); returns (running, channel) for each."""
    with contextlib.ExitStack() as stack:

        def start(**options):
            running = build_server("127.0.0.1:0", **{"max_workers": WORKERS, **options})
            stack.callback(lambda: running.stop(grace=1).wait(5))
            # A connection of its own: a channel on the shared pool could take over a connection that an earlier
            # test's server on the same (reused) port left failing, and answer UNAVAILABLE "Connection refused".
            return running, stack.enter_context(own_connection(running))

        yield start


def open_streams_become(running, count: int, within: float = 30) -> None:
    wait_until(
        lambda: running.streams.open_streams() == count,
        timeout=within,
        message=lambda: f"{running.streams.open_streams()} streams open, not {count}",
    )


def waiting_for_requests_become(running, count: int, within: float = 30) -> None:
    wait_until(
        lambda: running.streams.waiting_for_requests() == count,
        timeout=within,
        message=lambda: f"{running.streams.waiting_for_requests()} calls wait for their request, not {count}",
    )


def held_at_the_limit(running, channel, kinds) -> list[Held]:
    held = [Held(kind, channel) for kind in kinds]
    open_streams_become(running, SLOTS)  # an order Watch says nothing: the server's count says it holds its slot
    return held


def assert_unary_calls_answer(channel) -> None:
    """Eight Creates at once and a Get, each within a 5 s deadline."""
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    with ThreadPoolExecutor(8) as pool:
        created = list(
            pool.map(lambda n: stub.Create(pb.OrderMessage(created_by=f"held-{n}", equipment=[0]), timeout=5), range(8))
        )
    listed = {order.id for order in stub.Get(pb.Empty(), timeout=5).orders}
    assert {order.id for order in created} <= listed


def assert_every_unary_kind_answers(channel) -> None:
    """Create and Get (assert_unary_calls_answer) and a health Check, each within a 5 s deadline."""
    assert_unary_calls_answer(channel)
    check = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert check.status == health_pb2.HealthCheckResponse.SERVING


def assert_every_kind_is_refused(channel) -> None:
    for kind in ("reflection", "health Watch", "Watch"):
        error = refusal(kind, channel)
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, (kind, error)
        assert f"at most {SLOTS} streams at once" in error.details()


@pytest.mark.parametrize("kind", ["reflection", "health Watch"])
def test_unary_calls_answer_while_idle_streams_of_one_kind_hold_every_slot(start_server, kind):
    running, channel = start_server()
    held = held_at_the_limit(running, channel, [kind] * SLOTS)
    assert_every_kind_is_refused(channel)
    assert_unary_calls_answer(channel)
    for stream in held:
        stream.end()
    open_streams_become(running, 0)
    again = held_at_the_limit(running, channel, [kind] * SLOTS)  # every slot came back
    for stream in again:
        stream.end()


def test_unary_calls_answer_while_streams_of_every_kind_hold_every_slot(start_server, orders_topic):
    running, channel = start_server()
    kinds = ["reflection", "health Watch", "Watch"]
    assert len(kinds) == SLOTS
    held = held_at_the_limit(running, channel, kinds)
    assert_every_kind_is_refused(channel)
    assert_unary_calls_answer(channel)
    for stream in held:
        stream.end()
    open_streams_become(running, 0)
    for stream in held_at_the_limit(running, channel, kinds):
        stream.end()


def _cancel(stream, channel):
    stream.end()


def _close_channel(stream, channel):
    channel.close()


def _let_the_deadline_pass(stream, channel):
    assert stream.call.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # waits for the end


@pytest.mark.parametrize(
    "leave", [_cancel, _close_channel, _let_the_deadline_pass], ids=["cancelled", "channel-closed", "deadline-passed"]
)
@pytest.mark.parametrize("kind", ["reflection", "health Watch"])
def test_a_stream_whose_client_leaves_gives_its_slot_back(start_server, kind, leave):
    running, _ = start_server()
    with grpc.insecure_channel(f"127.0.0.1:{running.port}") as channel:
        stream = Held(kind, channel, timeout=3)
        open_streams_become(running, 1)
        leave(stream, channel)
        open_streams_become(running, 0)
        stream.end()


def test_a_stream_idle_past_the_bound_is_ended_by_the_server(start_server):
    running, channel = start_server(stream_idle_seconds=1)
    quiet = Held("reflection", channel)  # answered once, then never speaks again
    with pytest.raises(grpc.RpcError) as caught:
        next(quiet.call)
    quiet.end()
    assert caught.value.code() == grpc.StatusCode.CANCELLED
    open_streams_become(running, 0)


@pytest.mark.parametrize("path", ["/grpc.health.v1.Health/Watch", "/OrderService/Watch"])
def test_a_stream_whose_request_never_comes_is_ended_by_the_server(start_server, path):
    """gRPC reads a one-request stream's request on a pool thread: a client that never sends it is ended too."""
    running, channel = start_server(request_wait_seconds=1, stream_idle_seconds=60)
    never = threading.Event()

    def no_request():
        never.wait()
        yield from ()

    call = channel.stream_stream(path)(no_request(), timeout=60)
    try:
        with pytest.raises(grpc.RpcError) as caught:
            next(call)
        assert caught.value.code() == grpc.StatusCode.CANCELLED
        open_streams_become(running, 0)
    finally:
        never.set()


@pytest.mark.parametrize("path", ["/grpc.health.v1.Health/Watch", *UNARY_PATHS])
def test_a_call_closed_without_its_request_is_unimplemented_as_grpc_says(start_server, path):
    _, channel = start_server()
    with pytest.raises(grpc.RpcError) as caught:
        next(channel.stream_stream(path)(iter(()), timeout=5))
    assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
    assert caught.value.details() == f'"{path}" requires exactly one request message.'


def test_unary_calls_answer_while_calls_without_their_request_outnumber_the_threads(start_server):
    """Past the first LATE, calls still waiting for their request after a moment are cancelled at once: the threads
    they held serve Create, Get and Check long before the request wait (60 s here) ends any of them."""
    running, channel = start_server(request_wait_seconds=60)
    stalled = NeverSent(running, WORKERS + 2)
    try:
        assert_every_unary_kind_answers(channel)
        wait_until(
            lambda: len(stalled.ended()) == WORKERS + 2 - LATE,
            timeout=10,
            message=lambda: f"{len(stalled.ended())} of {WORKERS + 2} calls without a request ended",
        )
        assert {call.exception().code() for call in stalled.ended()} == {grpc.StatusCode.CANCELLED}
        assert max(stalled.ended_after) < 10, "ended by the cap, not by the request wait"
        assert running.streams.waiting_for_requests() == LATE
    finally:
        stalled.end()
    waiting_for_requests_become(running, 0)


def test_calls_without_their_request_are_ended_after_the_wait_and_give_every_thread_back(start_server):
    running, channel = start_server(request_wait_seconds=2)
    for _ in range(2):  # the second round finds every thread again
        stalled = NeverSent(running, WORKERS)
        try:
            for call in stalled.calls:
                assert call.exception(timeout=10).code() == grpc.StatusCode.CANCELLED
            assert 2 <= max(stalled.ended_after) < 5, "the calls the cap left waiting were ended by the request wait"
        finally:
            stalled.end()
        waiting_for_requests_become(running, 0)
        assert running.streams.open_streams() == 0
        assert_every_unary_kind_answers(channel)


def test_calls_whose_request_comes_with_them_are_never_taken_for_late(start_server):
    """With three threads no call may wait for its request longer than a moment, and calls that never send it hold
    threads until they are cancelled: a burst of real calls queues meanwhile, and every one of them is served."""
    running, channel = start_server(max_workers=3, request_wait_seconds=60)
    assert running.streams.max_waiting == 0
    stub = orders_pb2_grpc.OrderServiceStub(channel)
    stalled = NeverSent(running, 6)
    try:
        with ThreadPoolExecutor(8) as pool:
            created = list(
                pool.map(
                    lambda n: stub.Create(pb.OrderMessage(created_by=f"burst-{n}", equipment=[0]), timeout=10),
                    range(100),
                )
            )
        assert len({order.id for order in created}) == 100
        for call in stalled.calls:
            assert call.exception(timeout=10).code() == grpc.StatusCode.CANCELLED
    finally:
        stalled.end()


def test_a_stream_waiting_on_the_server_is_not_idle(start_server):
    """A health Watch waits for a change of status, not for its client: the idle bound leaves it open."""
    running, channel = start_server(stream_idle_seconds=1)
    watch = Held("health Watch", channel)
    ended = threading.Event()

    def read_on():
        with contextlib.suppress(grpc.RpcError):  # cancelled by the test at the end
            next(watch.call, None)
        ended.set()

    threading.Thread(target=read_on, daemon=True).start()
    assert not ended.wait(3), "the server ended a stream that waited on itself, not on its client"
    assert running.streams.open_streams() == 1
    watch.end()
    assert ended.wait(10)


def test_a_stream_past_its_lifetime_is_ended_by_the_server(start_server, monkeypatch):
    monkeypatch.setattr(stream_limits, "END_GRACE_SECONDS", 0.5)
    running, channel = start_server(max_stream_seconds=1)
    watch = Held("health Watch", channel)
    with pytest.raises(grpc.RpcError) as caught:
        next(watch.call)
    assert caught.value.code() == grpc.StatusCode.CANCELLED
    open_streams_become(running, 0)


def test_a_connection_with_a_call_late_with_its_request_has_its_further_calls_refused_at_once(start_server):
    """Sixty calls without requests over one connection queue for ten times the threads: once its first calls are
    late, the rest are refused as they get a thread, and calls from other connections are served meanwhile."""
    running, channel = start_server(request_wait_seconds=60)
    flood = NeverSent(running, WORKERS * 10, one_connection=True)
    try:
        assert_every_unary_kind_answers(channel)
        wait_until(
            lambda: len(flood.ended()) == len(flood.calls) - LATE,
            timeout=20,
            message=lambda: f"{len(flood.ended())} of {len(flood.calls)} calls of the flood ended",
        )
        refused = [call.exception() for call in flood.ended()]
        assert {error.code() for error in refused} == {
            grpc.StatusCode.CANCELLED,
            grpc.StatusCode.RESOURCE_EXHAUSTED,
        }
        refusals = [error for error in refused if error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED]
        assert len(refusals) >= WORKERS * 8, "most were refused as they got a thread, without waiting"
        assert "another call on this connection has waited more than 0.5 s for its request" in refusals[0].details()
    finally:
        flood.end()
    waiting_for_requests_become(running, 0)
