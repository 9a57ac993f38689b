"""What a member does with one order event, without Kafka: the steps, the rules, redeliveries per delivery mode."""

import json
import threading

import pytest
from django.utils import timezone

from fulfilment import counters
from fulfilment.models import DeliveryMode, ProcessedEvent, WorkerControl
from fulfilment.processing import FINISH, START, Work, decide, fulfil
from orders import services
from orders.events import order_created
from orders.models import Order, Status
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def new_order(equipment=("MONITOR",)):
    return services.create_order(created_by="ana", equipment=list(equipment), source="rest")


def work_for(order, mode=DeliveryMode.EFFECTIVELY_ONCE, failure_rate=0.0, event=None, offset=0):
    return Work(
        event=event or order_created(order, source="rest"),
        partition=0,
        offset=offset,
        member="m-1",
        mode=mode,
        step_delay_ms=0,
        failure_rate=failure_rate,
    )


def events_of(order):
    rows = OutboxEvent.objects.filter(key=str(order.order_id)).order_by("id")
    return [(json.loads(row.value), dict(row.headers)) for row in rows]


def test_an_order_goes_queued_processing_completed_each_step_with_its_worker_event():
    order = new_order()
    assert fulfil(work_for(order), threading.Event()) == "completed"
    assert Order.objects.get().status == Status.COMPLETED
    steps = [(value["type"], value["order"]["status"], value["source"]) for value, _ in events_of(order)]
    assert steps == [
        ("order.created", "QUEUED", "rest"),
        ("order.status_changed", "PROCESSING", "worker"),
        ("order.status_changed", "COMPLETED", "worker"),
    ]
    assert list(ProcessedEvent.objects.values_list("step", flat=True)) == [START, FINISH]


def test_a_failed_order_carries_its_reason_in_a_header():
    order = new_order(["WEBCAM"])
    assert fulfil(work_for(order, failure_rate=1.0), threading.Event()) == "failed"
    value, headers = events_of(order)[-1]
    assert value["order"]["status"] == "FAILED"
    assert headers["reason"] == "WEBCAM out of stock"
    assert "reason" not in value  # the value keeps its exact schema


def test_decide_fails_at_the_rate_it_is_given():
    assert decide(["MOUSE"], 0.3, chance=lambda: 0.29) == (Status.FAILED, "MOUSE out of stock")
    assert decide(["MOUSE"], 0.3, chance=lambda: 0.3) == (Status.COMPLETED, "")


def test_an_order_cancelled_before_processing_stays_cancelled_and_nothing_is_recorded():
    order = new_order()
    services.cancel_order(order_id=order.order_id, source="rest")
    assert fulfil(work_for(order), threading.Event()) == "skipped"
    assert Order.objects.get().status == Status.CANCELLED
    assert not ProcessedEvent.objects.exists()
    assert len(events_of(order)) == 2


def test_an_order_cancelled_during_processing_stays_cancelled():
    order = new_order()

    def cancel_after_start(step):
        services.cancel_order(order_id=order.order_id, source="grpc")

    assert fulfil(work_for(order), threading.Event(), on_step=cancel_after_start) == "skipped"
    assert Order.objects.get().status == Status.CANCELLED
    assert [value["order"]["status"] for value, _ in events_of(order)] == ["QUEUED", "PROCESSING", "CANCELLED"]


def test_a_stop_during_the_work_hands_the_order_back_processing():
    order = new_order()
    stopping = threading.Event()
    assert fulfil(work_for(order), stopping, on_step=lambda step: stopping.set()) == "handed back"
    assert Order.objects.get().status == Status.PROCESSING


def test_effectively_once_a_redelivered_event_changes_nothing_twice():
    order = new_order()
    work = work_for(order)
    fulfil(work, threading.Event())
    before = (OutboxEvent.objects.count(), ProcessedEvent.objects.filter(skipped=False).count())
    assert fulfil(work, threading.Event()) == "duplicate"
    assert (OutboxEvent.objects.count(), ProcessedEvent.objects.filter(skipped=False).count()) == before
    assert ProcessedEvent.objects.filter(skipped=True).count() == 1


@pytest.mark.parametrize(("mode", "starts"), [(DeliveryMode.EFFECTIVELY_ONCE, 1), (DeliveryMode.AT_LEAST_ONCE, 2)])
def test_a_redelivery_after_a_crash_mid_order_finishes_it_and_repeats_the_work_only_without_dedupe(mode, starts):
    order = new_order()
    stopping = threading.Event()
    work = work_for(order, mode=mode)
    fulfil(work, stopping, on_step=lambda step: stopping.set())  # the member dies during the work
    assert fulfil(work, threading.Event()) == "completed"
    assert Order.objects.get().status == Status.COMPLETED
    assert ProcessedEvent.objects.filter(step=START, skipped=False).count() == starts
    assert ProcessedEvent.objects.filter(step=START, skipped=True).count() == 2 - starts  # the dedupe, recorded
    assert ProcessedEvent.objects.filter(step=FINISH).count() == 1
    statuses = [value["order"]["status"] for value, _ in events_of(order)]
    assert statuses == ["QUEUED", "PROCESSING", "COMPLETED"]  # the rules never move an order twice
    control = WorkerControl.objects.create(pk=1, delivery_mode=mode, mode_since=order.created_at)
    assert counters.counters(control, {0: 1})["processed_twice"] == starts - 1
    # The row's mark does not depend on the mode set since.
    control.delivery_mode, control.mode_since = DeliveryMode.AT_MOST_ONCE, timezone.now()
    assert counters.counters(control, {0: 1})["processed_twice"] == 0
    assert counters.processed_twice_orders(limit=5) == [str(order.order_id)] * (starts - 1)


def test_a_redelivery_of_a_finished_order_is_skipped_without_dedupe():
    order = new_order()
    work = work_for(order, mode=DeliveryMode.AT_LEAST_ONCE)
    fulfil(work, threading.Event())
    assert fulfil(work, threading.Event()) == "skipped"
    assert ProcessedEvent.objects.filter(step=START).count() == 1


def test_lost_counts_unfinished_orders_below_the_committed_offset_that_no_member_holds():
    order, other = new_order(), new_order()
    OutboxEvent.objects.filter(key=str(order.order_id)).update(sent_at=order.created_at, partition=1, offset=7)
    OutboxEvent.objects.filter(key=str(other.order_id)).update(sent_at=order.created_at, partition=1, offset=8)
    since = min(order.created_at, other.created_at)
    assert counters.lost_orders(since, {1: 8}) == [str(order.order_id)]
    assert counters.lost_orders(since, {1: 7}) == []
    assert counters.lost_orders(since, {1: None}) == []
    services.change_status(order_id=order.order_id, to=Status.PROCESSING, source="worker")
    services.change_status(order_id=order.order_id, to=Status.FAILED, source="worker", reason="gone")
    assert counters.lost_orders(since, {1: 9}) == [str(other.order_id)]
    # The rows' marks: lost in any mode (since None).
    assert counters.lost_orders(None, {1: 9}) == [str(other.order_id)]
    assert counters.lost_orders(timezone.now(), {1: 9}) == []
