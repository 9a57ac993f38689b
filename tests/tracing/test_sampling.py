"""Which traces a process keeps (tracing/sampling.py): every trace a caller sampled, and of those it starts itself
at most TRACING_NEW_TRACES_PER_SECOND a second; whatever is decided, a trace is kept whole or not at all."""

from __future__ import annotations

import secrets
from types import SimpleNamespace

import grpc
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import Decision
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from grpc_bridge.generated import orders_pb2, orders_pb2_grpc
from tests.support.waiting import poll_until
from tracing.sampling import NewTracesPerSecond, calls_to_trace, sampler_for


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def decisions(sampler, count: int, context=None) -> list[bool]:
    return [
        sampler.should_sample(context, secrets.randbits(128), "call").decision is Decision.RECORD_AND_SAMPLE
        for _ in range(count)
    ]


def remote_parent(sampled: bool):
    flags = TraceFlags(TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT)
    parent = SpanContext(secrets.randbits(128), secrets.randbits(64), is_remote=True, trace_flags=flags)
    return trace.set_span_in_context(NonRecordingSpan(parent))


def test_the_bucket_keeps_its_rate_and_a_burst_of_one_seconds_worth():
    clock = Clock()
    sampler = NewTracesPerSecond(3, clock=clock)
    assert decisions(sampler, 5) == [True, True, True, False, False]
    clock.now += 0.34
    assert decisions(sampler, 2) == [True, False]
    clock.now += 3600
    assert decisions(sampler, 4) == [True, True, True, False], "an idle hour saves no more than one second's worth"
    assert decisions(NewTracesPerSecond(0, clock=clock), 2) == [False, False], "0: only what a caller sampled"
    slow = NewTracesPerSecond(0.5, clock=clock)
    assert decisions(slow, 2) == [True, False], "under one a second, still one at a time"
    clock.now += 2
    assert decisions(slow, 2) == [True, False]


def test_a_caller_sampled_trace_is_kept_past_the_limit_and_an_unsampled_one_never():
    sampler = sampler_for(NewTracesPerSecond(1))
    assert decisions(sampler, 3) == [True, False, False]
    assert decisions(sampler, 3, remote_parent(sampled=True)) == [True, True, True]
    assert decisions(sampler, 1, remote_parent(sampled=False)) == [False]


def test_otel_traces_sampler_chooses_the_sdks_sampler(monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    assert sampler_for(NewTracesPerSecond(1)) is None
    monkeypatch.delenv("OTEL_TRACES_SAMPLER")
    assert "NewTracesPerSecond{1}" in sampler_for(NewTracesPerSecond(1)).get_description()


def test_the_interceptor_sees_a_call_with_a_traceparent_or_room_for_a_new_trace():
    clock = Clock()
    new_traces = NewTracesPerSecond(1, clock=clock)
    wanted = calls_to_trace(new_traces)
    call = SimpleNamespace(method="/orders.OrderService/Create", invocation_metadata=(("user-agent", "grpc-python"),))
    with_context = SimpleNamespace(method=call.method, invocation_metadata=(("traceparent", "00-…-00"),))
    assert wanted(call) and wanted(call), "asking takes no room: the sampler takes it"
    assert decisions(new_traces, 1) == [True]
    assert not wanted(call) and wanted(with_context), "a caller's context always goes to the interceptor"
    assert wanted(SimpleNamespace(method=call.method, invocation_metadata=None)) is False
    clock.now += 1
    assert wanted(call)


def test_past_the_limit_orders_are_traced_whole_or_not_at_all_and_a_sampled_caller_always(make_stack, kafka_broker):
    stack = make_stack(
        kafka_broker.bootstrap_servers, services=("web", "grpc", "publisher"), TRACING_NEW_TRACES_PER_SECOND="2"
    )
    trace_id = secrets.token_hex(16)
    with grpc.insecure_channel(stack.grpc_target) as channel:
        stub = orders_pb2_grpc.OrderServiceStub(channel)

        def create(metadata=()):
            request = orders_pb2.OrderMessage(created_by="sampling", equipment=[orders_pb2.OrderMessage.MOUSE])
            return stub.Create(request, metadata=metadata, timeout=10).id

        burst = [create() for _ in range(20)]
        traced = create(metadata=[("traceparent", f"00-{trace_id}-{secrets.token_hex(8)}-01")])

    def whole(order_id: str) -> list[set[str]]:
        return [
            {span["service"] for span in found["spans"]}
            for found in stack.get_json(f"/tracing/orders/{order_id}")["traces"]
        ]

    # Each process exports its queue in order, so once the last order's spans are in, the burst's are too.
    assert poll_until(lambda: whole(traced) == [{"grpc", "publisher"}], timeout=30), whole(traced)
    assert stack.get_json(f"/tracing/orders/{traced}")["traces"][0]["trace_id"] == trace_id
    assert stack.get_json(f"/tracing/orders/{burst[0]}")["new_traces_per_second"] == 2, "what the page explains"
    kept = {order_id: whole(order_id) for order_id in burst}
    assert all(services in ([], [{"grpc", "publisher"}]) for services in kept.values()), kept
    assert 2 <= sum(map(bool, kept.values())) < len(burst), kept
