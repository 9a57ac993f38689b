"""The order rules, exercised through orders.services alone."""

import json
import threading
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction

from orders import selectors, services
from orders.exceptions import InvalidOrder, InvalidTransition, OrderNotFound
from orders.models import Order, Status
from outbox.models import OutboxEvent

pytestmark = pytest.mark.django_db


def create(**overrides):
    fields = {"created_by": "ana", "equipment": ["KEYBOARD", "MOUSE", "MOUSE"], "source": "rest"}
    return services.create_order(**{**fields, **overrides})


def test_create_defaults_status_and_time_and_keeps_repeats():
    before = datetime.now(UTC)
    order = create()
    assert order.status == Status.QUEUED
    assert before <= order.created_at <= datetime.now(UTC)
    assert Order.objects.get().equipment == ["KEYBOARD", "MOUSE", "MOUSE"]


def test_create_records_exactly_one_created_event_in_the_outbox():
    order = create(source="grpc")
    event = OutboxEvent.objects.get()
    value = json.loads(event.value)
    assert event.key == str(order.order_id)
    assert event.sent_at is None
    assert value["type"] == "order.created"
    assert value["source"] == "grpc"
    assert value["order"]["equipment"] == ["KEYBOARD", "MOUSE", "MOUSE"]
    assert ["event-type", "order.created"] in event.headers


def test_naive_created_at_is_taken_as_utc():
    order = create(created_at="2026-01-31T12:00:00")
    assert order.created_at == datetime(2026, 1, 31, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"created_by": ""}, "created_by"),
        ({"created_by": "   "}, "created_by"),
        ({"created_by": "x" * 151}, "created_by"),
        ({"created_by": None}, "created_by"),
        ({"equipment": []}, "equipment"),
        ({"equipment": ["KEYBOARD"] * 21}, "equipment"),
        ({"equipment": ["KEYBOARD", "TOASTER"]}, "equipment"),
        ({"equipment": "KEYBOARD"}, "equipment"),
        ({"status": "SHIPPED"}, "status"),
        ({"created_at": "yesterday"}, "created_at"),
    ],
)
def test_invalid_input_names_the_field_and_stores_nothing(overrides, field):
    with pytest.raises(InvalidOrder) as caught:
        create(**overrides)
    assert field in caught.value.errors
    assert Order.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


def test_all_errors_are_reported_at_once():
    with pytest.raises(InvalidOrder) as caught:
        create(created_by="", equipment=[], status="NOPE")
    assert set(caught.value.errors) == {"created_by", "equipment", "status"}


def test_twenty_items_are_allowed():
    assert len(create(equipment=["WEBCAM"] * 20).equipment) == 20


def test_rolled_back_order_leaves_no_event():
    with pytest.raises(RuntimeError), transaction.atomic():
        create()
        raise RuntimeError("the caller's transaction fails after the order was written")
    assert Order.objects.count() == 0
    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_orders_placed_at_once_on_many_threads_are_each_stored_with_their_own_event():
    """Outside a transaction concurrent creates share commits (orders.group_commit); none is lost or mixed up."""
    placed, errors = [], []

    def place(number):
        try:
            placed.extend(create(created_by=f"thread {number}") for _ in range(5))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=place, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    stored = {str(order.order_id): order.created_by for order in Order.objects.all()}
    assert stored == {str(order.order_id): order.created_by for order in placed}
    assert len(stored) == 40
    recorded = {event.key: json.loads(event.value)["order"]["created_by"] for event in OutboxEvent.objects.all()}
    assert recorded == stored


@pytest.mark.parametrize("status", [Status.QUEUED, Status.PROCESSING])
def test_cancel_open_order_records_status_change(status):
    order = create(status=status)
    cancelled = services.cancel_order(order_id=str(order.order_id), source="rest")
    assert cancelled.status == Status.CANCELLED
    last = json.loads(OutboxEvent.objects.order_by("id").last().value)
    assert last["type"] == "order.status_changed"
    assert last["order"]["status"] == "CANCELLED"


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.FAILED, Status.CANCELLED])
def test_cancel_finished_order_is_refused_and_changes_nothing(status):
    order = create(status=status)
    with pytest.raises(InvalidTransition):
        services.cancel_order(order_id=order.order_id, source="rest")
    assert Order.objects.get().status == status
    assert OutboxEvent.objects.count() == 1


@pytest.mark.parametrize("order_id", ["0b6c8d0e-5a7c-4a39-9d5f-2c1e8a0f4b11", "not-a-uuid", ""])
def test_unknown_order_is_not_found(order_id):
    with pytest.raises(OrderNotFound):
        selectors.get_order(order_id=order_id)
    with pytest.raises(OrderNotFound):
        services.cancel_order(order_id=order_id, source="rest")


def test_list_is_newest_accepted_first_and_filters():
    old = create(created_by="bo", created_at="2030-01-01T00:00:00Z")
    new = create(created_by="ana", status=Status.COMPLETED, created_at="2026-01-01T00:00:00Z")
    assert list(selectors.list_orders()) == [new, old]
    assert list(selectors.list_orders(status="COMPLETED")) == [new]
    assert list(selectors.list_orders(created_by="bo")) == [old]
    with pytest.raises(InvalidOrder):
        selectors.list_orders(status="LOST")


@pytest.mark.parametrize("created_by", ["bo\x00", "a\ud800", " ", "b" * 151])
def test_a_name_no_order_can_have_matches_none(created_by):
    create(created_by="bo")
    assert list(selectors.list_orders(created_by=created_by)) == []


def test_a_lone_surrogate_is_refused_by_the_domain_too():
    with pytest.raises(InvalidOrder) as refused:
        services.create_order(created_by="a\ud800", equipment=["MOUSE"], source="grpc")
    assert "surrogate" in refused.value.errors["created_by"][0]


def test_messages_quote_at_most_a_short_piece_of_the_input():
    with pytest.raises(InvalidOrder) as refused:
        services.create_order(
            created_by="ana",
            equipment=["X" * 10_000] * 20,
            status="Y" * 10_000,
            created_at="Z" * 100_000,
            source="rest",
        )
    assert all(len(message) < 300 for messages in refused.value.errors.values() for message in messages)
