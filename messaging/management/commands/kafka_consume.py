"""Print each record of the orders topic with partition, offset, key and value, like the course's consumer."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kafka.errors import KafkaError

from messaging import clients, readers


class Command(BaseCommand):
    help = (
        "Print records of the orders topic. Without --group it only observes (commits nothing); "
        "with --group it joins that consumer group and commits its offsets."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--from-beginning",
            action="store_true",
            help="start at the oldest record (with --group: only if the group has no offsets yet)",
        )
        parser.add_argument("--group", help="consumer group id to join")
        parser.add_argument("--topic", default=None)
        parser.add_argument("--partition", type=int, help="read only this partition (with --offset: from there)")
        parser.add_argument("--offset", type=int, help="with --partition: the first offset to read")
        parser.add_argument("--print-headers", action="store_true", help="print each record's headers too")
        parser.add_argument("--max-records", type=int, default=None, help="stop after this many records")
        parser.add_argument("--timeout", type=float, default=None, help="stop after this many idle seconds")

    @staticmethod
    def _open(
        topic: str,
        group: str | None,
        from_beginning: bool,
        timeout_ms: float,
        partition: int | None = None,
        offset: int | None = None,
    ):
        """A group member (which commits) when a group is named, else a read-only reader of every partition (or
        of the one named, from `offset`)."""
        if not group:
            start = (
                {partition: offset}
                if partition is not None and offset is not None
                else "beginning"
                if from_beginning
                else "end"
            )
            reader = readers.open_reader(
                topic, start=start, client_id="orders-console-consumer", consumer_timeout_ms=timeout_ms
            )
            if partition is not None:
                reader.pause(*[tp for tp in readers.assigned(reader) if tp.partition != partition])
            return reader
        consumer = clients.build_consumer(group_id=group, from_beginning=from_beginning, consumer_timeout_ms=timeout_ms)
        consumer.subscribe([topic])
        return consumer

    def handle(
        self, *args, from_beginning, group, topic, partition, offset, print_headers, max_records, timeout, **options
    ):
        topic = topic or settings.KAFKA_ORDERS_TOPIC
        timeout_ms = int(timeout * 1000) if timeout else float("inf")
        if (partition is not None or offset is not None) and group:
            raise CommandError("--partition and --offset read as an observer: leave out --group")
        if offset is not None and partition is None:
            raise CommandError("--offset needs --partition")
        try:
            consumer = self._open(topic, group, from_beginning, timeout_ms, partition, offset)
        except readers.TopicMissing as exc:
            raise CommandError(f"{exc} (yet)") from exc
        except KafkaError as exc:
            raise CommandError(f"cannot reach Kafka at {settings.KAFKA_BOOTSTRAP_SERVERS}: {exc}") from exc
        self.stderr.write(
            f"Reading {topic!r} from {settings.KAFKA_BOOTSTRAP_SERVERS}"
            f"{' as group ' + group if group else ' as an observer'}; Ctrl-C stops."
        )
        seen = 0
        try:
            for record in consumer:
                key = record.key.decode(errors="replace") if record.key is not None else None
                value = record.value.decode(errors="replace") if record.value is not None else None
                headers = (
                    " headers="
                    + ",".join(f"{name}:{(data or b'').decode(errors='replace')}" for name, data in record.headers)
                    if print_headers
                    else ""
                )
                self.stdout.write(
                    f"partition={record.partition} offset={record.offset} key={key}{headers} value={value}"
                )
                self.stdout.flush()
                seen += 1
                if max_records and seen >= max_records:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            consumer.close()
