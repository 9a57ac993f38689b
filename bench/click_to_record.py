"""Click → record shown, in Chromium: orders placed through the dashboard's form over REST and over gRPC, timed by
the page's own timeline ("click → shown": the click until the order's Kafka record arrived on the page's websocket),
vs the same orders' response time (click → HTTP / gRPC response shown), so the ratio is what the outbox publisher,
Kafka and the relay add.

    .venv/bin/python -m bench.click_to_record [--orders 50] [--warmup 5] [--outbox-poll 0.5] [--no-wakeup]

The Stack runs `runserver` (DEBUG on: it serves the page's static files), `rungrpc` and `publish_outbox` against a
throwaway broker; Playwright drives Debian's Chromium (headless). Orders go one at a time, REST and gRPC
alternating, each after the previous one's record was shown and a random 0-100 ms pause (so clicks do not fall
in step with the publisher's poll when nudges are off). "orders/s" is 1000 / mean latency: one-at-a-time orders
per second.
"""

from __future__ import annotations

import argparse
import random
import statistics

from playwright.sync_api import sync_playwright

from bench.report import Figure, print_table
from bench.ws import add_publisher_options, publisher_env, running_stack
from harness.chromium import CHROMIUM, CHROMIUM_ARGS

TRANSPORTS = ("rest", "grpc")
# Each hop of the timeline as {name: [detail text, ms since the click]}.
READ_TIMELINE = """() => Object.fromEntries([...document.querySelectorAll('#timeline li[data-hop]')].map((li) =>
  [li.dataset.hop, [li.querySelectorAll('span')[1].textContent, Number(li.dataset.at)]]))"""


def place(page, transport: str) -> dict[str, list[str]]:
    """Place one order through the form and return its finished timeline."""
    page.check(f"input[name=transport][value={transport}]")
    page.evaluate("() => document.getElementById('timeline').replaceChildren()")
    page.click("#place-order")
    page.wait_for_selector("#timeline li.total", timeout=15_000)
    hops = page.evaluate(READ_TIMELINE)
    expected = "HTTP 201" if transport == "rest" else "gRPC OK"
    if not hops["response"][0].startswith(expected):
        raise RuntimeError(f"the {transport} order was answered {hops['response'][0]!r}")
    return hops


def figure(name: str, latencies: list[float]) -> Figure:
    return Figure(name, 1000 / statistics.mean(latencies), latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=50, help="measured orders per transport")
    parser.add_argument("--warmup", type=int, default=5, help="orders per transport not counted")
    add_publisher_options(parser)
    options = parser.parse_args()
    env = publisher_env(options)
    pause = random.Random(1)
    timelines: dict[str, list[dict]] = {transport: [] for transport in TRANSPORTS}
    with running_stack(("web", "grpc", "publisher"), DJANGO_DEBUG="1", **env) as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(stack.base_url + "/")
            for badge in ("#ws-state", "#kafka-state"):
                page.wait_for_selector(f"{badge}[data-state=ok]", timeout=30_000)
            page.fill("#created-by", "bench")
            for item in ("KEYBOARD", "MOUSE", "MOUSE", "MONITOR"):
                page.click(f".add-equipment [data-item={item}]")
            for index in range(options.warmup + options.orders):
                for transport in TRANSPORTS:
                    hops = place(page, transport)
                    if index >= options.warmup:
                        timelines[transport].append(hops)
                    page.wait_for_timeout(pause.uniform(0, 100))
        finally:
            browser.close()

    for transport, trips in timelines.items():
        shown = [trip["shown here"][1] for trip in trips]
        responded = [trip["response"][1] for trip in trips]
        print_table(
            f"Click → record shown in Chromium, {transport.upper()} ({len(trips)} orders, one at a time)",
            figure("click → Kafka record shown (timeline)", shown),
            figure(f"click → {transport.upper()} response shown", responded),
            unit="orders/s",
        )
        to_record = [trip["Kafka record"][1] for trip in trips]
        print(
            f"  since the click (p50): response {statistics.median(responded):.0f} ms, record timestamp"
            f" {statistics.median(to_record):.0f} ms, shown {statistics.median(shown):.0f} ms"
        )


if __name__ == "__main__":
    main()
