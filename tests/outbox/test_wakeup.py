"""The publisher's wake-up: a commit nudges a waiting publisher at once; nothing breaks when nobody listens."""

import itertools
import json
import socket
import threading
import time
import urllib.request

import pytest

from harness.topics import read_records
from localkafka import free_port
from orders import services
from outbox import wakeup
from outbox.publisher import OutboxPublisher


def test_a_nudge_ends_the_wait_early(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        threading.Timer(0.1, wakeup.nudge_publisher).start()
        assert listener.wait(30), "the nudge should end the wait before its timeout"
    finally:
        listener.close()


def test_without_a_nudge_the_wait_lasts_its_timeout(settings):
    listener = wakeup.WakeupListener(f"127.0.0.1:{free_port()}")
    try:
        started = time.monotonic()
        assert not listener.wait(0.3)
        assert time.monotonic() - started >= 0.29
    finally:
        listener.close()


def test_nudging_nobody_is_harmless_and_a_later_listener_still_hears_nudges(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    for _ in range(3):
        wakeup.nudge_publisher()  # nobody listens: no error, nothing queued for later
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        assert not listener.wait(0), "nudges sent to nobody must not be waiting for a later listener"
        wakeup.nudge_publisher()
        assert listener.wait(30)
    finally:
        listener.close()


@pytest.mark.django_db(transaction=True)
def test_a_committed_order_nudges_the_publisher(settings):
    settings.OUTBOX_WAKEUP_ADDR = f"127.0.0.1:{free_port()}"
    listener = wakeup.WakeupListener(settings.OUTBOX_WAKEUP_ADDR)
    try:
        assert not listener.wait(0)
        services.create_order(created_by="ana", equipment=["MOUSE"], source="rest")
        assert listener.wait(30), "the commit should have sent a nudge"
    finally:
        listener.close()


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_flood_of_nudges_that_find_nothing_starts_one_look_per_window():
    clock = FakeClock()
    window = wakeup.WakeupWindow(0.1, clock)
    looks = []
    for _ in range(10_000):  # ten seconds of a nudge every millisecond
        if window.hold() == 0:
            looks.append(clock.now)
            window.found_nothing()
        clock.now += 0.001
    assert looks[0] == 1000.0, "the first nudge is acted on at once"
    assert 10 / 0.1 - 1 <= len(looks) <= 10 / 0.1 + 1, "one look per window: never more, and none lost"
    assert min(later - earlier for earlier, later in itertools.pairwise(looks)) >= 0.1 - 1e-9


def test_nudges_within_the_window_collapse_into_one_look_at_its_end():
    clock = FakeClock()
    window = wakeup.WakeupWindow(0.1, clock)
    window.found_nothing()
    clock.now += 0.03
    assert window.hold() == pytest.approx(0.07), "a nudge 30 ms into the window waits for the rest of it"
    clock.now += 0.05
    assert window.hold() == pytest.approx(0.02), "so does a second one, for the same look"
    clock.now += 0.021
    assert window.hold() == 0, "the window is over: the collapsed nudges get their look"


def test_a_lone_nudge_and_nudges_that_find_work_are_acted_on_at_once():
    clock = FakeClock()
    window = wakeup.WakeupWindow(0.1, clock)
    assert window.hold() == 0, "no window before the first nudge"
    for _ in range(100):  # a nudge every millisecond, each finding an order to publish: none is held back
        assert window.hold() == 0
        clock.now += 0.001
    window.found_nothing()
    clock.now += 5
    assert window.hold() == 0, "a window ends"


def test_a_nudge_after_one_that_found_nothing_waits_for_the_window():
    listener = wakeup.WakeupListener(f"127.0.0.1:{free_port()}", min_interval=60)
    try:
        _nudge(listener)
        assert listener.wait(30)
        listener.looking()
        listener.looked(found_work=False)
        _nudge(listener)
        assert not listener.wait(0.3), "held back: the window of 60 s has not ended"
    finally:
        listener.close()


def test_a_nudge_after_one_that_found_work_is_acted_on_at_once():
    listener = wakeup.WakeupListener(f"127.0.0.1:{free_port()}", min_interval=60)
    try:
        _nudge(listener)
        assert listener.wait(30)
        listener.looking()
        listener.looked(found_work=True)
        _nudge(listener)
        assert listener.wait(30), "not held back (a hold would last the window's 60 s)"
    finally:
        listener.close()


def test_a_look_serves_the_nudges_sent_before_it():
    listener = wakeup.WakeupListener(f"127.0.0.1:{free_port()}")
    try:
        for _ in range(5):
            _nudge(listener)
        time.sleep(0.1)
        listener.looking()
        assert not listener.wait(0.2), "the nudges sent before the look wake nobody after it"
    finally:
        listener.close()


def test_the_listener_binds_a_loopback_address_only():
    port = free_port()
    listener = wakeup.WakeupListener(f"localhost:{port}")
    try:
        assert listener.socket.getsockname() == ("127.0.0.1", port)
    finally:
        listener.close()
    for host in ("0.0.0.0", "192.168.1.20", "10.0.0.1", "::1", "example.com", ""):
        with pytest.raises(ValueError, match="loopback"):
            wakeup.WakeupListener(f"{host}:{port}")


def test_a_publisher_given_another_address_does_not_listen_and_polls(caplog):
    publisher = OutboxPublisher(poll_seconds=0.5, wakeup_address=f"0.0.0.0:{free_port()}")
    assert publisher.wakeup is None
    assert "loopback" in caplog.text


def _nudge(listener) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.sendto(b"!", listener.socket.getsockname())


def test_a_real_publisher_still_publishes_an_order_promptly_after_a_flood(kafka_broker, make_stack):
    # A poll of two minutes: only a nudge can bring the order to the topic within the read's 30 s.
    stack = make_stack(kafka_broker.bootstrap_servers, OUTBOX_POLL_SECONDS="120")
    flooded = _flood(stack.wakeup_port, seconds=3)
    assert flooded > 1000, "the flood should have sent many datagrams"
    request = urllib.request.Request(
        f"{stack.base_url}/api/orders/computers",
        method="POST",
        data=json.dumps({"created_by": "after-flood", "equipment": ["MOUSE"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        order_id = json.load(response)["order_id"]
    records = read_records(kafka_broker.bootstrap_servers, stack.topic, expected=1, timeout=30)
    assert [record.key for record in records] == [order_id.encode()]
    assert stack.processes["publisher"].poll() is None, "the publisher outlived the flood"


def _flood(port: int, seconds: float) -> int:
    """Send wake-up datagrams to 127.0.0.1:`port` as fast as this thread can for `seconds`; return how many."""
    sent, deadline = 0, time.monotonic() + seconds
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        while time.monotonic() < deadline:
            for _ in range(500):
                sender.sendto(b"!", ("127.0.0.1", port))
            sent += 500
    return sent
