"""Without a broker: criteria defaults and ceilings, the matcher, and the handoff's byte bound (a slow socket makes
the search thread wait, never the server buffer)."""

from __future__ import annotations

import asyncio
import threading
import time

from kafka.consumer.fetcher import ConsumerRecord

from tests.support.live_socket import run_in_own_loop
from topic_search import criteria
from topic_search.handoff import Handoff


def record(key=b"k", value=b"v", headers=(), timestamp=0) -> ConsumerRecord:
    return ConsumerRecord("t", 0, 0, 0, timestamp, 0, key, value, list(headers), None, -1, -1, -1)


def test_a_search_naming_no_bound_gets_the_ceilings(settings):
    settings.SEARCH_MAX_RECORDS, settings.SEARCH_MAX_MATCHES = 1234, 7
    parsed = criteria.parse({"action": "search", "topic": "t"})
    assert (parsed.bounds.max_records, parsed.bounds.max_matches) == (1234, 7)
    assert criteria.parse({"topic": "t", "max_records": 1234}).bounds.max_records == 1234


def test_the_matcher_applies_every_criterion():
    chosen = criteria.parse(
        {"topic": "t", "key": "a", "header_name": "h", "value": "needle", "from_time": 10, "to_time": 20}
    )
    good = record(key=b"xay", value=b"..needle..", headers=[("h", b"1")], timestamp=15)
    others = [
        record(key=None, value=b"needle", headers=[("h", b"1")], timestamp=15),
        record(key=b"a", value=None, headers=[("h", b"1")], timestamp=15),
        record(key=b"a", value=b"needle", headers=[("H", b"1")], timestamp=15),
        record(key=b"a", value=b"needle", headers=[("h", b"1")], timestamp=21),
    ]
    assert chosen.matcher()([good, *others]) == [good]


def test_a_full_handoff_makes_the_thread_wait_until_the_loop_takes():
    async def scenario():
        handoff = Handoff(asyncio.get_running_loop(), max_bytes=10)
        never = threading.Event()
        assert handoff.put("12345678", never)
        results = []
        thread = threading.Thread(target=lambda: results.append(handoff.put("abcdefgh", never)))
        thread.start()
        await asyncio.sleep(0.3)
        assert thread.is_alive() and results == []  # waiting: 16 bytes would pass the bound
        assert handoff.take() == ["12345678"]
        await asyncio.to_thread(thread.join, 2)
        assert results == [True] and handoff.take() == ["abcdefgh"]

    run_in_own_loop(scenario, timeout=20)


def test_a_waiting_put_gives_up_on_cancel_deadline_or_close():
    async def scenario():
        handoff = Handoff(asyncio.get_running_loop(), max_bytes=4)
        cancel = threading.Event()
        assert handoff.put("full", cancel)
        started = time.monotonic()
        assert not await asyncio.to_thread(handoff.put, "more", cancel, time.monotonic() + 0.2)
        assert 0.2 <= time.monotonic() - started < 1
        threading.Timer(0.1, cancel.set).start()
        assert not await asyncio.to_thread(handoff.put, "more", cancel)
        threading.Timer(0.1, handoff.close).start()
        assert not await asyncio.to_thread(handoff.put, "more", threading.Event())

    run_in_own_loop(scenario, timeout=20)
