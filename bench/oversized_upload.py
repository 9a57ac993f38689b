"""An oversized upload: the web process's memory while a client sends a 500 MB POST.

    .venv/bin/python -m bench.oversized_upload [--megabytes 500]

Starts the real web process (`runserver`: daphne, the playground's defaults: DEBUG off, a 2.5 MB body limit) alone,
warms it with one order, then POSTs `--megabytes` MB of JSON-ish bytes to /api/orders/computers over a raw socket,
twice: once with Content-Length, once chunked. The body is generated as it is sent (one 64 KiB piece, sent again
and again), so the client holds none of it. The client sends until the server answers or closes, then reads the
answer. The web process's RSS (VmRSS) is read before, every 0.1 s during, and 2 s after each upload.

Before the request limits, daphne read the whole body (to a temporary file, then into memory) before Django's limit
refused it: RSS went from 206 to 729 MB and stayed there.
"""

from __future__ import annotations

import argparse
import http.client
import select
import socket
import tempfile
import threading
import time
from pathlib import Path

from bench.ws import rss_mib
from harness.processes import Stack
from localkafka import free_port

PIECE = b'{"x": "' + b"y" * (64 * 1024 - 10) + b'"},'
ORDER = b'{"created_by": "bench", "equipment": ["KEYBOARD"]}'


class RssSampler(threading.Thread):
    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.samples, self.stopped = pid, [], threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.samples.append(rss_mib(self.pid))
            time.sleep(0.1)


def upload(port: int, total: int, chunked: bool) -> tuple[bytes, int, float]:
    """Send a `total`-byte POST until the server answers: its answer's start, the bytes sent, the seconds taken."""
    length_line = b"Transfer-Encoding: chunked" if chunked else b"Content-Length: %d" % total
    head = b"POST /api/orders/computers HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%s\r\n\r\n"
    framed = b"%x\r\n%s\r\n" % (len(PIECE), PIECE) if chunked else PIECE
    started = time.monotonic()
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        sock.sendall(head % length_line)
        try:
            while sent < total and not select.select([sock], [], [], 0)[0]:
                sock.sendall(framed)
                sent += len(PIECE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed: its answer is read below
        response = http.client.HTTPResponse(sock)
        try:
            response.begin()
            status = f"{response.status} {response.read()[:80].decode(errors='replace')}".encode()
        except (ConnectionResetError, http.client.RemoteDisconnected) as lost:
            status = f"no answer ({type(lost).__name__})".encode()
    return status, sent, time.monotonic() - started


def order_once(port: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", "/api/orders/computers", ORDER, {"Content-Type": "application/json"})
    assert connection.getresponse().status == 201
    connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--megabytes", type=int, default=500, help="size of the upload (default 500)")
    options = parser.parse_args()
    stack = Stack(
        bootstrap_servers=f"127.0.0.1:{free_port()}",  # no broker: the upload needs none
        topic="orders",
        log_dir=Path(tempfile.mkdtemp(prefix="bench-upload-")),
        services=("web",),
    ).start()
    try:
        pid = stack.processes["web"].pid
        order_once(stack.web_port)
        for chunked in (False, True):
            before = rss_mib(pid)
            sampler = RssSampler(pid)
            sampler.start()
            status, sent, seconds = upload(stack.web_port, options.megabytes * 1_000_000, chunked)
            time.sleep(2)
            sampler.stopped.set()
            sampler.join()
            after = rss_mib(pid)
            order_once(stack.web_port)  # the process still serves
            print(f"{options.megabytes} MB POST, {'chunked' if chunked else 'Content-Length'}:")
            print(f"  answer: {status.decode()} after {seconds:.2f} s, {sent / 1e6:.1f} MB sent")
            print(f"  web RSS MiB: before {before:.1f}, peak during {max(sampler.samples):.1f}, after {after:.1f}")
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
