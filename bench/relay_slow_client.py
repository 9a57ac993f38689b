"""A websocket client that never reads, asking for large replays again and again: the web process's memory.

    .venv/bin/python -m bench.relay_slow_client [--records 600] [--value-kib 100] [--seconds 40] [--budgets 8 0]

Fills a fresh 3-partition topic with `--records` records of `--value-kib` KiB (ASCII text: each frame carries the
whole value), starts the real web process (`runserver`, DEBUG off), and opens one raw-TCP websocket that sends
``{"action": "replay", "from": "beginning"}`` every 0.5 s and never reads a byte after the handshake (its receive
buffer is 64 KiB). When the server drops it, it connects again at once and goes on. The web process's RSS (VmRSS)
is sampled every 0.5 s beside its idle figure. One run per `--budgets` value (MiB, RELAY_SOCKET_BUDGET_BYTES;
0 means no budget: 1 TiB), each on a web process of its own.

Measured here (2 shared cores, 600 x 100 KiB, one replay asked every 0.5 s): web RSS idle 107 MiB. With the 8 MiB
budget the socket is closed with 4008 about every 6 s (it reconnects): peak +94 MiB over 40 s, +139 MiB over 90 s
(glibc's per-thread arenas keep growing slowly; with MALLOC_ARENA_MAX=2: +99 MiB peak over 60 s, flat at about
+85 MiB from 30 s on). With no budget the same client is never closed within 40 s (daphne's ping timeout needs
20 + 30 s) and RSS grows linearly, about 5 MiB/s: +199 MiB at 40 s.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import time

from kafka import KafkaProducer

from bench.ws import rss_mib, running_stack

REPLAY = json.dumps({"action": "replay", "from": "beginning"}).encode()


def fill(bootstrap: str, topic: str, records: int, value_kib: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_request_size=4 * 1024 * 1024)
    value = b"x" * (value_kib * 1024)
    for i in range(records):
        producer.send(topic, key=f"k{i}".encode(), value=value, partition=i % 3)
    producer.flush(60)
    producer.close()


def masked_text_frame(payload: bytes) -> bytes:
    """A client->server websocket text frame (FIN, opcode 1, masked, as clients must)."""
    mask = os.urandom(4)
    header = bytes([0x81])
    if len(payload) < 126:
        header += bytes([0x80 | len(payload)])
    else:
        header += bytes([0x80 | 126]) + len(payload).to_bytes(2, "big")
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def connect_not_reading(port: int) -> socket.socket:
    """Open /ws/orders/ over raw TCP, read the handshake answer only, and never read again."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/orders/ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://127.0.0.1:{port}\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)  # byte by byte: not one byte past the handshake is taken
        if not chunk:
            raise RuntimeError("the server closed during the handshake")
        answer += chunk
    if b" 101 " not in answer.split(b"\r\n", 1)[0]:
        raise RuntimeError(f"handshake refused: {answer!r}")
    return sock


def run(options: argparse.Namespace, budget_mib: int) -> None:
    budget = budget_mib * 1024 * 1024 if budget_mib else 1 << 40
    with running_stack(("web",), RELAY_SOCKET_BUDGET_BYTES=str(budget)) as stack:
        web = stack.processes["web"].pid
        fill(stack.bootstrap_servers, stack.topic, options.records, options.value_kib)
        time.sleep(2)
        idle = rss_mib(web)
        label = f"{budget_mib} MiB budget" if budget_mib else "no budget"
        print(
            f"\n== {label}: {options.records} records of {options.value_kib} KiB "
            f"({options.records * options.value_kib / 1024:.0f} MiB on the topic); web RSS idle {idle:.1f} MiB"
        )
        sock, drops, sent, samples = connect_not_reading(stack.web_port), 0, 0, []
        start = time.monotonic()
        while (elapsed := time.monotonic() - start) < options.seconds:
            try:
                sock.sendall(masked_text_frame(REPLAY))
                sent += 1
            except OSError:
                drops += 1
                sock.close()
                sock = connect_not_reading(stack.web_port)
            samples.append((elapsed, rss_mib(web)))
            time.sleep(0.5)
        sock.close()
        time.sleep(3)
        after = rss_mib(web)
        peak = max(rss for _, rss in samples)
        every = max(1, len(samples) // 10)
        print("  t (s)  web RSS (MiB)")
        for elapsed, rss in samples[::every]:
            print(f"  {elapsed:5.1f}  {rss:8.1f}")
        print(
            f"  replays asked {sent}, connections dropped by the server {drops}; RSS idle {idle:.1f}, "
            f"peak {peak:.1f} (+{peak - idle:.1f}), 3 s after the client left {after:.1f} MiB"
        )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--value-kib", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--budgets", type=int, nargs="+", default=[8, 0], help="MiB; 0: no budget")
    options = parser.parse_args()
    for budget in options.budgets:
        run(options, budget)


if __name__ == "__main__":
    main()
