"""Which traces a process keeps: every trace a caller started and sampled (the page's click, a client sending a
sampled `traceparent`), and of the traces it starts itself at most TRACING_NEW_TRACES_PER_SECOND a second.

Why a limit: a span costs CPython a fixed ~0.25-0.5 ms of a process's CPU (docs/tracing.md, Cost), so a process
serving hundreds of calls a second with every one traced gives a fifth of its throughput to tracing. A learner's
orders, placed by hand or from the page, stay under the limit and are all traced; a load test's are kept up to the
limit. The decision rides in the `traceparent`'s sampled flag through the outbox and the Kafka headers, and every
later process follows it (ParentBased), so a trace is kept whole or not at all. OTEL_TRACES_SAMPLER, when set,
chooses the SDK's sampler instead (`parentbased_always_on` keeps every trace).
"""

from __future__ import annotations

import os
import threading
import time

from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult


class NewTracesPerSecond(Sampler):
    """A token bucket: `per_second` new traces a second, a burst of one second's worth at once (at least one trace
    when the rate is under one a second; none at 0)."""

    def __init__(self, per_second: float, clock=time.monotonic) -> None:
        self.per_second = max(per_second, 0.0)
        self._capacity = max(self.per_second, 1.0) if self.per_second else 0.0
        self._clock = clock
        self._tokens = self._capacity
        self._last = clock()
        self._lock = threading.Lock()

    def should_sample(
        self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None
    ) -> SamplingResult:
        parent = trace.get_current_span(parent_context).get_span_context()
        kept_state = parent.trace_state if parent.is_valid else None
        if self._take():
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, kept_state)
        return SamplingResult(Decision.DROP, None, kept_state)

    def has_room(self) -> bool:
        """Whether a new trace would be kept now (nothing taken: the sampler takes it)."""
        with self._lock:
            return self._refill() >= 1

    def _take(self) -> bool:
        with self._lock:
            if self._refill() < 1:
                return False
            self._tokens -= 1
            return True

    def _refill(self) -> float:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._last) * self.per_second)
        self._last = now
        return self._tokens

    def get_description(self) -> str:
        return f"NewTracesPerSecond{{{self.per_second:g}}}"


def sampler_for(new_traces: NewTracesPerSecond) -> Sampler | None:
    """The process's sampler; None lets the SDK read OTEL_TRACES_SAMPLER."""
    if os.environ.get("OTEL_TRACES_SAMPLER"):
        return None
    return ParentBased(root=new_traces)


def calls_to_trace(new_traces: NewTracesPerSecond):
    """The gRPC server instrumentation's filter: a call that brings a `traceparent`, or that the limit has room for.
    Any other call would only make a span that is not kept, and OpenTelemetry's interceptor costs a call ~0.2 ms of
    rungrpc's CPU even then (extracting the context, the span's attributes, wrapping the servicer context): it is
    left out of the interceptor, and the order it writes says it was not traced (messaging.trace_context)."""

    def wanted(handler_call_details) -> bool:
        for key, _ in handler_call_details.invocation_metadata or ():
            if key == "traceparent":
                return True
        return new_traces.has_room()

    return wanted
