"""Orders gain `accepted_at`, the server's clock when it took the order, and lists sort by it instead of the
client's `created_at`.

Existing rows get the best trace of that moment they have: their first outbox event (written in the order's own
transaction, stamped by the server); failing that, the earlier of `created_at` and `updated_at` (the row's last
write is never before it was accepted, and a client's future `created_at` loses to it).
"""

import django.utils.timezone
from django.db import migrations, models
from django.db.models import Min

CHUNK = 500


def backfill_accepted_at(apps, schema_editor):
    database = schema_editor.connection.alias
    orders = apps.get_model("orders", "Order").objects.using(database)
    events = apps.get_model("outbox", "OutboxEvent").objects.using(database)
    ids = list(orders.filter(accepted_at__isnull=True).order_by("pk").values_list("pk", flat=True))
    for start in range(0, len(ids), CHUNK):
        chunk = list(orders.filter(pk__in=ids[start : start + CHUNK]))
        first_events = dict(
            events.filter(key__in=[str(order.pk) for order in chunk])
            .order_by()
            .values("key")
            .annotate(first=Min("created_at"))
            .values_list("key", "first")
        )
        for order in chunk:
            order.accepted_at = first_events.get(str(order.pk)) or min(order.created_at, order.updated_at)
        orders.bulk_update(chunk, ["accepted_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_outboxevent_moved_to_outbox"),
        ("outbox", "0002_outboxevent_own_table"),
    ]

    operations = [
        migrations.AddField(
            model_name="order",
            name="accepted_at",
            field=models.DateTimeField(null=True, editable=False),
        ),
        migrations.RunPython(backfill_accepted_at, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="order",
            name="accepted_at",
            field=models.DateTimeField(default=django.utils.timezone.now, editable=False),
        ),
        migrations.RemoveIndex(
            model_name="order",
            name="order_newest_first",
        ),
        migrations.AddIndex(
            model_name="order",
            index=models.Index(fields=["-accepted_at", "-order_id"], name="order_newest_accepted_first"),
        ),
        migrations.AlterModelOptions(
            name="order",
            options={"ordering": ["-accepted_at", "-order_id"]},
        ),
    ]
