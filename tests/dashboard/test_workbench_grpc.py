"""The gRPC workbench's endpoints: every call they make to rungrpc has a deadline, and they have an off switch
(WORKBENCH_GRPC) that answers as produce's does."""

import json
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from dashboard.workbench import grpc_calls

SERVICES = "/workbench/grpc/services"
CALL = "/workbench/grpc/call"
STREAM = "/workbench/grpc/stream"
CREATE = {"method": "/OrderService/Create", "request": {"created_by": "ana", "equipment": ["MOUSE"]}}


@pytest.fixture
def silent_target():
    """A listening socket that accepts connections and never says a word of HTTP/2."""
    with socket.create_server(("127.0.0.1", 0)) as listening:
        yield f"127.0.0.1:{listening.getsockname()[1]}"


def ask(client, url: str):
    if url == SERVICES:
        return client.get(url)
    return client.post(url, json.dumps(CREATE), content_type="application/json")


@pytest.mark.parametrize("url", [SERVICES, CALL, STREAM])
def test_a_server_that_never_answers_gets_an_error_json_within_the_deadline(client, settings, silent_target, url):
    settings.WORKBENCH_GRPC = True
    settings.GRPC_TARGET = silent_target
    settings.GRPC_CALL_TIMEOUT = 1
    started = time.monotonic()
    # In a thread of its own: the stream endpoint is async, and a browser test earlier in the session leaves
    # Playwright's event loop running in this one, where Django's test client cannot run it.
    with ThreadPoolExecutor(1) as pool:
        response = pool.submit(ask, client, url).result()
    took = time.monotonic() - started
    assert response.status_code == 503
    assert response.json() == {"detail": "The gRPC server did not list its methods in time."}
    assert took < settings.GRPC_CALL_TIMEOUT + 3, f"answered after {took:.1f} s"


def test_the_page_streams_with_a_deadline_even_when_none_is_asked(grpc_target, settings):
    settings.GRPC_TARGET = grpc_target
    prepared = grpc_calls.prepare(path="/OrderService/Watch", request={}, metadata=[], deadline_ms=None, streaming=True)
    assert prepared.timeout == grpc_calls.STREAM_DEADLINE_SECONDS
    unary = grpc_calls.prepare(path="/OrderService/Get", request={}, metadata=[], deadline_ms=None, streaming=False)
    assert unary.timeout == grpc_calls.UNARY_DEADLINE_SECONDS


def test_the_methods_are_listed_when_switched_on(client, settings, grpc_target):
    settings.WORKBENCH_GRPC = True
    settings.GRPC_TARGET = grpc_target
    response = client.get(SERVICES)
    assert response.status_code == 200
    assert "OrderService" in {service["name"] for service in response.json()["services"]}


@pytest.mark.parametrize("url", [SERVICES, CALL, STREAM])
def test_switched_off_the_endpoints_answer_403_as_produce_does(client, settings, grpc_target, url):
    settings.GRPC_TARGET = grpc_target
    settings.WORKBENCH_GRPC = False
    settings.WORKBENCH_PRODUCE = False
    produce = client.post("/workbench/produce", json.dumps({"value": "x"}), content_type="application/json")
    response = ask(client, url)
    assert response.status_code == produce.status_code == 403
    assert produce.json() == {"detail": "Producing from the page is off here (WORKBENCH_PRODUCE=0)."}
    assert response.json() == {"detail": "Calling gRPC methods from the page is off here (WORKBENCH_GRPC=0)."}


def test_with_every_stream_slot_taken_the_gateway_still_places_orders_and_the_listing_says_busy(
    client, settings, grpc_target
):
    """grpc_target's server has 4 threads, so 2 stream slots: two idle reflection streams take both."""
    settings.WORKBENCH_GRPC = True
    settings.GRPC_TARGET = grpc_target
    quiet = threading.Event()

    def one_request_then_quiet():
        yield reflection_pb2.ServerReflectionRequest(list_services="")
        quiet.wait()

    with grpc.insecure_channel(grpc_target) as channel:
        held = [
            reflection_pb2_grpc.ServerReflectionStub(channel).ServerReflectionInfo(one_request_then_quiet(), timeout=60)
            for _ in range(2)
        ]
        try:
            for stream in held:
                next(stream)
            placed = client.post(
                "/dashboard/grpc/create",
                json.dumps({"created_by": "still-served", "equipment": ["MOUSE"]}),
                content_type="application/json",
            )
            assert placed.status_code == 200 and placed.json()["code"] == "OK"
            listing = client.get(SERVICES)
            assert listing.status_code == 503
            assert "every stream slot is taken" in listing.json()["detail"]
        finally:
            for stream in held:
                stream.cancel()
            quiet.set()
