"""Closed-loop HTTP load: N threads, each with its own keep-alive connection, timing every request."""

from __future__ import annotations

import http.client
import json
import threading
import time

from bench.report import Figure


def post_json(
    name: str, port: int, path: str, body: dict, *, requests: int, concurrency: int, warmup: int, expect: int = 201
) -> Figure:
    payload = json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    per_thread = requests // concurrency
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(concurrency + 1)

    def worker(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for index in range(warmup // concurrency + count):
            if index == warmup // concurrency:
                barrier.wait()
            started = time.perf_counter()
            connection.request("POST", path, payload, headers)
            response = connection.getresponse()
            response.read()
            if response.status != expect:
                raise RuntimeError(f"{path} answered {response.status}")
            if index >= warmup // concurrency:
                mine.append((time.perf_counter() - started) * 1000)
        connection.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(per_thread,)) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    return Figure(name, len(latencies) / (time.perf_counter() - began), latencies)
