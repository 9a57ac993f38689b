"""Claims (outbox.claims) in several threads, each with its own database connection, as several publishers are.

These run on SQLite in `make test` and again on PostgreSQL: on PostgreSQL two claims hold disjoint events at once
(FOR UPDATE SKIP LOCKED); on SQLite one publisher has the turn and the other claims nothing until it ends. Either
way no event is claimed twice and no claim overtakes an older event of its key.
"""

import threading
import time
import uuid
from collections import defaultdict

import pytest
from django.db import connection
from django.utils import timezone

from outbox.claims import claim
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db(transaction=True)


def add_events(keys: list[str]) -> list[int]:
    """One waiting event per entry, in this order; their ids."""
    return [OutboxEvent.objects.create(event_id=uuid.uuid4(), topic="orders", key=key, value="{}").id for key in keys]


def in_own_connection(work):
    """Run `work` in a thread of its own (so on a database connection of its own) and close that connection."""

    def run():
        try:
            work()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def overtakes(claimed: list[OutboxEvent]) -> list[int]:
    """Claimed events with an older unsent event of their key outside the claim."""
    ids = {row.id for row in claimed}
    return [
        row.id
        for row in claimed
        if OutboxEvent.objects.filter(key=row.key, sent_at__isnull=True, id__lt=row.id).exclude(id__in=ids)
    ]


def test_a_second_claim_takes_other_events_and_none_that_would_overtake_the_first():
    held = add_events([f"a{i % 5}" for i in range(10)])  # the first claim's ten
    behind = add_events([f"a{i}" for i in range(5)])  # later events of the same keys
    fresh = add_events([f"b{i}" for i in range(5)])  # keys of their own
    first, claimed, second_done = [], threading.Event(), threading.Event()

    def hold_a_claim():
        with claim(10) as rows:
            first.extend(rows)
            claimed.set()
            assert second_done.wait(30), "the second claim never ended while the first was held"

    holder = in_own_connection(hold_a_claim)
    assert claimed.wait(30)
    with claim(100) as rows:
        second = list(rows)
    second_done.set()
    holder.join(30)

    assert [row.id for row in first] == held
    expected = {"postgresql": fresh, "sqlite": []}[connection.vendor]
    assert [row.id for row in second] == expected, (
        "PostgreSQL: the events no one holds and no held event precedes; SQLite: nothing while another has the turn"
    )
    assert overtakes(first) == [] and overtakes(second) == []
    OutboxEvent.objects.filter(id__in=held).update(sent_at=timezone.now())
    with claim(100) as rows:
        assert [row.id for row in rows] == behind + fresh, "once the first batch is sent, the rest goes in id order"


def test_publishers_claiming_side_by_side_send_each_event_once_and_in_key_order():
    ids = add_events([f"key{i % 23}" for i in range(600)])
    sent, log_lock = [], threading.Lock()

    def publish_until_empty():
        while OutboxEvent.objects.filter(sent_at__isnull=True).exists():
            with claim(40) as rows:
                with log_lock:
                    sent.extend((row.key, row.id) for row in rows)
                OutboxEvent.objects.filter(id__in=[row.id for row in rows]).update(sent_at=timezone.now())
            if not rows:
                time.sleep(0.005)  # another holds the turn (SQLite) or the keys' older events

    publishers = [in_own_connection(publish_until_empty) for _ in range(3)]
    for publisher in publishers:
        publisher.join(120)

    assert not any(publisher.is_alive() for publisher in publishers)
    assert sorted(row_id for _, row_id in sent) == ids, "every event sent, none twice"
    by_key = defaultdict(list)
    for key, row_id in sent:
        by_key[key].append(row_id)
    assert all(order == sorted(order) for order in by_key.values()), "each key's events sent in id order"
