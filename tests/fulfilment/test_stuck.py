"""Stuck orders without Kafka: which orders the database says no member will finish, and their recovery."""

import json
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from fulfilment import controls, counters, stuck
from fulfilment.models import DeliveryMode, Member, ProcessedEvent
from fulfilment.processing import FINISH, START, Work, fulfil
from fulfilment.supervisor import Supervisor
from orders import services
from orders.events import OrderEvent
from orders.models import Order, Status
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def placed(*, partition=0, offset=0, unchanged=60, published=True):
    """An order whose `order.created` record landed at partition@offset (unless not `published` yet), last
    changed `unchanged` seconds ago."""
    order = services.create_order(created_by="ana", equipment=["MONITOR"], source="rest")
    if published:
        OutboxEvent.objects.filter(key=str(order.order_id)).update(
            sent_at=timezone.now(), partition=partition, offset=offset
        )
    age(order, unchanged)
    return order


def age(order, seconds):
    Order.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(seconds=seconds))


def member(name="m-1", *, order=None, positions=None, beat_ago=0):
    return Member.objects.create(
        name=name,
        pid=1,
        host="here",
        order_id=order.order_id if order else None,
        step=START if order else "",
        positions=positions or {},
        heartbeat_at=timezone.now() - timedelta(seconds=beat_ago),
    )


def listed():
    return [order.order_id for order in stuck.stuck_orders()]


def record_of(order, mode=DeliveryMode.EFFECTIVELY_ONCE):
    """The order's `order.created` record as a member would get it from the topic."""
    row = OutboxEvent.objects.filter(key=str(order.order_id)).order_by("id").first()
    return Work(
        event=OrderEvent.from_record(row.value.encode(), row.key.encode()),
        partition=row.partition,
        offset=row.offset,
        member="m-2",
        mode=mode,
        step_delay_ms=0,
        failure_rate=0,
    )


def statuses_on_topic(order):
    rows = OutboxEvent.objects.filter(key=str(order.order_id)).order_by("id")
    return [(json.loads(row.value)["order"]["status"], json.loads(row.value)["source"]) for row in rows]


def test_an_order_unchanged_too_long_on_the_topic_with_no_member_is_stuck(settings):
    settings.FULFILMENT_STUCK_AFTER_SECONDS = 30
    old = placed(partition=2, offset=5, unchanged=45)
    placed(unchanged=20)  # not yet
    placed(unchanged=90, published=False)  # the outbox still holds its record: the outbox's to deliver
    for final in (Status.CANCELLED, Status.COMPLETED):
        done = placed(unchanged=90)
        if final == Status.COMPLETED:
            services.change_status(order_id=done.order_id, to=Status.PROCESSING, source="worker")
        services.change_status(order_id=done.order_id, to=final, source="worker")
        age(done, 90)
    [found] = stuck.stuck_orders()
    assert (found.order_id, found.status, found.partition, found.offset, found.last_member) == (
        str(old.order_id),
        Status.QUEUED,
        2,
        5,
        None,
    )
    assert 45 <= found.unchanged_seconds < 50
    settings.FULFILMENT_STUCK_AFTER_SECONDS = 10
    assert len(listed()) == 2


def test_a_live_member_with_the_order_in_hand_or_still_to_read_is_working_on_it():
    held, queued, passed = placed(partition=0, offset=3), placed(partition=1, offset=7), placed(partition=2, offset=4)
    member("m-1", order=held, positions={"0": 3, "1": 7})
    member("m-2", positions={"2": 5})
    assert listed() == [str(passed.order_id)]
    # A member that was just given a partition does not know its position yet: it will read from somewhere.
    Member.objects.filter(name="m-1").update(positions={"0": 4, "1": None})
    assert listed() == [str(passed.order_id)]
    Member.objects.filter(name="m-1").update(order_id=None, positions={"0": 4, "1": 8})
    assert set(listed()) == {str(held.order_id), str(queued.order_id), str(passed.order_id)}


def test_a_member_that_stopped_beating_works_on_nothing():
    order = placed(partition=0, offset=3)
    member("m-1", order=order, positions={"0": 3}, beat_ago=stuck.WORKING_MEMBER.total_seconds() - 2)
    assert listed() == []
    Member.objects.update(heartbeat_at=timezone.now() - stuck.WORKING_MEMBER - timedelta(seconds=1))
    assert listed() == [str(order.order_id)]


def test_the_list_is_the_longest_unchanged_first_with_the_member_that_last_touched_each():
    newer, older = placed(unchanged=40), placed(unchanged=400)
    stopping = threading.Event()
    started = record_of(newer)
    assert fulfil(started, stopping, on_step=lambda step: stopping.set()) == "handed back"  # its member died
    age(newer, 40)
    assert [(order.order_id, order.status, order.last_member) for order in stuck.stuck_orders()] == [
        (str(older.order_id), Status.QUEUED, None),
        (str(newer.order_id), Status.PROCESSING, "m-2"),
    ]
    assert len(stuck.stuck_orders(limit=1)) == 1


def test_the_list_is_the_same_in_every_delivery_mode():
    order = placed()
    for mode in [DeliveryMode.AT_MOST_ONCE, DeliveryMode.AT_LEAST_ONCE, DeliveryMode.EFFECTIVELY_ONCE]:
        controls.update(delivery_mode=mode)
        assert listed() == [str(order.order_id)]


def test_recovery_drives_a_stuck_order_once_and_a_later_redelivery_changes_nothing():
    controls.update(failure_rate=0)
    order, fresh = placed(), placed(unchanged=1)
    [recovered] = stuck.recover(name="recovery-test")
    assert (recovered.order_id, recovered.outcome) == (str(order.order_id), "completed")
    assert statuses_on_topic(order) == [("QUEUED", "rest"), ("PROCESSING", "worker"), ("COMPLETED", "worker")]
    assert Order.objects.get(pk=fresh.pk).status == Status.QUEUED
    assert listed() == []
    # The group reads the record after all (someone commits the group back): the dedupe says it was done.
    assert fulfil(record_of(order), threading.Event()) == "duplicate"
    assert statuses_on_topic(order) == [("QUEUED", "rest"), ("PROCESSING", "worker"), ("COMPLETED", "worker")]
    done = ProcessedEvent.objects.filter(order_id=order.order_id, skipped=False)
    assert list(done.values_list("step", "member")) == [(START, "recovery-test"), (FINISH, "recovery-test")]
    assert counters.processed_twice_orders(limit=5) == []


def test_recovery_finishes_what_a_killed_member_started_without_starting_it_again():
    controls.update(failure_rate=1)
    order = placed()
    stopping = threading.Event()
    fulfil(record_of(order), stopping, on_step=lambda step: stopping.set())
    age(order, 60)
    [recovered] = stuck.recover(name="recovery-test")
    assert recovered.outcome == "failed"
    steps = ProcessedEvent.objects.filter(order_id=order.order_id).values_list("step", "member", "skipped")
    assert list(steps) == [(START, "m-2", False), (START, "recovery-test", True), (FINISH, "recovery-test", False)]
    assert statuses_on_topic(order) == [("QUEUED", "rest"), ("PROCESSING", "worker"), ("FAILED", "worker")]


def test_recovery_without_dedupe_is_one_more_delivery_and_the_rules_still_move_the_order_once():
    controls.update(failure_rate=0, delivery_mode=DeliveryMode.AT_LEAST_ONCE)
    order = placed()
    assert [r.outcome for r in stuck.recover()] == ["completed"]
    # The member's delivery of the record finds the order final and leaves it.
    assert fulfil(record_of(order, DeliveryMode.AT_LEAST_ONCE), threading.Event()) == "skipped"
    assert stuck.recover() == []
    assert statuses_on_topic(order)[1:] == [("PROCESSING", "worker"), ("COMPLETED", "worker")]


def test_the_supervisor_recovers_when_a_round_is_due_and_never_while_the_group_is_paused(settings):
    settings.FULFILMENT_RECOVERY_SECONDS = 0.01
    controls.update(failure_rate=0, paused=True)
    order = placed()
    supervisor = Supervisor()
    supervisor.recover_at = 0
    supervisor._recover_stuck(controls.current())
    assert Order.objects.get(pk=order.pk).status == Status.QUEUED
    supervisor._recover_stuck(controls.update(paused=False))
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED
    assert ProcessedEvent.objects.filter(member=supervisor.recovery_name).count() == 2
    settings.FULFILMENT_RECOVERY_SECONDS = 0
    later = placed()
    supervisor.recover_at = 0
    supervisor._recover_stuck(controls.current())
    assert Order.objects.get(pk=later.pk).status == Status.QUEUED


def test_the_supervisor_leaves_at_most_once_lost_orders_to_a_person(settings):
    settings.FULFILMENT_RECOVERY_SECONDS = 0.01
    controls.update(failure_rate=0, delivery_mode=DeliveryMode.AT_MOST_ONCE)
    order = placed()
    supervisor = Supervisor()
    supervisor.recover_at = 0
    supervisor._recover_stuck(controls.current())
    assert Order.objects.get(pk=order.pk).status == Status.QUEUED
    assert listed() == [str(order.order_id)]
    assert [recovered.order_id for recovered in stuck.recover()] == [str(order.order_id)]
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED


def test_the_supervisor_leaves_the_orders_of_an_emptied_group_alone(settings):
    settings.FULFILMENT_RECOVERY_SECONDS = 0.01
    controls.update(failure_rate=0, members=0)
    order = placed()
    supervisor = Supervisor()
    supervisor.recover_at = 0
    supervisor._recover_stuck(controls.current())
    assert Order.objects.get(pk=order.pk).status == Status.QUEUED
    supervisor._recover_stuck(controls.update(members=1))
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED
