"""The outbox's table takes the outbox app's name (a rename: the rows stay), and so does its content type, which
keeps the admin's permissions and history of the model."""

from django.db import migrations


def _move_content_type(source: str, target: str):
    def move(apps, schema_editor):
        content_types = apps.get_model("contenttypes", "ContentType").objects.using(schema_editor.connection.alias)
        # A database migrated from scratch has no content type yet (post_migrate makes it later); where both exist,
        # both stay.
        if not content_types.filter(app_label=target, model="outboxevent").exists():
            content_types.filter(app_label=source, model="outboxevent").update(app_label=target)

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("orders", "0003_outboxevent_moved_to_outbox"),
        ("outbox", "0001_initial"),
    ]

    operations = [
        migrations.AlterModelTable(
            name="outboxevent",
            table=None,
        ),
        migrations.RunPython(_move_content_type("orders", "outbox"), _move_content_type("outbox", "orders")),
    ]
