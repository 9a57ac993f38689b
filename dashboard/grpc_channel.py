"""The page's gRPC channels to rungrpc, one per target, shared by the order gateway and the workbench's calls."""

from __future__ import annotations

import threading

import grpc
from django.conf import settings

_lock = threading.Lock()
_channels: dict[str, grpc.Channel] = {}


def channel() -> grpc.Channel:
    """One long-lived channel per target, as gRPC intends: it multiplexes all calls and reconnects itself."""
    with _lock:
        target = settings.GRPC_TARGET
        if target not in _channels:
            _channels[target] = grpc.insecure_channel(target)
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
