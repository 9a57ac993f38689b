"""The outbox's reads (outbox.selectors), by record key: backlog, parked events, first positions, a key's events."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from outbox import selectors
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def add(key: str, **fields) -> OutboxEvent:
    return OutboxEvent.objects.create(event_id=uuid.uuid4(), topic="t", key=key, value="{}", **fields)


def test_the_backlog_counts_waiting_and_parked_apart_and_dates_the_oldest_waiting():
    now = timezone.now()
    add("a", sent_at=now, partition=0, offset=0)
    add("b", created_at=now - timedelta(minutes=5), parked_at=now)
    oldest = add("c", created_at=now - timedelta(minutes=2))
    add("d", created_at=now)
    assert selectors.backlog() == selectors.Backlog(waiting=2, oldest_waiting_at=oldest.created_at, parked=1)


def test_an_empty_outbox_has_no_backlog():
    assert selectors.backlog() == selectors.Backlog(waiting=0, oldest_waiting_at=None, parked=0)


def test_parked_lists_only_unsent_parked_events_oldest_first():
    now = timezone.now()
    first, _, second = add("a", parked_at=now), add("b"), add("c", parked_at=now)
    add("d", parked_at=now, sent_at=now)  # retried and sent since: no longer parked
    assert list(selectors.parked()) == [first, second]


def test_first_positions_give_where_each_keys_first_event_landed_once_sent():
    now = timezone.now()
    add("a", sent_at=now, partition=1, offset=7)
    add("a", sent_at=now, partition=1, offset=9)
    add("b")  # not acknowledged yet: no position
    add("b", sent_at=now, partition=0, offset=3)  # a later event of b does not stand in for its first
    add("c", sent_at=now, partition=2, offset=1)  # not asked for
    assert selectors.first_positions(["a", "b", "unknown"]) == {"a": (1, 7)}


def test_events_for_key_are_that_keys_events_in_commit_order():
    first, _, second = add("a"), add("b"), add("a")
    assert list(selectors.events_for_key("a")) == [first, second]
