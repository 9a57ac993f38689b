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
from twisted.internet.testing import MemoryReactor, StringTransport

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


class RefusingScreen:
    """Refuses the target /refused, a body over 10 bytes, and any line too long; records what it was asked."""

    def __init__(self):
        self.lengths: list[int] = []
        self.long_lines: list[tuple[bool, int]] = []

    def request_line(self, target: bytes):
        return (414, b'{"detail": "target"}') if target == b"/refused" else None

    def body_length(self, length: int):
        self.lengths.append(length)
        return (413, b'{"detail": "body"}') if length > 10 else None

    def line_too_long(self, request_line: bool, max_length: int):
        self.long_lines.append((request_line, max_length))
        return (414 if request_line else 431), b'{"detail": "line"}'


def screened_connection(screen, application=None):
    """One connection of a daphne server built by the screened factory, on an in-memory transport."""
    from daphne.server import Server  # installs Twisted's asyncio reactor, as runserver does

    server = Server(application or (lambda scope, receive, send: None), endpoints=["tcp:port=0:interface=127.0.0.1"])
    server.connections = {}  # run() is not called, so its table of connections is set here
    channel = library_internals.screened_http_factory(screen)(server).buildProtocol(None)
    transport = StringTransport()
    channel.makeConnection(transport)
    return channel, transport


def assert_refused(transport: StringTransport, status: int, body: bytes) -> None:
    written = transport.value()
    assert written.startswith(b"HTTP/1.1 %d " % status), written
    assert written.endswith(b"\r\n\r\n" + body), written
    assert b"100 Continue" not in written and transport.disconnecting, "the connection is answered and closed"


def test_screened_connections_refuse_a_request_line_before_its_headers():
    screen = RefusingScreen()
    channel, transport = screened_connection(screen)
    with relied_on("twisted", "HTTPChannel.lineReceived / requests"):
        channel.dataReceived(b"GET /refused HTTP/1.1\r\nHost: a")
        assert_refused(transport, 414, b'{"detail": "target"}')
        assert channel.requests == [], "no request was made of it"


@pytest.mark.parametrize(
    ("sent", "request_line", "status"),
    [(b"GET /" + b"a" * 20_000, True, 414), (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 20_000, False, 431)],
    ids=["request line", "header"],
)
def test_screened_connections_answer_a_line_past_twisteds_limit(sent, request_line, status):
    screen = RefusingScreen()
    channel, transport = screened_connection(screen)
    with relied_on("twisted", "LineReceiver.lineLengthExceeded / HTTPChannel.MAX_LENGTH"):
        channel.dataReceived(sent)
        assert_refused(transport, status, b'{"detail": "line"}')
        assert screen.long_lines == [(request_line, channel.MAX_LENGTH)]


def test_screened_connections_refuse_a_declared_length_before_the_body_and_before_100_continue():
    screen = RefusingScreen()
    channel, transport = screened_connection(screen)
    with relied_on("twisted", "HTTPChannel.allHeadersReceived / length"):
        channel.dataReceived(
            b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 500000000\r\nExpect: 100-continue\r\n\r\nabc"
        )
        assert_refused(transport, 413, b'{"detail": "body"}')
        assert screen.lengths == [500_000_000]
        assert channel.requests[0].content is None, "the request was never asked for its body"


def test_screened_connections_refuse_a_chunked_body_once_it_passes_the_limit():
    screen = RefusingScreen()
    channel, transport = screened_connection(screen)
    with relied_on("twisted", "Request.handleContentChunk / content; HTTPChannel.allContentReceived"):
        channel.dataReceived(b"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n")
        assert transport.value() == b"", "within the limit, nothing is answered yet"
        channel.dataReceived(b"8\r\nabcdefgh\r\n0\r\n\r\n")
        assert_refused(transport, 413, b'{"detail": "body"}')
        assert screen.lengths == [8, 16]
        assert channel.requests[0].content.tell() == 8, "the piece past the limit was not kept"


def test_screened_connections_hand_a_chunked_body_on_with_its_length():
    seen = []

    async def application(scope, receive, send):
        seen.append((dict(scope["headers"]), await receive()))

    async def scenario():
        channel, _ = screened_connection(RefusingScreen(), application)
        with relied_on("daphne", "WebRequest as the request factory of a Twisted HTTPChannel"):
            channel.dataReceived(
                b"POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n2\r\nef\r\n0\r\n\r\n"
            )
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.01)
            headers, message = seen[0]
            assert headers.get(b"content-length") == b"6" and b"transfer-encoding" not in headers, headers
            assert message["body"] == b"abcdef" and not message["more_body"], message
            channel.connectionLost(None)

    run_in_own_loop(scenario, timeout=30)


def test_screen_daphne_requests_replaces_the_factory_daphnes_server_builds(monkeypatch):
    from daphne import server

    monkeypatch.setattr(server, "HTTPFactory", server.HTTPFactory)  # put back afterwards
    with relied_on("daphne", "Server.run building its factory from daphne.server.HTTPFactory"):
        assert "HTTPFactory" in server.Server.run.__code__.co_names, "Server.run no longer looks the name up"
        library_internals.screen_daphne_requests(RefusingScreen())
        daphne_server = server.Server(None, endpoints=["tcp:port=0:interface=127.0.0.1"])
        built = server.HTTPFactory(daphne_server).buildProtocol(None)
        assert type(built).__name__ == "ScreenedChannel", type(built)
