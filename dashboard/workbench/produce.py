"""Produce one record to the orders topic from the page: any key, headers and value a learner types.

The record is input for every reader of the topic (the relay, Watch, the worker), which show or skip it; here
it is only checked for size and shape, so a learner can write exactly what another producer could. It leaves
with one header more than typed, messaging.judging.HAND_MADE_HEADER, so readers show it as hand-made (a header of
that name typed in the form is replaced by it).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from django.conf import settings
from kafka import KafkaProducer
from kafka.errors import KafkaError

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


@dataclass(frozen=True)
class Produced:
    partition: int
    offset: int
    timestamp: int


_lock = threading.Lock()
_producer: LazyClient[KafkaProducer] = LazyClient(
    lambda: clients.build_producer(client_id="orders-workbench"),
    lambda producer: clients.close_producer(producer, timeout=2),
)


def produce(*, key: object, value: object, headers: object) -> Produced:
    """Validate and send one record, waiting for the broker's acknowledgement; raise InvalidInput or KafkaError."""
    record = _checked(key, value, headers)
    with _lock:
        producer = _producer.get()
        try:
            metadata = producer.send(settings.KAFKA_ORDERS_TOPIC, **record).get(timeout=10)
        except KafkaError:
            _producer.drop()
            raise
    return Produced(metadata.partition, metadata.offset, metadata.timestamp)


def _checked(key: object, value: object, headers: object) -> dict:
    errors: dict[str, list[str]] = {}
    key_bytes = _text_bytes(key, MAX_KEY_BYTES, "key", errors)
    value_bytes = _text_bytes(value, MAX_VALUE_BYTES, "value", errors)
    header_list = _headers(headers, errors)
    if not errors and key_bytes is None and value_bytes is None:
        errors["non_field_errors"] = ["A record needs a key or a value (Kafka refuses neither)."]
    if errors:
        raise InvalidInput(errors)
    marked = [(name, value) for name, value in header_list if name != judging.HAND_MADE_HEADER]
    return {"key": key_bytes, "value": value_bytes, "headers": [*marked, (judging.HAND_MADE_HEADER, HAND_MADE_VALUE)]}


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
            errors["headers"] = value_errors["headers"]
            return []
        checked.append((name, data))
    return checked
