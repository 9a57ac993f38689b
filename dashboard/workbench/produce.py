"""Produce one record from the page: to any topic that exists (the orders topic unless named), to a chosen partition
or by key, with any headers, and a tombstone (a null value, told apart from an empty one) on request.

The record is input for every reader of the topic (the relay, Watch, the worker), which show or skip it; here
it is only checked for size and shape, so a learner can write exactly what another producer could. It leaves
with one header more than typed, messaging.judging.HAND_MADE_HEADER, so readers show it as hand-made (a header of
that name typed in the form is replaced by it).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from django.conf import settings
from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError, for_code

from dashboard.lazy_client import LazyClient
from messaging import clients, judging
from orders import rules
from orders.exceptions import InvalidInput

MAX_KEY_BYTES = 1024
MAX_VALUE_BYTES = 256 * 1024
MAX_HEADERS = 32
MAX_HEADER_NAME = 128
MAX_HEADER_VALUE_BYTES = 8 * 1024
HAND_MADE_VALUE = b"dashboard produce"
# Kafka's own rule for topic names (org.apache.kafka.common.internals.Topic).
TOPIC_NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")
UNKNOWN_TOPIC = 3  # UNKNOWN_TOPIC_OR_PARTITION


@dataclass(frozen=True)
class Produced:
    topic: str
    partition: int
    offset: int
    timestamp: int


_lock = threading.Lock()
# No auto-creation: a record for a topic that is not there is refused, never the cause of a new topic.
_producer: LazyClient[KafkaProducer] = LazyClient(
    lambda: clients.build_producer(client_id="orders-workbench", allow_auto_create_topics=False),
    lambda producer: clients.close_producer(producer, timeout=2),
)
_admin: LazyClient[KafkaAdminClient] = LazyClient(
    lambda: clients.build_admin(client_id="orders-workbench-admin"), lambda admin: admin.close()
)


def produce(
    *,
    key: object = None,
    value: object = None,
    headers: object = None,
    topic: object = None,
    partition: object = None,
    tombstone: object = False,
) -> Produced:
    """Validate and send one record, waiting for the broker's acknowledgement; raise InvalidInput or KafkaError."""
    record = _checked(key, value, headers, tombstone)
    name = _topic_name(topic)
    where = _partition(partition)
    with _lock:
        try:
            _check_place(_admin.get(), name, where)
        except KafkaError:
            _admin.drop()
            raise
        producer = _producer.get()
        try:
            metadata = producer.send(name, partition=where, **record).get(timeout=10)
        except KafkaError:
            _producer.drop()
            raise
    return Produced(name, metadata.partition, metadata.offset, metadata.timestamp)


def _checked(key: object, value: object, headers: object, tombstone: object) -> dict:
    errors: dict[str, list[str]] = {}
    if not isinstance(tombstone, bool):
        errors["tombstone"] = ["Send true or false."]
    key_bytes = _text_bytes(key, MAX_KEY_BYTES, "key", errors)
    if tombstone is True:
        if value is not None:
            errors["value"] = ["A tombstone has no value: send null, or leave tombstone out to send this text."]
        if key is None and "key" not in errors:
            errors["key"] = ["A tombstone deletes a key: give the key."]
        value_bytes = None
    elif value is None:
        errors["value"] = ['Send text (it may be empty). A null value is a tombstone: send "tombstone": true.']
        value_bytes = None
    else:
        value_bytes = _text_bytes(value, MAX_VALUE_BYTES, "value", errors)
    header_list = _headers(headers, errors)
    if errors:
        raise InvalidInput(errors)
    marked = [(name, value) for name, value in header_list if name != judging.HAND_MADE_HEADER]
    return {"key": key_bytes, "value": value_bytes, "headers": [*marked, (judging.HAND_MADE_HEADER, HAND_MADE_VALUE)]}


def _topic_name(topic: object) -> str:
    if topic is None:
        return settings.KAFKA_ORDERS_TOPIC
    if not isinstance(topic, str) or not TOPIC_NAME.fullmatch(topic):
        raise InvalidInput({"topic": ["A topic name is 1 to 249 letters, digits, '.', '_' or '-'."]})
    return topic


def _partition(partition: object) -> int | None:
    if partition is None:
        return None
    if not isinstance(partition, int) or isinstance(partition, bool) or partition < 0:
        raise InvalidInput({"partition": ["Send a partition number (0 or more), or null to place it by its key."]})
    return partition


def _check_place(admin: KafkaAdminClient, topic: str, partition: int | None) -> None:
    """The topic must exist, and the partition be one of its own; asked of the broker without creating anything."""
    described = admin.describe_topics([topic])[0]
    if described["error_code"] == UNKNOWN_TOPIC:
        raise InvalidInput({"topic": [f"There is no topic {topic!r} on the broker."]})
    if described["error_code"]:
        raise for_code(described["error_code"])(f"topic {topic!r} cannot be described")
    count = len(described["partitions"])
    if partition is not None and partition >= count:
        raise InvalidInput(
            {"partition": [f"{topic!r} has no partition {partition}: its partitions are 0 to {count - 1}."]}
        )


def _text_bytes(text: object, limit: int, field: str, errors: dict) -> bytes | None:
    if text is None:
        return None
    if not isinstance(text, str):
        errors[field] = ["Send text, or null for none."]
        return None
    try:
        data = text.encode()
    except UnicodeEncodeError:
        errors[field] = ["Must be Unicode text; lone surrogates cannot be sent."]
        return None
    if len(data) > limit:
        errors[field] = [f"At most {limit} bytes of UTF-8."]
    return data


def _headers(headers: object, errors: dict) -> list[tuple[str, bytes]]:
    if headers is None:
        return []
    if (
        not isinstance(headers, list)
        or len(headers) > MAX_HEADERS
        or not all(isinstance(pair, list) and len(pair) == 2 for pair in headers)
    ):
        errors["headers"] = [f"Send up to {MAX_HEADERS} [name, value] pairs."]
        return []
    checked = []
    for name, text in headers:
        if not isinstance(name, str) or not 0 < len(name) <= MAX_HEADER_NAME or not rules.is_unicode_text(name):
            errors["headers"] = [f"Each name is 1 to {MAX_HEADER_NAME} characters of Unicode text."]
            return []
        value_errors: dict = {}
        data = _text_bytes(text, MAX_HEADER_VALUE_BYTES, "headers", value_errors)
        if text is None:  # Kafka allows a null header value; kafka-python's producer does not send one
            value_errors["headers"] = ["Each header value is text (it may be empty)."]
        if value_errors:
            errors["headers"] = [f"{name}: {value_errors['headers'][0]}"]
            return []
        checked.append((name, data))
    return checked
