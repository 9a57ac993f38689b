"""Each reach into a library's internals (playground/library_internals.py) against the installed library: a test fails
naming the library and its version when the internal it relies on is gone or behaves differently."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from importlib.metadata import version

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from kafka import KafkaProducer, TopicPartition
from kafka.errors import CorruptRecordError
from twisted.internet import abstract
from twisted.internet.testing import MemoryReactor

from messaging import readers
from playground import library_internals
from tests.support.live_socket import run_in_own_loop
from tests.support.raw_records import RawHeaderName


@contextlib.contextmanager
def relied_on(library: str, internal: str) -> Iterator[None]:
    """Turn any failure inside into one that names the library, its installed version and the internal."""
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - whatever broke, the message must say which library changed
        pytest.fail(
            f"{library} {version(library)}: {internal} is gone or changed, and "
            f"playground/library_internals.py relies on it ({type(exc).__name__}: {exc})",
            pytrace=False,
        )


def test_force_close_sender_fails_the_buffered_records_and_ends_the_thread(kafka_broker, orders_topic):
    # A long linger keeps the record in the accumulator: only the forced close can end it.
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers, linger_ms=60_000)
    try:
        future = producer.send(orders_topic, value=b"never sent")
        with relied_on("kafka-python", "KafkaProducer._sender.force_close()"):
            library_internals.force_close_sender(producer, timeout=10)
            assert not producer._sender.is_alive(), "the sender thread still runs"
            assert future.is_done and future.failed(), "the buffered record's future did not fail"
    finally:
        producer.close(timeout=0)


def test_partition_being_parsed_names_the_partition_of_an_undecodable_record(kafka_broker, orders_topic):
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    producer.send(orders_topic, partition=1, value=b"v", headers=[(RawHeaderName(b"\xff"), b"h")]).get(timeout=20)
    producer.close()
    consumer = readers.open_reader(orders_topic, start="beginning", bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        with pytest.raises(CorruptRecordError):
            for _ in range(50):  # until the fetch with the record has come back
                consumer.poll(timeout_ms=200)
        with relied_on("kafka-python", "KafkaConsumer._fetcher._next_partition_records.topic_partition"):
            assert library_internals.partition_being_parsed(consumer) == TopicPartition(orders_topic, 1)
    finally:
        consumer.close()


def test_daphne_protocol_is_the_one_daphne_hands_the_application():
    from daphne.server import Server  # installs Twisted's asyncio reactor, as runserver does

    sends = []

    async def application(scope, receive, send):
        sends.append(send)

    async def scenario():
        # An endpoint is required but never listened on: run() is not called, so its table of connections is set here.
        server, protocol = Server(application, endpoints=["tcp:port=0:interface=127.0.0.1"]), object()
        with relied_on("daphne", "Server.create_application's send=partial(handle_reply, protocol)"):
            server.connections = {}
            server.protocol_connected(protocol)
            server.create_application(protocol, {"type": "websocket"})
            await asyncio.wait_for(server.connections[protocol]["application_instance"], 5)
            assert library_internals.daphne_protocol(sends[0]) is protocol

    # A loop of its own: after a browser test, Playwright's loop still runs in this thread.
    run_in_own_loop(scenario, timeout=30)
    assert library_internals.daphne_protocol(application) is None


class SlowConnection(abstract.FileDescriptor):
    """A Twisted connection whose kernel takes at most `accepts` bytes per write attempt."""

    accepts = 30

    def writeSomeData(self, data: bytes) -> int:
        return min(len(data), self.accepts)


def test_twisted_write_backlog_counts_what_the_kernel_has_not_taken():
    connection = SlowConnection(reactor=MemoryReactor())
    connection.connected = True
    with relied_on("twisted", "FileDescriptor.dataBuffer / offset / _tempDataLen"):
        connection.write(b"x" * 100)
        assert library_internals.twisted_write_backlog(connection) == 100, "a write not yet joined to the buffer"
        connection.doWrite()  # the kernel takes 30
        assert library_internals.twisted_write_backlog(connection) == 70, "the unsent rest of the buffer"
        connection.write(b"y" * 5)
        assert library_internals.twisted_write_backlog(connection) == 75, "both at once"
    assert library_internals.twisted_write_backlog(object()) is None


def test_update_csp_reaches_the_header_django_csp_sends():
    from csp.middleware import CSPMiddleware

    request = RequestFactory().get("/")
    with relied_on("django-csp", "CSPMiddleware reading response._csp_update"):
        plain = CSPMiddleware(lambda _: HttpResponse())(request)["Content-Security-Policy"]
        assert "'unsafe-inline'" not in plain, "the site's own policy already allows inline styles"

        def updated(_):
            response = HttpResponse()
            library_internals.update_csp(response, {"style-src": ["'self'", "'unsafe-inline'"]})
            return response

        policy = CSPMiddleware(updated)(request)["Content-Security-Policy"]
        assert "style-src 'self' 'unsafe-inline'" in policy, policy


def test_csrf_refusal_gives_djangos_reason_or_none():
    factory = RequestFactory()
    with relied_on("Django", "CsrfViewMiddleware._reject"):
        reason = library_internals.csrf_refusal(factory.post("/", {"a": "b"}))
        assert isinstance(reason, str) and "CSRF cookie not set" in reason, reason
        page = factory.get("/")
        token = get_token(page)
        cookie = page.META["CSRF_COOKIE"]
        passing = factory.post("/", {"a": "b"}, HTTP_X_CSRFTOKEN=token, HTTP_ORIGIN="http://testserver")
        passing.COOKIES[settings.CSRF_COOKIE_NAME] = cookie
        assert library_internals.csrf_refusal(passing) is None
