"""Moving OutboxEvent from orders to the outbox keeps the rows: a database at orders 0002 comes forward intact."""

import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from outbox.models import OutboxEvent

ORDERS_OWN_IT = ("orders", "0002_outbox_parked_at")
# The outbox's migrations come after that one, so they are undone too.
BEFORE_THE_MOVE = [ORDERS_OWN_IT, ("outbox", None)]


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    """Migrate the test database to `targets`; an executor that has loaded the graph afresh for what comes next."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_an_outbox_row_written_before_the_move_is_found_through_the_new_model():
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    content_type = ContentType.objects.get(app_label="outbox", model="outboxevent").id
    old_apps = migrate(BEFORE_THE_MOVE).loader.project_state(ORDERS_OWN_IT).apps
    try:
        assert "orders_outboxevent" in connection.introspection.table_names()
        assert ContentType.objects.filter(id=content_type, app_label="orders").exists()
        event_id = uuid.uuid4()
        old_apps.get_model("orders", "OutboxEvent").objects.create(
            event_id=event_id, topic="orders", key="k", value='{"a":1}', headers=[["h", "v"]], attempts=2
        )
    finally:
        migrate(latest)
    assert "orders_outboxevent" not in connection.introspection.table_names()
    # Permissions and admin history hang on the content type, which moved with the model (and back).
    assert ContentType.objects.filter(id=content_type, app_label="outbox").exists()
    row = OutboxEvent.objects.get()
    assert (row.event_id, row.key, row.value, row.headers, row.attempts) == (event_id, "k", '{"a":1}', [["h", "v"]], 2)
    assert row.sent_at is None and row.parked_at is None
    # The table's id sequence came along too: the next row does not collide with the moved one.
    assert OutboxEvent.objects.create(event_id=uuid.uuid4(), topic="orders", key="k", value="{}").id > row.id
