"""Run the outbox publisher until SIGTERM/SIGINT: committed events go to Kafka, oldest first."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from outbox.publisher import OutboxPublisher
from playground.process_checks import BACKGROUND_PROCESS_CHECKS


class Command(BaseCommand):
    requires_system_checks = BACKGROUND_PROCESS_CHECKS
    help = "Publish waiting events from the outbox to Kafka, and keep doing so."

    def add_arguments(self, parser):
        parser.add_argument(
            "--poll",
            type=float,
            default=settings.OUTBOX_POLL_SECONDS,
            help="seconds between looks at an empty outbox when no wake-up arrives",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, poll, batch_size, **options):
        publisher = OutboxPublisher(
            poll_seconds=poll,
            batch_size=batch_size,
            wakeup_address=settings.OUTBOX_WAKEUP_ADDR,
            max_attempts=settings.OUTBOX_MAX_ATTEMPTS,
        )
        # Stop between batches: a batch in flight is flushed and marked before the process exits.
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: publisher.stop())
        self.stdout.write(
            f"Publishing the outbox to {settings.KAFKA_BOOTSTRAP_SERVERS} topic {settings.KAFKA_ORDERS_TOPIC!r}",
            ending="\n",
        )
        self.stdout.flush()
        publisher.run()
