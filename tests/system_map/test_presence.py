"""system_map.presence: each process's heartbeat row, shown gone after three missed beats, and a database that
refuses a beat costs the process nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import OperationalError
from django.utils import timezone

from system_map import presence, state
from system_map.models import Presence
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_beat_writes_the_process_row_and_the_next_one_moves_it_on():
    started = timezone.now()
    assert presence.beat("web", "11@here", "127.0.0.1:8000", started, {"sockets": 2})
    first = Presence.objects.get(instance="11@here")
    assert (first.service, first.address, first.details) == ("web", "127.0.0.1:8000", {"sockets": 2})
    assert presence.beat("web", "11@here", "127.0.0.1:8000", started, {"sockets": 3})
    [again] = Presence.objects.all()
    assert again.last_seen > first.last_seen and again.details == {"sockets": 3}


def test_a_process_not_seen_for_three_beats_is_shown_gone(settings):
    settings.SYSTEM_PRESENCE_SECONDS = 2.0
    now = timezone.now()
    presence.beat("publisher", "1@here", "", now, {})
    presence.beat("publisher", "2@here", "", now, {})
    Presence.objects.filter(instance="2@here").update(last_seen=now - timedelta(seconds=7))
    shown = {row["instance"]: row["gone"] for row in state.processes()}
    assert shown == {"1@here": False, "2@here": True}


def test_a_process_gone_for_a_minute_is_left_off_the_map():
    now = timezone.now()
    presence.beat("publisher", "1@here", "", now, {})
    presence.beat("publisher", "2@here", "", now, {})
    Presence.objects.filter(instance="2@here").update(last_seen=now - timedelta(seconds=state.GONE_SHOWN_SECONDS + 1))
    assert [row["instance"] for row in state.processes()] == ["1@here"]


def test_rows_not_seen_for_an_hour_are_forgotten():
    now = timezone.now()
    presence.beat("grpc", "old@here", "", now, {})
    Presence.objects.update(last_seen=now - timedelta(seconds=presence.FORGET_SECONDS + 1))
    presence.beat("grpc", "new@here", "", now, {})
    assert list(Presence.objects.values_list("instance", flat=True)) == ["new@here"]


def test_details_past_the_bound_are_left_out():
    presence.beat("web", "big@here", "", timezone.now(), {"x": "y" * 5000})
    assert "left out" in Presence.objects.get().details["error"]


def test_a_database_error_is_swallowed_and_the_heartbeat_goes_on(monkeypatch):
    calls = []

    def refuse(**kwargs):
        calls.append(kwargs)
        raise OperationalError("database is locked")

    monkeypatch.setattr(Presence.objects, "update_or_create", refuse)
    assert presence.beat("worker", "9@here", "", timezone.now(), {}) is False
    heartbeat = presence.Heartbeat("worker", 0.05, ["manage.py", "fulfil_orders"])
    heartbeat.start()
    try:
        wait_until(lambda: len(calls) >= 4, timeout=5, message="the heartbeat stopped trying")
        assert heartbeat.is_alive() and heartbeat.beats == 0
        monkeypatch.undo()  # the database is back: the next beat lands
        wait_until(
            lambda: Presence.objects.filter(service="worker").exists(), timeout=5, message="no beat after the error"
        )
    finally:
        heartbeat.stop()
        heartbeat.join(5)
    assert Presence.objects.get(service="worker").details == {"role": "supervisor"}


def test_the_listening_address_is_read_from_the_command_line():
    assert presence.listening_address(["manage.py", "runserver", "--noreload", "127.0.0.1:8000"]) == "127.0.0.1:8000"
    assert presence.listening_address(["manage.py", "rungrpc", "127.0.0.1:50051"]) == "127.0.0.1:50051"
    assert presence.listening_address(["manage.py", "publish_outbox"]) == ""
