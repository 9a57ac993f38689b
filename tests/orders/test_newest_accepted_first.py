"""Lists are in the order the server accepted the orders: the client's created_at is kept, never used to sort."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orders import selectors, services
from orders.models import Order

pytestmark = pytest.mark.django_db

# The course's example order: a date in 2020, which sorting by created_at buried past page 1 once 50 orders existed.
COURSE_EXAMPLE = {
    "created_by": "student",
    "status": "QUEUED",
    "created_at": "2020-10-16T12:00:00Z",
    "equipment": ["KEYBOARD", "MOUSE"],
}


def create(**fields):
    return services.create_order(**{"created_by": "ana", "equipment": ["MOUSE"], "source": "rest", **fields})


def test_the_course_example_after_60_orders_is_first_and_keeps_its_created_at():
    for _ in range(60):
        create()
    example = create(**COURSE_EXAMPLE)
    first_page = list(selectors.list_orders()[: selectors.page_size(None)])
    assert first_page[0] == example
    assert Order.objects.get(pk=example.pk).created_at == datetime(2020, 10, 16, 12, tzinfo=UTC)


def test_a_far_future_created_at_does_not_stay_on_top():
    pinned = create(created_at="9999-12-31T00:00:00Z")
    newer = create()
    assert list(selectors.list_orders()) == [newer, pinned]
    assert Order.objects.get(pk=pinned.pk).created_at.year == 9999


def test_the_server_clock_sets_accepted_at_and_a_missing_created_at():
    before = datetime.now(UTC)
    dated, undated = create(created_at="2020-10-16T12:00:00Z"), create()
    after = datetime.now(UTC)
    assert before <= dated.accepted_at <= undated.accepted_at <= after
    assert undated.created_at == undated.accepted_at


def test_an_unfinished_order_counts_from_when_it_was_accepted_not_its_created_at():
    since = datetime.now(UTC)
    backdated = create(created_at="2020-10-16T12:00:00Z")
    assert list(selectors.unfinished_orders(created_since=since)) == [backdated]
    assert list(selectors.unfinished_orders(created_since=datetime.now(UTC) + timedelta(seconds=1))) == []


def test_the_admin_lists_the_newest_accepted_first(admin_client):
    for _ in range(3):
        create()
    example = create(**COURSE_EXAMPLE)
    response = admin_client.get("/admin/orders/order/")
    assert response.status_code == 200
    assert response.context["cl"].result_list[0] == example
    assert "Oct. 16, 2020" in response.content.decode(), "the client's created_at is shown as given"


BEFORE = [("orders", "0003_outboxevent_moved_to_outbox"), ("outbox", "0002_outboxevent_own_table")]


@pytest.mark.django_db(transaction=True)
def test_existing_orders_are_given_when_they_were_accepted():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = MigrationExecutor(connection).loader.project_state(BEFORE).apps
    try:
        OldOrder, OldEvent = old_apps.get_model("orders", "Order"), old_apps.get_model("outbox", "OutboxEvent")
        accepted = datetime(2026, 3, 1, 9, tzinfo=UTC)
        # Its order.created event says when the server took it, whatever its created_at says.
        with_event = OldOrder.objects.create(
            created_by="a", equipment=["MOUSE"], created_at=datetime(2020, 10, 16, tzinfo=UTC)
        )
        OldEvent.objects.create(
            event_id=uuid.uuid4(), topic="orders", key=str(with_event.pk), value="{}", created_at=accepted
        )
        OldEvent.objects.create(
            event_id=uuid.uuid4(),
            topic="orders",
            key=str(with_event.pk),
            value="{}",
            created_at=accepted + timedelta(1),
        )
        # No event left: its last write bounds a future created_at.
        future = OldOrder.objects.create(
            created_by="b", equipment=["MOUSE"], created_at=datetime(9999, 12, 31, tzinfo=UTC)
        )
        # No event left: an ordinary created_at (the server's own default) is kept.
        plain = OldOrder.objects.create(
            created_by="c", equipment=["MOUSE"], created_at=datetime(2026, 2, 1, tzinfo=UTC)
        )
        future_written = OldOrder.objects.get(pk=future.pk).updated_at
    finally:
        MigrationExecutor(connection).migrate(latest)
    assert Order.objects.get(pk=with_event.pk).accepted_at == accepted
    assert Order.objects.get(pk=future.pk).accepted_at == future_written
    assert Order.objects.get(pk=plain.pk).accepted_at == datetime(2026, 2, 1, tzinfo=UTC)
    assert [order.created_by for order in selectors.list_orders()] == ["b", "a", "c"]
