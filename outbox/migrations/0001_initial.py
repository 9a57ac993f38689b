"""The outbox takes over OutboxEvent from orders: in Django's state only, the table and its rows stay as they are."""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("orders", "0002_outbox_parked_at"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="OutboxEvent",
                    fields=[
                        ("id", models.BigAutoField(primary_key=True, serialize=False)),
                        ("event_id", models.UUIDField(unique=True)),
                        ("topic", models.CharField(max_length=249)),
                        ("key", models.CharField(max_length=64)),
                        ("value", models.TextField()),
                        ("headers", models.JSONField(default=list)),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("sent_at", models.DateTimeField(blank=True, null=True)),
                        ("partition", models.IntegerField(blank=True, null=True)),
                        ("offset", models.BigIntegerField(blank=True, null=True)),
                        ("attempts", models.PositiveIntegerField(default=0)),
                        ("last_error", models.TextField(blank=True, default="")),
                        ("parked_at", models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        "db_table": "orders_outboxevent",
                        "ordering": ["id"],
                        "indexes": [
                            models.Index(
                                condition=models.Q(("sent_at__isnull", True)), fields=["id"], name="outbox_waiting"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
