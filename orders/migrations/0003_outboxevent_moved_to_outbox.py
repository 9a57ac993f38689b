"""OutboxEvent now belongs to the outbox app (outbox 0001): removed from orders' state only, its table is kept."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0002_outbox_parked_at"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="OutboxEvent"),
            ],
            database_operations=[],
        ),
    ]
