"""Every reach into a library's private internals, in one place: what each relies on, and why no public API would do.

A leaf: it imports libraries only. tests/playground/test_library_internals.py exercises each reach against the
installed library and names the library and its version when one is gone or changed.
"""

from __future__ import annotations

import functools
from typing import Any

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
