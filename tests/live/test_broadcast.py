"""The in-process broadcast log: every socket gets each message once, in order; the log is bounded and trimmed."""

from __future__ import annotations

import asyncio

from live.broadcast import MESSAGE_OVERHEAD_BYTES, Broadcast
from live.stream import coalesced
from tests.support.live_socket import run_in_own_loop


def records(*offsets: int, size: int = 10) -> dict:
    return {"type": "relay.records", "records": [(0, offset, "x" * size) for offset in offsets]}


def seqs(messages: list[dict]) -> list[int]:
    return [message["seq"] for message in messages]


def test_each_subscriber_takes_every_message_once_with_consecutive_seqs():
    broadcast = Broadcast()
    early = broadcast.subscribe()
    broadcast.publish(records(0))
    late = broadcast.subscribe()
    broadcast.publish(records(1))
    broadcast.publish({"type": "relay.status", "kafka": "ok", "error": ""})
    assert seqs(early.take()) == [1, 2, 3]
    assert seqs(late.take()) == [2, 3], "a subscriber gets what is published after it subscribed"
    assert early.take() == [] and late.take() == []


def test_what_every_subscriber_took_is_forgotten():
    broadcast = Broadcast()
    first, second = broadcast.subscribe(), broadcast.subscribe()
    for offset in range(5):
        broadcast.publish(records(offset))
    first.take()
    broadcast.publish(records(5))
    assert len(broadcast.log) - broadcast.head == 6, "the second subscriber has taken nothing yet"
    second.take()
    first.take()
    broadcast.publish(records(6))
    assert seqs(broadcast.since(1)) == [7] and broadcast.log_bytes == MESSAGE_OVERHEAD_BYTES + 10


def test_a_subscriber_too_far_behind_loses_the_oldest_and_sees_the_seq_jump():
    broadcast = Broadcast(max_bytes=3 * (MESSAGE_OVERHEAD_BYTES + 100))
    slow = broadcast.subscribe()
    for offset in range(10):
        broadcast.publish(records(offset, size=100))
    assert seqs(slow.take()) == [8, 9, 10]
    assert broadcast.log_bytes <= broadcast.max_bytes


def test_the_message_bound_holds_too():
    broadcast = Broadcast(max_messages=4)
    slow = broadcast.subscribe()
    for offset in range(50):
        broadcast.publish(records(offset))
    assert seqs(slow.take()) == [47, 48, 49, 50]
    assert len(broadcast.log) <= 2 * 4 + 1, "the dropped prefix is given back, not kept"


def test_a_closed_subscription_holds_nothing_back():
    broadcast = Broadcast()
    gone = broadcast.subscribe()
    gone.close()
    for offset in range(3):
        broadcast.publish(records(offset))
    assert len(broadcast.log) - broadcast.head == 0


def test_publishing_wakes_every_waiting_subscriber():
    async def scenario():
        broadcast = Broadcast()
        subscriptions = [broadcast.subscribe() for _ in range(3)]
        waiting = [asyncio.create_task(subscription.wait()) for subscription in subscriptions]
        await asyncio.sleep(0)
        assert not any(task.done() for task in waiting)
        broadcast.publish(records(0))
        await asyncio.wait_for(asyncio.gather(*waiting), 1)

    # In a thread of its own: a browser test earlier in the run leaves Playwright's loop running in this one.
    run_in_own_loop(scenario, timeout=10)


def test_runs_of_record_frames_are_coalesced_in_order_within_the_byte_bound():
    status = {"type": "status", "state": "live"}
    texts = [f'{{"type":"record","offset":{offset}}}' for offset in range(5)]
    out = coalesced([texts[0], texts[1], status, texts[2], texts[3], texts[4]], max_bytes=2 * len(texts[0]))
    assert out == [
        f'{{"type":"records","records":[{texts[0]},{texts[1]}]}}',
        status,
        f'{{"type":"records","records":[{texts[2]},{texts[3]}]}}',
        texts[4],
    ]


def test_one_record_stays_a_record_frame_and_a_frame_over_the_bound_goes_alone():
    big = '{"type":"record","value":"%s"}' % ("x" * 100)
    assert coalesced([big], max_bytes=10) == [big]
    assert coalesced(["a", big, "b"], max_bytes=10) == ["a", big, "b"]


def test_sockets_sending_the_same_records_share_one_coalesced_text():
    texts = [f'{{"type":"record","offset":{offset}}}' for offset in range(3)]
    first, second = coalesced(list(texts)), coalesced(list(texts))
    assert first == second and first[0] is second[0]
