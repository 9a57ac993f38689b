"""An order-event consumer written for version 1 of the event, still working on version 2's: a tolerant reader.

It reads the order fields version 1 names and skips any it does not know (the JSON counterpart of protobuf's unknown
fields), so an order with a delivery note (schema-version 2) reads as the order it always was. It reads in a consumer
group, from the group's committed offsets (the earliest the first time), until the topic is quiet, then commits how
far it got. Run with the playground up:

.venv/bin/python examples/v1_consumer.py --group my-v1-reader --created-by ana
"""

import argparse
import json
import os
import sys
import time

from kafka import KafkaConsumer

# What version 1 of the event's order holds; anything else in it is left alone.
V1_ORDER_FIELDS = ("order_id", "created_by", "status", "created_at", "equipment")
# Give up joining the group (or a broker that does not answer) after this long.
MAX_WAIT_SECONDS = 60


def order_line(value: bytes, headers: dict[str, bytes]) -> tuple[str, dict] | None:
    """The line version 1 prints for an order event, and its order; None for a record that is not one."""
    try:
        event = json.loads(value)
        order = event["order"]
        known = {name: order[name] for name in V1_ORDER_FIELDS}
    except (ValueError, TypeError, KeyError):
        return None
    version = headers.get("schema-version", b"?").decode(errors="replace")
    unknown = sorted(set(order) - set(V1_ORDER_FIELDS))
    skipped = f" (skipped what v1 does not know: {', '.join(unknown)})" if unknown else ""
    line = (
        f"schema-version {version}: {event.get('type')} {known['order_id']} {known['status']} "
        f"by {known['created_by']}: {','.join(known['equipment'])}{skipped}"
    )
    return line, known


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="examples/v1_consumer.py")
    parser.add_argument("--bootstrap-server", default=os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    parser.add_argument("--topic", default=os.environ.get("KAFKA_ORDERS_TOPIC", "orders"))
    parser.add_argument("--group", required=True, help="the consumer group; it commits how far it read")
    parser.add_argument("--created-by", help="print only this person's orders (all are read)")
    parser.add_argument("--idle-seconds", type=float, default=3.0, help="stop once nothing came for this long")
    options = parser.parse_args(argv)
    consumer = KafkaConsumer(
        options.topic,
        bootstrap_servers=options.bootstrap_server,
        group_id=options.group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    read = versions_2 = 0
    started = time.monotonic()
    quiet_from = None
    try:
        while time.monotonic() - started < MAX_WAIT_SECONDS:
            batches = consumer.poll(timeout_ms=500)
            if not consumer.assignment():
                continue  # still joining the group
            quiet_from = quiet_from or time.monotonic()
            for record in (record for batch in batches.values() for record in batch):
                quiet_from = time.monotonic()
                read += 1
                shown = order_line(record.value, dict(record.headers))
                if shown is None:
                    continue
                line, order = shown
                versions_2 += line.startswith("schema-version 2")
                if options.created_by in (None, order["created_by"]):
                    print(line, flush=True)
            if time.monotonic() - quiet_from >= options.idle_seconds:
                break
        consumer.commit()
    finally:
        consumer.close()
    print(
        f"read {read} records ({versions_2} of schema-version 2) and committed in group {options.group}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
