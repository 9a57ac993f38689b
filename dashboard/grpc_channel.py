"""The page's gRPC channels to rungrpc, one per target, shared by the order gateway and the workbench's calls.

Every call made on them has a deadline: the caller's own, else GRPC_CALL_TIMEOUT. grpcio-reflection's client (the
workbench's method listing) sets none, and without one a server that accepts the connection but does not answer
(all its threads taken, or no gRPC server at all) kept the page's request waiting as long as it liked.
"""

from __future__ import annotations

import collections
import threading

import grpc
from django.conf import settings

_lock = threading.Lock()
_channels: dict[str, grpc.Channel] = {}


class _CallDetails(
    collections.namedtuple(
        "_CallDetails", ("method", "timeout", "metadata", "credentials", "wait_for_ready", "compression")
    ),
    grpc.ClientCallDetails,
):
    pass


class _DefaultDeadline(
    grpc.UnaryUnaryClientInterceptor,
    grpc.UnaryStreamClientInterceptor,
    grpc.StreamUnaryClientInterceptor,
    grpc.StreamStreamClientInterceptor,
):
    """A call without a deadline gets GRPC_CALL_TIMEOUT (read at each call, so a changed setting applies)."""

    @staticmethod
    def _with_deadline(details: grpc.ClientCallDetails) -> grpc.ClientCallDetails:
        if details.timeout is not None:
            return details
        return _CallDetails(
            details.method,
            settings.GRPC_CALL_TIMEOUT,
            details.metadata,
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._with_deadline(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._with_deadline(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._with_deadline(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._with_deadline(client_call_details), request_iterator)


def channel() -> grpc.Channel:
    """One long-lived channel per target, as gRPC intends: it multiplexes all calls and reconnects itself."""
    with _lock:
        target = settings.GRPC_TARGET
        if target not in _channels:
            _channels[target] = grpc.intercept_channel(grpc.insecure_channel(target), _DefaultDeadline())
        return _channels[target]


def discard(failed: grpc.Channel) -> None:
    """Close and forget a channel a caller saw fail, so the next call connects afresh instead of waiting out the
    channel's reconnect backoff. A channel another caller already replaced is left to that caller."""
    with _lock:
        target = next((target for target, cached in _channels.items() if cached is failed), None)
        if target is None:
            return
        del _channels[target]
    failed.close()
