"""Send records to the orders topic (or another), like the course's producer: each line of standard input, or all of
it as one value, or a tombstone; with a key, headers and a partition if asked. The dashboard's produce form shows
this command for what Kafka's console producer cannot write (a chosen partition, a value with line breaks)."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from messaging import clients


def header(text: str) -> tuple[str, bytes]:
    name, colon, value = text.partition(":")
    if not colon or not name:
        raise ValueError(text)
    return name, value.encode()


class Command(BaseCommand):
    help = (
        "Send stdin lines to the orders topic. With --key-separator, the text before it is the key. "
        "These are raw records, not order events: readers show them as text."
    )

    def add_arguments(self, parser):
        parser.add_argument("--topic", default=None)
        parser.add_argument("--key-separator", default=None, help="e.g. ':' to send 'key:value' lines")
        parser.add_argument("--key", default=None, help="the key of every record (instead of --key-separator)")
        parser.add_argument("--partition", type=int, default=None, help="this partition instead of the key's")
        parser.add_argument(
            "--header", type=header, action="append", default=[], metavar="NAME:VALUE", help="repeat for more"
        )
        once = parser.add_mutually_exclusive_group()
        once.add_argument("--whole", action="store_true", help="all of stdin is one record's value, line breaks kept")
        once.add_argument("--tombstone", action="store_true", help="one record with a null value; stdin is not read")

    def handle(self, *args, topic, key_separator, key, partition, header, whole, tombstone, **options):
        topic = topic or settings.KAFKA_ORDERS_TOPIC
        if tombstone and key is None:
            raise CommandError("a tombstone deletes a key: give --key")
        try:
            producer = clients.build_producer(client_id="console-producer")
        except KafkaError as exc:
            raise CommandError(f"cannot reach Kafka at {settings.KAFKA_BOOTSTRAP_SERVERS}: {exc}") from exc
        sent = 0
        try:
            for line_key, value in self._records(key_separator, key, whole, tombstone):
                metadata = producer.send(
                    topic, key=line_key, value=value, headers=list(header), partition=partition
                ).get(30)
                self.stdout.write(f"sent partition={metadata.partition} offset={metadata.offset}")
                sent += 1
        except KafkaError as exc:
            raise CommandError(f"sending failed after {sent} records: {exc}") from exc
        finally:
            clients.close_producer(producer, timeout=5)

    @staticmethod
    def _records(key_separator, key, whole, tombstone):
        """(key, value) bytes of each record to send."""
        fixed = key.encode() if key is not None else None
        if tombstone:
            yield fixed, None
        elif whole:
            yield fixed, sys.stdin.buffer.read()
        else:
            for line in sys.stdin:
                line = line.rstrip("\n")
                if key_separator and key_separator in line:
                    line_key, value = line.split(key_separator, 1)
                    yield line_key.encode() or None, value.encode()
                else:
                    yield fixed, line.encode()
