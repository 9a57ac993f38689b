"""Create the orders topic with the configured partitions and replication if it does not exist yet."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from messaging import clients


class Command(BaseCommand):
    help = "Create the orders topic if missing (the outbox publisher also does this on start)."

    def handle(self, *args, **options):
        try:
            created = clients.ensure_topic()
        except KafkaError as exc:
            raise CommandError(f"cannot reach Kafka at {settings.KAFKA_BOOTSTRAP_SERVERS}: {exc}") from exc
        state = "created" if created else "already exists"
        self.stdout.write(f"topic {settings.KAFKA_ORDERS_TOPIC!r} {state}")
