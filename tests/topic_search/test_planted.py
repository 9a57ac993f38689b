"""A search of 100,000 records on a real broker finds exactly the ones planted, and each bound stops it."""

import pytest

from tests.support.live_socket import run_in_own_loop
from tests.topic_search.conftest import NEEDLE, RECORDS, of_type, search

# The database only serves the socket's session: the subject is the scan of a topic.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.database_incidental]


def test_a_search_finds_exactly_the_planted_records(big_topic):
    frames = []

    async def scenario():
        frames.extend(await search({"topic": big_topic["name"], "value": NEEDLE}, timeout=50))

    run_in_own_loop(scenario, timeout=60)
    started, done = frames[0], frames[-1]
    assert started["type"] == "started" and started["records_in_range"] == RECORDS
    found = {(f["record"]["partition"], f["record"]["offset"]) for f in of_type(frames, "match")}
    assert found == big_topic["planted"]
    assert (done["type"], done["reason"]) == ("done", "end_of_topic")
    assert done["scanned_records"] == RECORDS and done["matches"] == len(big_topic["planted"])
    assert of_type(frames, "progress"), "no progress frame while scanning 100,000 records"


def run_search(message, timeout=50):
    frames = []

    async def scenario():
        frames.extend(await search(message, timeout=timeout))

    run_in_own_loop(scenario, timeout=timeout + 10)
    return frames


def test_the_records_bound_stops_a_search_at_that_many(big_topic):
    frames = run_search({"topic": big_topic["name"], "value": NEEDLE, "max_records": 1000})
    done = frames[-1]
    assert (done["reason"], done["scanned_records"]) == ("max_records", 1000)
    scanned = {p: part["position"] - part["from"] for p, part in done["partitions"].items()}
    assert sum(scanned.values()) == 1000


def test_the_bytes_bound_stops_a_search_before_passing_it(big_topic):
    frames = run_search({"topic": big_topic["name"], "value": NEEDLE, "max_bytes": 50_000})
    done = frames[-1]
    assert done["reason"] == "max_bytes"
    # Each record is about 80 bytes: the search stopped within one record of the bound, never past it.
    assert 50_000 - 100 < done["scanned_bytes"] <= 50_000
    assert 0 < done["scanned_records"] < RECORDS


def test_the_time_bound_stops_a_search(big_topic):
    frames = run_search({"topic": big_topic["name"], "value": NEEDLE, "max_seconds": 0.3})
    done = frames[-1]
    assert done["reason"] == "max_seconds"
    assert 300 <= done["elapsed_ms"] < 3000
    assert done["scanned_records"] < RECORDS


def test_the_matches_bound_stops_a_search_after_that_many_matches(big_topic):
    frames = run_search({"topic": big_topic["name"], "value": "plain", "max_matches": 5})
    assert len(of_type(frames, "match")) == 5
    assert (frames[-1]["reason"], frames[-1]["matches"]) == ("max_matches", 5)
