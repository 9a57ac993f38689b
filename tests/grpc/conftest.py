"""A real gRPC server on a free port in this process, and a real channel to it."""

import grpc
import pytest

from grpc_bridge.generated import orders_pb2_grpc
from grpc_bridge.server import build_server


@pytest.fixture
def grpc_target(transactional_db):
    """The servicer's pool threads use their own DB connections, so the test data must be committed."""
    running = build_server("127.0.0.1:0", max_workers=4, max_message_bytes=64 * 1024)
    yield f"127.0.0.1:{running.port}"
    running.stop(grace=1).wait(5)


@pytest.fixture
def channel(grpc_target):
    with grpc.insecure_channel(grpc_target) as channel:
        grpc.channel_ready_future(channel).result(timeout=5)
        yield channel


@pytest.fixture
def stub(channel):
    return orders_pb2_grpc.OrderServiceStub(channel)
