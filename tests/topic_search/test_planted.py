"""A search of 100,000 records on a real broker finds exactly the ones planted, and each bound stops it."""

import pytest

from tests.support.live_socket import run_in_own_loop
from tests.topic_search.conftest import NEEDLE, RECORDS, of_type, search

pytestmark = pytest.mark.django_db(transaction=True)


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
