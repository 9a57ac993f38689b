"""The Map view's frame rate in Chromium while records arrive at 200/s: every record pulses along its path on the
map, aggregated to one pulse per edge per frame.

    .venv/bin/python -m bench.map_fps [--rate 200] [--seconds 20] [--width 1440] [--reduced-motion]

The Stack runs `runserver` (DEBUG on: it serves the page's static files), `rungrpc` and the publisher against a
throwaway broker, so the map has its API servers, database, publisher, broker, relay and browser; a producer process
writes order records straight to the topic on a fixed schedule (bench.ws.fixed_rate_producer). Playwright drives
Debian's Chromium (headless) at 1440 x 900 on /map.

Figures, over the measured window only:
- frames: the deltas between requestAnimationFrame callbacks (a loop the bench adds before the page's scripts):
  p50, p99 and max, and the frame rate they make (frames / seconds);
- long tasks: the Long Tasks API's count and total (main-thread tasks over 50 ms);
- pulses: the most pulse elements on the map at once, and the records the map counted on the relay → browsers edge
  (every record the feed brought), against the records produced.
The target: above 30 frames per second at 200 records/s.
"""

from __future__ import annotations

import argparse
import itertools
import os

from playwright.sync_api import sync_playwright

from bench.report import percentile
from bench.ws import fixed_rate_producer, running_stack
from harness.chromium import CHROMIUM, CHROMIUM_ARGS

# Added before the page's scripts run: every animation frame's time and every long task, and the most pulses seen.
COLLECT = """(() => {
  const seen = { frames: [], longTasks: [], maxPulses: 0 };
  Object.defineProperty(window, "__benchSeen", { value: seen });
  const tick = (now) => {
    seen.frames.push(now);
    if (seen.frames.length % 10 === 0) {
      seen.maxPulses = Math.max(seen.maxPulses, document.querySelectorAll("#map-pulses .map-pulse").length);
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen.longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: "longtask", buffered: true });
})()"""
BROWSERS_EDGE = "#map-svg .map-edge[data-edge$='>browsers']"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200, help="records per second while measuring")
    parser.add_argument("--seconds", type=float, default=20, help="how long to measure")
    parser.add_argument("--width", type=int, default=1440, help="viewport width in px")
    parser.add_argument("--reduced-motion", action="store_true", help="the page prefers reduced motion (no dots)")
    options = parser.parse_args()

    with running_stack(("web", "grpc", "publisher"), DJANGO_DEBUG="1") as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(
                viewport={"width": options.width, "height": 900},
                reduced_motion="reduce" if options.reduced_motion else "no-preference",
            )
            page.add_init_script(COLLECT)
            page.goto(stack.base_url + "/map")
            for badge in ("#ws-state", "#kafka-state"):
                page.wait_for_selector(f"{badge}[data-state=ok]", timeout=30_000)
            page.wait_for_selector(BROWSERS_EDGE, state="attached", timeout=30_000)
            page.wait_for_timeout(2000)
            count = round(options.rate * options.seconds)
            producer = fixed_rate_producer(stack.bootstrap_servers, stack.topic, options.rate, count)
            before = int(page.get_attribute(BROWSERS_EDGE, "data-count"))
            began = page.evaluate("() => performance.now()")
            last_key = producer.result(options.seconds + 60, stop=False)[-1]
            page.wait_for_selector(f'#feed tr.record[data-key="{last_key}"]', state="attached", timeout=30_000)
            ended = page.evaluate("() => performance.now()")
            page.wait_for_timeout(700)  # the last rate tick writes the edges' counts
            counted = int(page.get_attribute(BROWSERS_EDGE, "data-count")) - before
            seen = page.evaluate("() => window.__benchSeen")
        finally:
            browser.close()

    times = [at for at in seen["frames"] if began <= at <= ended]
    deltas = [later - earlier for earlier, later in itertools.pairwise(times)]
    long_tasks = [duration for start, duration in seen["longTasks"] if began <= start <= ended]
    seconds = (ended - began) / 1000
    fps = len(deltas) / seconds if seconds else 0.0
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\nThe map at {options.width} px{' (reduced motion)' if options.reduced_motion else ''},"
        f" {options.rate:g} records/s for {options.seconds:g} s  (cores: {os.cpu_count()}, load: {load})"
    )
    print(f"  frames: {len(deltas)} in {seconds:.1f} s = {fps:.1f} frames/s")
    print(
        "  frame time (rAF deltas): "
        + "  ".join(f"p{round(q * 100)} {percentile(deltas, q):.1f} ms" for q in (0.5, 0.99))
        + f"  max {max(deltas, default=0):.1f} ms"
    )
    print(f"  long tasks (> 50 ms): {len(long_tasks)}, {sum(long_tasks):.0f} ms in all")
    print(f"  pulses on the map at once, at most: {seen['maxPulses']}")
    print(f"  records counted on relay → browsers: {counted} of {count} produced")
    print(f"  target: above 30 frames/s — {'met' if fps > 30 else 'missed'} ({fps:.1f})")


if __name__ == "__main__":
    main()
