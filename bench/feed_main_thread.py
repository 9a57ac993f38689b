"""Main-thread time per batch of incoming websocket messages in Chromium, with the feed full: the page at 1440 px
keeps 2,000 rows (filled by records produced before the measurement), then order records arrive at 200/s for 20 s.

    .venv/bin/python -m bench.feed_main_thread [--rows 2000] [--rate 200] [--seconds 20] [--view /] [--no-trace]

The Stack runs `runserver` only (DEBUG on: it serves the page's static files) against a throwaway broker; a
producer process writes order.created records straight to the topic on a fixed schedule. Playwright drives
Debian's Chromium (headless).

Figures:
- per batch, with its drawing: socket.js hands the messages that arrived since the last animation frame on together,
  in the frame's own task, right before that frame's style, layout and paint; the figure is the whole main-thread
  task that ran each "ws-batch" (see below), found in Chrome's performance trace (CDP Tracing): parsing, every
  subscriber's work and the drawing it causes. Its thread CPU time is printed beside it: the wall time also counts
  the moments another process had the core, so on a busy machine the CPU figure says more about the page.
- per batch, script only: the page's own User Timing measure "ws-batch" (parsing the messages and every
  subscriber's work: feed rows, the orders table, the counts), collected by a PerformanceObserver the bench adds (it
  sees entries the page clears); only batches of the measured window count.
- frames: every main-thread task that drew a frame, whether a batch ran in it or not (nothing the batches cause
  can hide in a later frame); all tasks: every task of the main thread in the window.
- long tasks: the Long Tasks API's count and total (tasks over 50 ms) in the window.
The target is a p99 per batch, with its drawing, under 16 ms (one frame at 60 Hz).
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from bench.report import percentile
from bench.ws import fixed_rate_producer, running_stack
from harness.chromium import CHROMIUM, CHROMIUM_ARGS

BATCH_MEASURE = "ws-batch"  # socket.js BATCH_MEASURE
# Added before the page's scripts run: keep every "ws-batch" measure and long task, whatever the page clears.
COLLECT = """(() => {
  const seen = { measures: [], longTasks: [] };
  Object.defineProperty(window, "__benchSeen", { value: seen });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntriesByName("ws-batch")) {
      seen.measures.push([entry.startTime, entry.duration, entry.detail.messages]);
    }
  }).observe({ type: "measure", buffered: true });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen.longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: "longtask", buffered: true });
})()"""
TRACE_CATEGORIES = ["devtools.timeline", "disabled-by-default-devtools.timeline", "toplevel", "blink.user_timing"]


@dataclass
class TraceFigures:
    """Main-thread durations (ms) from a Chrome trace: wall and thread CPU time of the task that ran each batch, of
    every task that drew a frame, and of every task."""

    batches: list[float]
    batches_cpu: list[float]
    frames: list[float]
    tasks: list[float]


def trace_figures(trace: bytes) -> TraceFigures:
    events = json.loads(trace)
    events = events["traceEvents"] if isinstance(events, dict) else events
    mains = {
        (event["pid"], event["tid"])
        for event in events
        if event.get("name") == "thread_name" and event.get("args", {}).get("name") == "CrRendererMain"
    }
    by_thread: dict[tuple[int, int], list[dict]] = {main: [] for main in mains}
    for event in events:
        where = (event.get("pid"), event.get("tid"))
        if where in by_thread:
            by_thread[where].append(event)
    main = max(by_thread.values(), key=lambda thread: sum(event.get("name") == "RunTask" for event in thread))
    tasks = sorted(
        (event for event in main if event.get("name") == "RunTask" and event.get("ph") == "X"),
        key=lambda task: task["ts"],
    )
    starts = [task["ts"] for task in tasks]

    def task_at(ts: float) -> dict | None:
        index = bisect.bisect_right(starts, ts) - 1
        return tasks[index] if index >= 0 and ts <= tasks[index]["ts"] + tasks[index]["dur"] else None

    batch_tasks = {
        id(task): task
        for event in main
        if event.get("name") == BATCH_MEASURE and event.get("ph") == "b" and (task := task_at(event["ts"]))
    }
    frame_tasks = {
        id(task): task
        for event in main
        if event.get("name") == "Paint" and event.get("ph") == "X" and (task := task_at(event["ts"]))
    }
    return TraceFigures(
        batches=[task["dur"] / 1000 for task in batch_tasks.values()],
        batches_cpu=[task.get("tdur", 0) / 1000 for task in batch_tasks.values()],
        frames=[task["dur"] / 1000 for task in frame_tasks.values()],
        tasks=[task["dur"] / 1000 for task in tasks],
    )


def summary(name: str, samples: list[float]) -> str:
    if not samples:
        return f"{name:<40} {0:>7}"
    figures = [percentile(samples, fraction) for fraction in (0.5, 0.95, 0.99)]
    over = sum(1 for sample in samples if sample > 16)
    return (
        f"{name:<40} {len(samples):>7} "
        + " ".join(f"{figure:>8.2f}" for figure in figures)
        + f" {max(samples):>8.2f} {over:>7}"
    )


def wait_for_rows(page, rows: int, timeout_s: float) -> None:
    page.wait_for_function(
        "(rows) => document.getElementById('feed-count').textContent === `${rows} records`",
        arg=rows,
        timeout=timeout_s * 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, choices=(100, 500, 2000), help="rows the feed keeps")
    parser.add_argument("--rate", type=float, default=200, help="records per second while measuring")
    parser.add_argument("--seconds", type=float, default=20, help="how long to measure")
    parser.add_argument("--fill-rate", type=float, default=1000, help="records per second while filling the feed")
    parser.add_argument("--view", default="/", help="the view the page shows (/ for Live, /topic)")
    parser.add_argument("--width", type=int, default=1440, help="viewport width in px")
    parser.add_argument("--no-trace", action="store_true", help="no performance trace (no main-thread task figures)")
    parser.add_argument("--trace-file", help="also write the Chrome trace here (open it in DevTools' Performance)")
    options = parser.parse_args()

    with running_stack(("web",), DJANGO_DEBUG="1") as stack, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": options.width, "height": 900})
            page.add_init_script(COLLECT)
            page.goto(stack.base_url + options.view)
            for badge in ("#ws-state", "#kafka-state"):
                page.wait_for_selector(f"{badge}[data-state=ok]", timeout=30_000)
            page.select_option("#buffer-size", str(options.rows))

            filler = fixed_rate_producer(stack.bootstrap_servers, stack.topic, options.fill_rate, options.rows)
            filler.result(options.rows / options.fill_rate + 60, stop=False)
            wait_for_rows(page, options.rows, 60)
            page.wait_for_timeout(2000)

            count = round(options.rate * options.seconds)
            producer = fixed_rate_producer(stack.bootstrap_servers, stack.topic, options.rate, count)
            if not options.no_trace:
                browser.start_tracing(page=page, categories=TRACE_CATEGORIES)
            began = page.evaluate("() => performance.now()")
            keys = producer.result(options.seconds + 60, stop=False)
            page.wait_for_selector(f'#feed tr.record[data-key="{keys[-1]}"]', state="attached", timeout=30_000)
            ended = page.evaluate("() => performance.now()")
            trace = None if options.no_trace else browser.stop_tracing()
            seen = page.evaluate("() => window.__benchSeen")
        finally:
            browser.close()

    batches = [(duration, messages) for start, duration, messages in seen["measures"] if began <= start <= ended]
    measures = [duration for duration, _ in batches]
    long_tasks = [duration for start, duration in seen["longTasks"] if began <= start <= ended]
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"\nMain-thread time per batch of websocket messages, {options.rows} rows in the feed,"
        f" {options.rate:g} records/s for {options.seconds:g} s, view {options.view} at {options.width} px"
        f"  (cores: {os.cpu_count()}, load: {load})"
    )
    print(f"{'what':<40} {'count':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'> 16 ms':>7}")
    figures = None if trace is None else trace_figures(trace)
    if figures is not None:
        print(summary("per batch, with its drawing (trace)", figures.batches))
        print(summary("  the same, thread CPU time", figures.batches_cpu))
    print(summary("per batch, script only (User Timing)", measures))
    if figures is not None:
        print(summary("frames drawn (trace)", figures.frames))
        print(summary("all main-thread tasks (trace)", figures.tasks))
        if options.trace_file:
            with open(options.trace_file, "wb") as file:
                file.write(trace)
    print(f"  long tasks (> 50 ms): {len(long_tasks)}, {sum(long_tasks):.0f} ms in all")
    messages = sum(count for _, count in batches)
    print(
        f"  records: {len(keys)} in {(ended - began) / 1000:.1f} s; {messages} messages carried them,"
        f" handed on in {len(batches)} batches"
    )
    judged = figures.batches if figures is not None else measures
    what = "with its drawing" if figures is not None else "script only (--no-trace)"
    print(f"  target: p99 per batch, {what}, under 16 ms{'' if not judged else ' — ' + verdict(judged)}")


def verdict(samples: list[float]) -> str:
    return f"{'met' if percentile(samples, 0.99) < 16 else 'missed'} ({percentile(samples, 0.99):.2f} ms)"


if __name__ == "__main__":
    main()
