"""live.stream.Stream on its own: replay rounds, the live filter, lost frames, pause and resume; no socket or broker."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from live import stream as stream_module
from live.stream import Restart, Stream


@dataclass
class Reader:
    """The shared reader's state as the stream sees it."""

    kafka: str = "ok"
    error: str = ""
    partitions: tuple[int, ...] = (0, 1)
    positions: dict[int, int] = field(default_factory=lambda: {0: 5, 1: 0})
    end_offsets: dict[int, int] = field(default_factory=lambda: {0: 5, 1: 0})
    listening: bool | None = None
    listening_error: str = ""


def rec(partition: int, offset: int) -> tuple[int, int, str]:
    return partition, offset, f"p{partition}o{offset}"


def status(state: str, **detail) -> dict:
    return {"type": "status", "state": state, "topic": "orders-test", "kafka": "ok", **detail}


def new_stream(reader: Reader | None = None) -> Stream:
    reader = reader or Reader()
    return Stream("orders-test", lambda: reader)


def replay_round(stream: Stream, cut: dict[int, int], start: dict[int, int], history=()) -> list:
    """A round up to the end of its history, as the consumer drives it; the frames it sent."""
    stream.begin_round(cut)
    frames = stream.history_started(start, skipped={})
    frames += [stream.history_record(record) for record in history]
    stream.finish_history()
    return frames


def replay_round_history(stream: Stream, history) -> list:
    """The history of a round already begun, from {0: 3, 1: 0}; the frames it sent."""
    frames = stream.history_started({0: 3, 1: 0}, skipped={})
    frames += [stream.history_record(record) for record in history]
    stream.finish_history()
    return frames


def finish(stream: Stream) -> tuple[list, bool]:
    """The end of a round: the live status and the drained buffer, and whether the stream is live."""
    frames = stream.finish_round()
    while (text := stream.next_buffered()) is not None:
        frames.append(text)
    return frames, stream.go_live()


def live_stream(positions: dict[int, int] | None = None) -> Stream:
    """A stream that went live at `positions` (seq 1 already seen)."""
    stream = new_stream()
    stream.start_replay()
    positions = positions or {0: 5, 1: 0}
    replay_round(stream, positions, positions)
    assert finish(stream)[1]
    stream.on_status(1, "ok", "")
    return stream


def test_a_new_socket_gets_the_connected_status():
    assert new_stream().opened() == [
        status("connected", partitions=[0, 1], positions={"0": 5, "1": 0}, end_offsets={"0": 5, "1": 0})
    ]


def test_a_new_socket_during_an_outage_also_gets_kafka_unavailable():
    frames = new_stream(Reader(kafka="unavailable", error="KafkaTimeoutError: gone")).opened()
    assert [f["state"] for f in frames] == ["connected", "kafka_unavailable"]
    assert frames[1]["error"] == "KafkaTimeoutError: gone" and frames[1]["kafka"] == "unavailable"


def test_live_records_are_sent_once_each_in_order():
    stream = live_stream()
    assert stream.on_records(2, [rec(0, 5), rec(1, 0), rec(0, 6)]) == ["p0o5", "p1o0", "p0o6"]
    assert stream.on_records(3, [rec(0, 7)]) == ["p0o7"]
    assert stream.next_offsets == {0: 8, 1: 1}


def test_live_record_at_an_offset_already_sent_is_dropped():
    stream = live_stream()
    assert stream.on_records(2, [rec(0, 4), rec(0, 5), rec(0, 6), rec(0, 6)]) == ["p0o5", "p0o6"]
    assert stream.on_records(3, [rec(0, 5), rec(0, 7)]) == ["p0o7"]


def test_records_before_any_replay_is_asked_for_are_not_sent():
    assert new_stream().on_records(1, [rec(0, 5)]) == []


def test_live_frames_during_a_replay_follow_the_history_after_the_live_status():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    assert stream.on_records(1, [rec(0, 5), rec(1, 0)]) == [], "held while the history is read"
    frames = stream.history_started({0: 3, 1: 0}, skipped={})
    frames += [stream.history_record(rec(0, 3)), stream.history_record(rec(0, 4))]
    stream.finish_history()
    assert stream.on_records(2, [rec(0, 6)]) == []
    end, live = finish(stream)
    assert frames + end == [
        status("replaying", **{"from": {"0": 3, "1": 0}}, until={"0": 5, "1": 0}, skipped={}),
        "p0o3",
        "p0o4",
        status("live", positions={"0": 5, "1": 0}),
        "p0o5",
        "p1o0",
        "p0o6",
    ]
    assert live and stream.state == "live"
    assert stream.on_records(3, [rec(0, 7)]) == ["p0o7"]


def test_a_history_overlapping_the_live_frames_sends_each_offset_once():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    # The live batch reaches below the cut (those come from history) and repeats an offset.
    stream.on_records(1, [rec(0, 4), rec(0, 5), rec(0, 6)])
    stream.on_records(2, [rec(0, 5), rec(0, 6), rec(0, 7)])
    frames = replay_round_history(stream, [rec(0, 3), rec(0, 4)])
    end, live = finish(stream)
    texts = [f for f in frames + end if isinstance(f, str)]
    assert texts == ["p0o3", "p0o4", "p0o5", "p0o6", "p0o7"] and live


def test_live_frames_below_the_cut_are_not_held_during_a_replay():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    stream.on_records(1, [rec(0, 2), rec(0, 4)])
    assert list(stream.buffer) == []


def test_records_arriving_while_the_buffer_drains_are_sent_in_order():
    stream = new_stream()
    stream.start_replay()
    replay_round(stream, {0: 5, 1: 0}, {0: 5, 1: 0})
    stream.on_records(1, [rec(0, 5)])
    assert stream.finish_round() == [status("live", positions={"0": 5, "1": 0})]
    assert stream.next_buffered() == "p0o5"
    # The consumer is still sending: a relay message that arrives meanwhile joins the buffer, not the socket.
    assert stream.on_records(2, [rec(0, 6)]) == []
    assert stream.next_buffered() == "p0o6"
    assert stream.next_buffered() is None and stream.go_live()


def test_offsets_below_the_cut_with_no_record_are_passed():
    stream = new_stream()
    stream.start_replay()
    replay_round(stream, {0: 10, 1: 4}, {0: 0, 1: 0}, history=[rec(0, 3), rec(0, 7), rec(1, 1)])
    assert stream.next_offsets == {0: 10, 1: 4}
    assert finish(stream) == ([status("live", positions={"0": 10, "1": 4})], True)


def test_a_seq_gap_while_live_asks_for_a_new_round_from_the_offsets_sent():
    stream = live_stream()
    stream.on_records(2, [rec(0, 5), rec(0, 6)])
    # seq 3 never arrived: the batch of seq 4 is not sent live, the new round reads it from Kafka.
    assert stream.on_records(4, [rec(0, 8)]) == [Restart({0: 7, 1: 0})]
    assert stream.state == "replaying" and stream.next_offsets == {}
    frames = replay_round(stream, {0: 9, 1: 0}, {0: 7, 1: 0}, history=[rec(0, 7), rec(0, 8)])
    assert frames[0]["from"] == {"0": 7, "1": 0}
    assert frames[1:] == ["p0o7", "p0o8"], "no gap and no duplicate across the lost message"
    assert finish(stream)[1]


def test_a_lost_status_message_while_live_also_asks_for_a_new_round():
    stream = live_stream()
    assert stream.on_status(3, "ok", "") == [Restart({0: 5, 1: 0})]


def test_a_seq_gap_while_replaying_makes_another_round_follow():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    stream.on_records(1, [rec(0, 5)])
    stream.on_records(3, [rec(0, 7)])
    assert not stream.caught_up and list(stream.buffer) == []
    replay_round_history(stream, [rec(0, 3), rec(0, 4)])
    assert finish(stream) == ([], False)
    assert stream.state == "replaying"
    assert stream.round_restart() == {0: 5, 1: 0}, "the next round goes on after the last record sent"
    stream.begin_round({0: 8, 1: 0})
    assert stream.caught_up


def test_a_full_buffer_while_replaying_makes_another_round_follow(monkeypatch):
    monkeypatch.setattr(stream_module, "MAX_BUFFERED_FRAMES", 2)
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    stream.on_records(1, [rec(0, 5), rec(0, 6)])
    assert stream.caught_up
    stream.on_records(2, [rec(0, 7), rec(0, 8)])
    assert not stream.caught_up and list(stream.buffer) == []
    replay_round_history(stream, [])
    assert finish(stream) == ([], False)


def test_a_frame_lost_while_the_buffer_drains_makes_another_round_follow():
    stream = new_stream()
    stream.start_replay()
    replay_round(stream, {0: 5, 1: 0}, {0: 5, 1: 0})
    stream.on_records(1, [rec(0, 5), rec(0, 6)])
    stream.finish_round()
    assert stream.next_buffered() == "p0o5"
    stream.on_records(3, [rec(0, 9)])
    assert stream.next_buffered() is None and not stream.go_live()
    assert stream.round_restart() == {0: 6, 1: 0}


def test_a_round_that_failed_before_its_history_starts_over():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    assert stream.round_restart() is None


def test_pause_then_resume_continues_from_the_paused_offsets():
    stream = live_stream()
    stream.on_records(2, [rec(0, 5), rec(1, 0)])
    assert stream.pause() == [status("paused", positions={"0": 6, "1": 1})]
    assert stream.on_records(3, [rec(0, 6)]) == [], "nothing is sent while paused"
    assert stream.resume() == [Restart({0: 6, 1: 1})]
    frames = replay_round(stream, {0: 7, 1: 1}, {0: 6, 1: 1}, history=[rec(0, 6)])
    assert frames[1:] == ["p0o6"]
    assert finish(stream) == ([status("live", positions={"0": 7, "1": 1})], True)


def test_pause_when_not_live_gives_the_error_frame():
    stream = new_stream()
    assert stream.pause() == [{"type": "error", "message": "only a live stream can be paused", "action": "pause"}]
    stream.start_replay()
    assert stream.pause()[0]["message"] == "only a live stream can be paused"
    assert stream.state == "replaying"


def test_resume_when_not_paused_gives_the_error_frame():
    assert live_stream().resume() == [{"type": "error", "message": "the stream is not paused", "action": "resume"}]


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("connected", status("connected", partitions=[0, 1], positions={"0": 5, "1": 0}, end_offsets={"0": 5, "1": 0})),
        ("live", status("live", positions={"0": 5, "1": 0})),
        ("paused", status("paused", positions={"0": 5, "1": 0})),
    ],
)
def test_kafka_coming_back_announces_where_the_stream_stands(state, expected):
    stream = live_stream() if state != "connected" else new_stream()
    if state == "paused":
        stream.pause()
    assert stream.on_status(2, "ok", "") == [expected]


def test_kafka_coming_back_during_a_replay_says_nothing():
    stream = new_stream()
    stream.start_replay()
    assert stream.on_status(1, "ok", "") == []


def test_a_relay_outage_is_reported_in_every_state():
    stream = live_stream()
    assert stream.on_status(2, "unavailable", "KafkaTimeoutError: gone") == [
        {
            "type": "status",
            "state": "kafka_unavailable",
            "topic": "orders-test",
            "kafka": "unavailable",
            "error": "KafkaTimeoutError: gone",
        }
    ]
    assert stream.state == "live"


def test_the_broker_watch_is_told_in_every_state_and_keeps_the_stream_as_it_was():
    stream = live_stream()
    refused = {"type": "broker", "listening": False, "error": "cannot connect to 127.0.0.1:9092: Connection refused"}
    assert stream.on_broker(2, False, refused["error"]) == [refused]
    assert stream.on_broker(3, True, "") == [{"type": "broker", "listening": True}]
    assert stream.state == "live"
    replaying = new_stream()
    replaying.start_replay()
    assert replaying.on_broker(1, False, "x") == [{"type": "broker", "listening": False, "error": "x"}]


def test_a_new_socket_hears_of_the_broker_only_while_it_does_not_listen():
    assert [frame["type"] for frame in new_stream(Reader(listening=True)).opened()] == ["status"]
    opened = new_stream(Reader(listening=False, listening_error="gone")).opened()
    assert opened[1:] == [{"type": "broker", "listening": False, "error": "gone"}]


def test_a_failed_replay_leaves_the_stream_stopped():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({0: 5, 1: 0})
    stream.on_records(1, [rec(0, 5)])
    assert stream.replay_failed("unknown partitions [7]") == [
        {"type": "error", "message": "replay failed: unknown partitions [7]", "action": "replay"}
    ]
    assert (stream.state, stream.cut, list(stream.buffer)) == ("connected", None, [])
    assert stream.on_records(2, [rec(0, 6)]) == []


def test_the_replaying_status_names_the_cut_and_the_skipped_records():
    stream = new_stream()
    stream.start_replay()
    stream.begin_round({1: 9000, 0: 5})
    assert stream.history_started({0: 0, 1: 4000}, skipped={1: 4000}) == [
        status("replaying", **{"from": {"0": 0, "1": 4000}}, until={"0": 5, "1": 9000}, skipped={"1": 4000})
    ]
