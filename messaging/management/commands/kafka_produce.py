"""Send each line of standard input as a record to the orders topic, like the course's producer."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from messaging import clients


class Command(BaseCommand):
    help = (
        "Send stdin lines to the orders topic. With --key-separator, the text before it is the key. "
        "These are raw records, not order events: readers show them as text."
    )

    def add_arguments(self, parser):
        parser.add_argument("--topic", default=None)
        parser.add_argument("--key-separator", default=None, help="e.g. ':' to send 'key:value' lines")

    def handle(self, *args, topic, key_separator, **options):
        topic = topic or settings.KAFKA_ORDERS_TOPIC
        try:
            producer = clients.build_producer(client_id="console-producer")
        except KafkaError as exc:
            raise CommandError(f"cannot reach Kafka at {settings.KAFKA_BOOTSTRAP_SERVERS}: {exc}") from exc
        sent = 0
        try:
            for line in sys.stdin:
                line = line.rstrip("\n")
                key, value = line.split(key_separator, 1) if key_separator and key_separator in line else (None, line)
                metadata = producer.send(topic, key=key.encode() if key else None, value=value.encode()).get(30)
                self.stdout.write(f"sent partition={metadata.partition} offset={metadata.offset}")
                sent += 1
        except KafkaError as exc:
            raise CommandError(f"sending failed after {sent} records: {exc}") from exc
        finally:
            clients.close_producer(producer, timeout=5)
