"""The request limits against the real web process (runserver: daphne), with DEBUG off and on: every refusal is the
JSON error, before the request is read further; a chunked body is read whole, up to the limit.

The web process runs alone, with a body limit of 256 KiB (a 100k-deep JSON body fits); its broker is a closed port
(no test here needs one).
"""

from __future__ import annotations

import http.client
import json
import socket
import string
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.processes import Stack
from localkafka import free_port
from tests.conftest import ARTIFACTS

BODY_LIMIT = 256 * 1024
URL_LIMIT = 8192
PARAMS_LIMIT = 1000
ORDER = {"created_by": "ana", "equipment": ["KEYBOARD"]}
# A module-scoped web process serves every example.
EXAMPLES = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module", params=["0", "1"], ids=["debug off", "debug on"])
def stack(request):
    running = Stack(
        bootstrap_servers=f"127.0.0.1:{free_port()}",
        topic="orders",
        log_dir=ARTIFACTS / "stacks",
        services=("web",),
        extra_env={"DJANGO_DEBUG": request.param, "REQUEST_MAX_BODY_BYTES": str(BODY_LIMIT)},
    ).start()
    yield running
    running.stop()


class Answer:
    def __init__(self, response: http.client.HTTPResponse):
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    def json(self):
        assert self.headers.get_content_type() == "application/json", (self.status, self.headers, self.body[:300])
        return json.loads(self.body)


def read_answer(sock: socket.socket) -> Answer:
    response = http.client.HTTPResponse(sock)
    response.begin()
    return Answer(response)


def request(stack: Stack, method: str, target: str, body: bytes | None = None, headers=None) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", stack.web_port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def assert_json_error(answer: Answer, status: int, *words: str) -> None:
    assert answer.status == status, (answer.status, answer.body[:300])
    detail = answer.json()["detail"]
    assert all(word in detail for word in words), detail


def head(stack: Stack, method: str, target: str, *lines: str) -> bytes:
    return "\r\n".join([f"{method} {target} HTTP/1.1", f"Host: 127.0.0.1:{stack.web_port}", *lines, "", ""]).encode()


@pytest.mark.parametrize("expect", [False, True], ids=["plain", "expect 100-continue"])
def test_a_body_declared_over_the_limit_is_refused_before_it_is_read(stack, expect):
    """500 MB declared, ten bytes sent: the 413 comes without the rest (and without a 100 Continue first)."""
    lines = ["Content-Type: application/json", "Content-Length: 524288000"]
    with socket.create_connection(("127.0.0.1", stack.web_port), timeout=10) as sock:
        sock.sendall(head(stack, "POST", "/api/orders/computers", *lines, *(["Expect: 100-continue"] * expect)))
        sock.sendall(b"" if expect else b'{"a": "b",')
        answer = read_answer(sock)
        assert_json_error(answer, 413, str(BODY_LIMIT))
        assert answer.headers["Connection"] == "close" and sock.recv(1) == b"", "the server closed the connection"


def chunked(body: bytes, sizes: list[int]) -> bytes:
    pieces, start = [], 0
    for size in [*sizes, len(body)]:
        piece, start = body[start : start + size], start + size
        if piece:
            pieces.append(b"%x\r\n%s\r\n" % (len(piece), piece))
    return b"".join(pieces) + b"0\r\n\r\n"


@EXAMPLES
@given(sizes=st.lists(st.integers(1, 30), max_size=6), name=st.text(string.ascii_letters, min_size=1, max_size=20))
def test_a_chunked_json_body_is_read_whole(stack, sizes, name):
    body = json.dumps({**ORDER, "created_by": name}).encode()
    lines = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
    with socket.create_connection(("127.0.0.1", stack.web_port), timeout=10) as sock:
        sock.sendall(head(stack, "POST", "/api/orders/computers", *lines) + chunked(body, sizes))
        answer = read_answer(sock)
    assert answer.status == 201, answer.body
    assert answer.json()["created_by"] == name


def test_a_chunked_body_is_refused_once_it_passes_the_limit_not_at_its_end(stack):
    """Chunks up to one past the limit and no last chunk: the 413 comes anyway."""
    piece = b"x" * 8192
    lines = ["Content-Type: application/json", "Transfer-Encoding: chunked"]
    with socket.create_connection(("127.0.0.1", stack.web_port), timeout=10) as sock:
        sock.sendall(head(stack, "POST", "/api/orders/computers", *lines))
        for _ in range(BODY_LIMIT // len(piece) + 1):
            sock.sendall(b"%x\r\n%s\r\n" % (len(piece), piece))
        assert_json_error(read_answer(sock), 413, str(BODY_LIMIT))


PATHS = st.sampled_from(["/api/orders/computers", "/health", "/", "/static/dashboard/api.js", "/api/nowhere"])
# Short enough that 1,500 of them stay within the URL limit.
NAMES = st.text(string.ascii_lowercase, min_size=1, max_size=3)


@EXAMPLES
@given(path=PATHS, count=st.integers(PARAMS_LIMIT + 1, PARAMS_LIMIT + 500), name=NAMES)
def test_more_query_parameters_than_the_limit_are_a_400(stack, path, count, name):
    assert_json_error(request(stack, "GET", f"{path}?" + "&".join([name] * count)), 400, str(PARAMS_LIMIT))


@EXAMPLES
@given(path=PATHS, count=st.integers(1, PARAMS_LIMIT), name=NAMES)
def test_up_to_the_limit_of_query_parameters_is_served(stack, path, count, name):
    answer = request(stack, "GET", f"{path}?" + "&".join([name] * count))
    assert answer.status in {200, 404}, (answer.status, answer.body[:300])
    if answer.status == 404:
        assert answer.json() == {"detail": "Not found."}, "no Django page, debug or not"


@pytest.mark.parametrize("length", [URL_LIMIT + 1, 15_000, 16_385, 100_000])
def test_a_url_over_the_limit_is_a_414(stack, length):
    path = "/api/orders/computers?q="
    assert_json_error(request(stack, "GET", path + "a" * (length - len(path))), 414, "longer than")


def test_a_header_over_the_line_limit_is_a_431(stack):
    assert_json_error(request(stack, "GET", "/health", headers={"X-Long": "a" * 20_000}), 431, "header")


DOT_DOT = st.sampled_from(["..", "%2e%2e", "%2E%2E", ".%2e", "%2e."])


@EXAMPLES
@given(prefix=st.sampled_from(["/static/", "/static/dashboard/", "/api/", "/"]), dots=DOT_DOT, rest=NAMES)
def test_a_path_with_a_dot_dot_segment_is_a_404(stack, prefix, dots, rest):
    assert_json_error(request(stack, "GET", f"{prefix}{dots}/{rest}"), 404, "Not found")


@pytest.mark.parametrize(
    "path", ["/workbench/grpc/stream", "/workbench/grpc/call", "/api/orders/computers", "/dashboard/grpc/create"]
)
def test_json_nested_100k_deep_is_a_400(stack, path):
    body = b"[" * 100_000 + b"]" * 100_000
    answer = request(stack, "POST", path, body, {"Content-Type": "application/json"})
    assert_json_error(answer, 400, "nests deeper than 64")


def test_the_page_and_its_static_files_are_served(stack):
    page = request(stack, "GET", "/")
    assert page.status == 200 and b'src="/static/dashboard/' in page.body, page.status
    script = request(stack, "GET", "/static/dashboard/api.js")
    assert script.status == 200 and b"export" in script.body


@pytest.mark.parametrize(
    ("method", "path", "status"), [("GET", "/api/nowhere", 404), ("PUT", "/dashboard/grpc/create", 405)]
)
def test_an_api_path_answers_its_errors_in_json(stack, method, path, status):
    answer = request(stack, method, f"{path}?{uuid.uuid4().hex}")
    assert answer.status == status and "detail" in answer.json(), answer.body[:300]
