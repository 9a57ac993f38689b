"""What one HTTP request may be, and the answer when it is more: the project's JSON error ({"detail": ...}), never a
500, an HTML page or an empty reply, whether DEBUG is on or off.

- The web server asks `RequestLimits` as a request arrives (daphne's connections, through
  playground/library_internals.py): a URL over REQUEST_MAX_URL_BYTES is a 414 and one with more than
  REQUEST_MAX_QUERY_PARAMS parameters a 400, both before a header is read; a path with a `..` segment is a 404 (no
  file or route is named so; the static files' finder crashed on one); a body over REQUEST_MAX_BODY_BYTES is a 413
  before a byte of it is read when Content-Length says so, and as soon as a chunked one passes the limit.
- `json_nesting_limit` (a middleware) answers a body nested deeper than REQUEST_MAX_JSON_DEPTH with a 400 before any
  view parses it: Python's JSON parser recurses once per level, and a deep enough body was a RecursionError (a 500)
  wherever a view did not catch it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import unquote_to_bytes

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.http import JsonResponse

from playground.library_internals import Refusal

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RequestLimits:
    max_body_bytes: int
    max_url_bytes: int
    max_query_params: int

    @classmethod
    def from_settings(cls) -> RequestLimits:
        return cls(
            max_body_bytes=settings.REQUEST_MAX_BODY_BYTES,
            max_url_bytes=settings.REQUEST_MAX_URL_BYTES,
            max_query_params=settings.REQUEST_MAX_QUERY_PARAMS,
        )

    def request_line(self, target: bytes) -> Refusal | None:
        if len(target) > self.max_url_bytes:
            return _refuse(HTTPStatus.REQUEST_URI_TOO_LONG, f"The URL is longer than {self.max_url_bytes} bytes.")
        path, _, query = target.partition(b"?")
        if b".." in unquote_to_bytes(path).split(b"/"):
            return _refuse(HTTPStatus.NOT_FOUND, "Not found.")
        # Counted as Django counts them (DATA_UPLOAD_MAX_NUMBER_FIELDS, which is this limit): one more than the &s.
        if query and query.count(b"&") + 1 > self.max_query_params:
            return _refuse(HTTPStatus.BAD_REQUEST, f"More than {self.max_query_params} query parameters.")
        return None

    def body_length(self, length: int) -> Refusal | None:
        if length > self.max_body_bytes:
            return _refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"The body is larger than {self.max_body_bytes} bytes.")
        return None

    def line_too_long(self, request_line: bool, max_length: int) -> Refusal:
        if request_line:
            return _refuse(HTTPStatus.REQUEST_URI_TOO_LONG, f"The request line is longer than {max_length} bytes.")
        return _refuse(
            HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"A request header is longer than {max_length} bytes."
        )


def _refuse(status: HTTPStatus, detail: str) -> Refusal:
    logger.warning("Refused a request: %d %s", status, detail)
    return status, json.dumps({"detail": detail}).encode()


FORM_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_NOT_MARKS = bytes(sorted(set(range(256)) - set(b'"[]{}')))
_AS_PARENTHESES = bytes.maketrans(b"[{]}", b"(())")


def nests_deeper_than(body: bytes, limit: int) -> bool:
    """Whether `body`, read as JSON, nests arrays and objects deeper than `limit` (brackets in strings do not count).

    Each round takes out every innermost pair, so a body `limit` deep is empty after `limit` rounds; what is left of
    one that is not valid JSON is unclosed brackets, too deep if more than `limit`. Every pass is one of bytes' own
    (C); the slowest body is one that sheds little in each of `limit` rounds: 2.5 MB of 64-deep staircases took
    1.4 s on a loaded 2-core machine (load 15), where 2.5 MB of plain brackets took 60 ms.
    """
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    # Escapes out first: then every quote left opens or closes a string, and every other piece is outside one.
    marks = _ESCAPE.sub(b"", body).translate(None, _NOT_MARKS)
    brackets = b"".join(marks.split(b'"')[::2]).translate(_AS_PARENTHESES)
    for _ in range(limit):
        inner_taken = brackets.replace(b"()", b"")
        if len(inner_taken) == len(brackets):
            break
        brackets = inner_taken
    return b"()" in brackets or brackets.count(b"(") > limit


def _body_to_measure(request) -> bytes | None:
    """The body, unless it is a form or has too few opening brackets to nest too deeply."""
    if request.content_type in FORM_TYPES:
        return None
    body = request.body
    return body if body.count(b"[") + body.count(b"{") > settings.REQUEST_MAX_JSON_DEPTH else None


def _too_deep() -> JsonResponse:
    detail = f"The body nests deeper than {settings.REQUEST_MAX_JSON_DEPTH} levels."
    return JsonResponse({"detail": detail}, status=400)


def json_nesting_limit(get_response):
    """Middleware: a request body that is not a form, nested deeper than REQUEST_MAX_JSON_DEPTH, is a 400. Under
    ASGI a body with many brackets is measured on a thread: a megabyte of them takes a while, which the event loop
    (every websocket of the process) must not wait for."""
    if iscoroutinefunction(get_response):

        async def middleware(request):
            body = _body_to_measure(request)
            limit = settings.REQUEST_MAX_JSON_DEPTH
            if body is not None and await sync_to_async(nests_deeper_than, thread_sensitive=False)(body, limit):
                return _too_deep()
            return await get_response(request)

        return markcoroutinefunction(middleware)

    def middleware(request):
        body = _body_to_measure(request)
        if body is not None and nests_deeper_than(body, settings.REQUEST_MAX_JSON_DEPTH):
            return _too_deep()
        return get_response(request)

    return middleware


json_nesting_limit.sync_capable = True
json_nesting_limit.async_capable = True
