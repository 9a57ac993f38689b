"""Place orders on a running web process over plain HTTP, many at once, timing each."""

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def post_order(base_url: str, created_by: str) -> tuple[int, str | None, float]:
    """(HTTP status, order id or None, seconds taken)."""
    request = urllib.request.Request(
        f"{base_url}/api/orders/computers",
        method="POST",
        data=json.dumps({"created_by": created_by, "equipment": ["KEYBOARD", "MOUSE"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())["order_id"], time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, None, time.monotonic() - started


def burst(base_url: str, count: int, *, prefix: str, concurrency: int = 8, on_each=None) -> list[tuple]:
    """POST `count` orders with `concurrency` threads; `on_each(index)` runs before each (to inject a fault)."""

    def one(index):
        if on_each:
            on_each(index)
        return post_order(base_url, f"{prefix}-{index}")

    with ThreadPoolExecutor(concurrency) as pool:
        return list(pool.map(one, range(count)))
