"""bench.feed_main_thread judges the whole main-thread task that ran each batch: its script and the style, layout and
paint of the frame it ran in, not the script alone."""

import json

from bench.feed_main_thread import BATCH_MEASURE, TASK, trace_figures

MAIN = (1, 10)
OTHER = (2, 20)  # another renderer (an extension page, say): fewer tasks, never the page's


def task(ts: int, dur: int, tdur: int, where=MAIN) -> dict:
    return {"name": TASK, "ph": "X", "ts": ts, "dur": dur, "tdur": tdur, "pid": where[0], "tid": where[1]}


def event(name: str, ph: str, ts: int, dur: int = 0, where=MAIN) -> dict:
    return {"name": name, "ph": ph, "ts": ts, "dur": dur, "pid": where[0], "tid": where[1]}


def thread_name(where) -> dict:
    return {"name": "thread_name", "ph": "M", "pid": where[0], "tid": where[1], "args": {"name": "CrRendererMain"}}


def test_a_batch_counts_its_whole_task_and_a_frame_without_one_still_shows():
    events = [
        thread_name(MAIN),
        thread_name(OTHER),
        # A frame that ran a batch: 1 ms of script, then 9 ms of style, layout and paint.
        task(1000, 10_000, 8_000),
        event(BATCH_MEASURE, "b", 1100),
        event(BATCH_MEASURE, "e", 2100),
        event("Paint", "X", 6000, 3000),
        # A websocket message arriving: no batch, no frame.
        task(12_000, 200, 150),
        # A frame drawn later with no batch in it.
        task(20_000, 4000, 3000),
        event("Paint", "X", 21_000, 2000),
        task(1000, 50_000, 50_000, where=OTHER),
        # Garbage collections: a major one in the batch's task, a minor one in the message's.
        event("MajorGC", "X", 1500, 4000),
        event("MinorGC", "X", 12_050, 100),
        event("MajorGC", "X", 2000, 9000, where=OTHER),
    ]
    figures = trace_figures(json.dumps({"traceEvents": events}).encode())
    assert figures.batches == [10.0]
    assert figures.batches_cpu == [8.0]
    assert sorted(figures.frames) == [4.0, 10.0]
    assert sorted(figures.tasks) == [0.2, 4.0, 10.0]
    assert figures.major_gcs == [4.0]
    assert figures.minor_gcs == [0.1]
    assert figures.batches_with_major_gc == 1
