"""Every reach into a library's private internals, in one place: what each relies on, and why no public API would do.

A leaf: it imports libraries only. tests/playground/test_library_internals.py exercises each reach against the
installed library and names the library and its version when one is gone or changed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from http import HTTPStatus
from typing import Any, Protocol

from django.http import HttpRequest, HttpResponseBase
from django.middleware.csrf import CsrfViewMiddleware
from kafka import KafkaConsumer, KafkaProducer, TopicPartition


def force_close_sender(producer: KafkaProducer, timeout: float) -> None:
    """Make the producer's sender thread fail its buffered batches, and wait up to `timeout` s for it to end.

    Relies on kafka-python 3.0's ``KafkaProducer._sender`` (a ``kafka.producer.sender.Sender`` thread) and its
    ``force_close()``, which aborts the incomplete batches (their futures fail) and ends the thread's loop.
    Why: ``close()`` flushes first and raises KafkaTimeoutError when that times out, leaving the thread running with
    the records; no public call gives them up.
    """
    producer._sender.force_close()
    producer._sender.join(timeout)


def partition_being_parsed(consumer: KafkaConsumer) -> TopicPartition | None:
    """The partition whose fetched records the consumer was parsing (when poll() raised), or None if unknown.

    Relies on kafka-python 3.0's ``KafkaConsumer._fetcher._next_partition_records``: the fetcher keeps the
    PartitionRecords it is parsing in line there, with their ``topic_partition``. Why: a CorruptRecordError names no
    partition, and polling again to find it would raise again forever.
    """
    in_line = getattr(getattr(consumer, "_fetcher", None), "_next_partition_records", None)
    tp = getattr(in_line, "topic_partition", None)
    return tp if isinstance(tp, TopicPartition) else None


def daphne_protocol(send: Any) -> Any | None:
    """The daphne protocol (one client connection) behind an ASGI ``send``, or None under another server.

    Relies on daphne 4's ``Server.create_application`` handing the application
    ``send=partial(server.handle_reply, protocol)``. Why: ASGI gives an application no way to reach its connection,
    and daphne applies no backpressure, so a slow client's backlog can only be read from the protocol's transport.
    """
    return send.args[0] if isinstance(send, functools.partial) and send.args else None


def twisted_write_backlog(transport: Any) -> int | None:
    """Bytes written to a Twisted TCP transport that the kernel has not taken yet, or None if it keeps no such buffer.

    Relies on ``twisted.internet.abstract.FileDescriptor``'s write buffer: ``dataBuffer`` unsent from ``offset`` on,
    plus ``_tempDataLen`` bytes of writes not yet joined into it. Why: Twisted has no public call for the size of
    what is queued for a connection.
    """
    try:
        return len(transport.dataBuffer) - transport.offset + transport._tempDataLen
    except (AttributeError, TypeError):
        return None


def update_csp(response: HttpResponseBase, directives: dict[str, list[str]]) -> None:
    """Add `directives` to the Content-Security-Policy django-csp's middleware sends with this one response.

    Relies on django-csp 4.0's ``CSPMiddleware`` reading ``response._csp_update`` (what its ``csp_update`` view
    decorator sets). Why: the decorator applies to every response of a view, and only a DRF response rendered as
    HTML (decided once its renderer is chosen) needs the addition.
    """
    response._csp_update = directives


class CsrfCheck(CsrfViewMiddleware):
    """Django's CSRF check whose ``process_view`` answers the reason it refuses a request, not a 403 page.

    Relies on Django's CsrfViewMiddleware sending every refusal through ``_reject(request, reason)`` and returning
    its result from ``process_view`` (None when the request passes); DRF's CSRFCheck relies on the same. Why:
    Django has no public call that runs the check (cookie, Origin, token) and says why it failed.
    """

    def _reject(self, request: HttpRequest, reason: str) -> str:
        return reason


def csrf_refusal(request: HttpRequest) -> str | None:
    """Django's CSRF check on `request`: the reason it refuses it, or None when it passes."""
    check = CsrfCheck(lambda _: None)
    check.process_request(request)  # reads the CSRF cookie
    return check.process_view(request, None, (), {})


# A refusal: an HTTP status and its body, the project's JSON error.
Refusal = tuple[int, bytes]


class RequestScreen(Protocol):
    """What daphne's connections ask about a request as it arrives; None lets it go on (see request_limits.py)."""

    def request_line(self, target: bytes) -> Refusal | None:
        """The request line's target (path and query, as sent) has arrived; no header has been read."""

    def body_length(self, length: int) -> Refusal | None:
        """The body will be (Content-Length), or has so far been (chunked), `length` bytes; no more has been read."""

    def line_too_long(self, request_line: bool, max_length: int) -> Refusal:
        """The request line (or a header line) runs past the `max_length` bytes the connection reads of one line."""


def screen_daphne_requests(screen: RequestScreen) -> None:
    """Make the daphne server that runserver is about to start ask `screen` about each request as it arrives.

    Relies on daphne 4's ``Server.run`` building its HTTP factory from the name ``HTTPFactory`` in ``daphne.server``
    (replaced here; runserver imports the ASGI application, which calls this, before it runs the server), and on what
    `screened_http_factory` relies on. Why: daphne reads a whole body (to a file, then into memory) before the
    application sees the request, and a request line past Twisted's line limit gets no answer at all; neither has an
    option or hook.
    """
    from daphne import server

    server.HTTPFactory = screened_http_factory(screen)


def screened_http_factory(screen: RequestScreen) -> Callable[[Any], Any]:
    """daphne's HTTP factory (called with its ``Server``) whose connections ask `screen` before they read further, and
    answer a refusal themselves, closing the connection.

    Relies on Twisted 26's ``HTTPChannel`` (a ``LineReceiver``): ``lineReceived`` for each line up to the body (the
    request line when ``requests`` is empty; a request is queued from its request line until it is answered),
    ``lineLengthExceeded`` for a line past ``MAX_LENGTH``, ``allHeadersReceived`` with ``length`` set from
    Content-Length (None for a chunked body) before it asks the request for the body or answers ``100 Continue``,
    ``allContentReceived`` once the body is in; its ``Request`` taking each decoded piece of body in
    ``handleContentChunk`` and holding it in ``content``; ``HTTPFactory.buildProtocol`` building the channel with
    ``self.protocol()``; and daphne 4's ``HTTPFactory.buildProtocol`` setting ``requestFactory = WebRequest``.
    Why: see `screen_daphne_requests`. The channel is Twisted's HTTP/1.1 one, without the wrapper that switches to
    HTTP/2 after a TLS handshake asks for it: runserver serves plain HTTP. The classes are made on call, as
    Twisted's web module takes a quarter of a second to import and most processes that import this one serve no HTTP.
    """
    from daphne.http_protocol import HTTPFactory, WebRequest
    from twisted.web.http import HTTPChannel

    class ScreenedChannel(HTTPChannel):
        def __init__(self):
            super().__init__()
            self.refused = False

        def lineReceived(self, line: bytes) -> None:
            if not self.requests and line:
                parts = line.split(b" ")
                if len(parts) == 3 and (refusal := screen.request_line(parts[1])):
                    return self.refuse(refusal)
            return super().lineReceived(line)

        def lineLengthExceeded(self, line: bytes) -> None:
            self.refuse(screen.line_too_long(request_line=not self.requests, max_length=self.MAX_LENGTH))

        def allHeadersReceived(self) -> None:
            if self.length is not None and (refusal := screen.body_length(self.length)):
                return self.refuse(refusal)
            return super().allHeadersReceived()

        def allContentReceived(self) -> None:
            if self.refused:
                return None
            if self.length is None:
                # A chunked body, now whole: the application gets it with its length, as if it had been sent so
                # (Django's request reads a body without one, DRF takes it for empty).
                headers = self.requests[-1].requestHeaders
                headers.removeHeader(b"Transfer-Encoding")
                headers.setRawHeaders(b"Content-Length", [b"%d" % self.requests[-1].content.tell()])
            return super().allContentReceived()

        def refuse(self, refusal: Refusal) -> None:
            status, body = refusal
            self.refused = True
            self.transport.write(
                b"HTTP/1.1 %d %s\r\n" % (status, HTTPStatus(status).phrase.encode())
                + b"Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
                + b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                + body
            )
            self.loseConnection()

    class ScreenedRequest(WebRequest):
        def handleContentChunk(self, data: bytes) -> None:
            if self.channel.refused:
                return
            if refusal := screen.body_length(self.content.tell() + len(data)):
                return self.channel.refuse(refusal)
            return super().handleContentChunk(data)

    class ScreenedHTTPFactory(HTTPFactory):
        def protocol(self) -> ScreenedChannel:
            return ScreenedChannel()

        def buildProtocol(self, addr: Any) -> ScreenedChannel:
            channel = super().buildProtocol(addr)
            channel.requestFactory = ScreenedRequest
            return channel

    return ScreenedHTTPFactory
