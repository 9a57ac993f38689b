"""One order as bytes on each wire: its protobuf encoding annotated field by field, and its Kafka record.

The protobuf side is decoded by hand from the bytes grpc sends (the same SerializeToString the servicer's answer
goes through), so the page shows tags, wire types and lengths as they are, not as a library prints them.
"""

from __future__ import annotations

import json

from google.protobuf import json_format

from grpc_bridge import translate
from orders import selectors
from outbox.selectors import events_for_key

WIRE_TYPES = {0: "varint", 1: "64-bit", 2: "length-delimited", 5: "32-bit"}


def inspect(order_id: str) -> dict:
    """Raise OrderNotFound for an unknown id."""
    order = selectors.get_order(order_id=order_id)
    message = translate.order_to_proto(order)
    data = message.SerializeToString()
    return {
        "order_id": str(order.order_id),
        "protobuf": {
            "hex": data.hex(),
            "size": len(data),
            "fields": annotate(message, data),
            "on_the_wire": json_format.MessageToDict(message, preserving_proto_field_name=True),
            "with_defaults": json_format.MessageToDict(
                message, preserving_proto_field_name=True, always_print_fields_with_no_presence=True
            ),
        },
        "kafka": [_record(row) for row in events_for_key(str(order.order_id))],
    }


def annotate(message, data: bytes) -> list[dict]:
    """Each field as encoded: its tag, number, name, wire type, the bytes, and the value they hold."""
    fields, at = [], 0
    by_number = {field.number: field for field in message.DESCRIPTOR.fields}
    while at < len(data):
        start = at
        tag, at = _varint(data, at)
        number, wire_type = tag >> 3, tag & 7
        field = by_number.get(number)
        value, at = _value(data, at, wire_type)
        fields.append(
            {
                "number": number,
                "name": field.name if field else "(unknown)",
                "wire_type": WIRE_TYPES.get(wire_type, str(wire_type)),
                "hex": data[start:at].hex(),
                "value": _shown(field, value),
            }
        )
    return fields


def _varint(data: bytes, at: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[at]
        result |= (byte & 0x7F) << shift
        at += 1
        if not byte & 0x80:
            return result, at
        shift += 7


def _value(data: bytes, at: int, wire_type: int) -> tuple[object, int]:
    if wire_type == 0:
        return _varint(data, at)
    if wire_type == 2:
        length, at = _varint(data, at)
        return data[at : at + length], at + length
    width = 8 if wire_type == 1 else 4
    return data[at : at + width], at + width


def _shown(field, value) -> object:
    """Text as text, enums by name, a packed repeated enum as its list of names."""
    if field is None or not isinstance(value, bytes):
        return field.enum_type.values_by_number[value].name if field is not None and field.enum_type else value
    if field.enum_type:  # packed repeated: varints back to back
        names, at = [], 0
        while at < len(value):
            number, at = _varint(value, at)
            names.append(field.enum_type.values_by_number[number].name)
        return names
    return value.decode(errors="replace")


def _record(row) -> dict:
    key, value = row.key.encode(), row.value.encode()
    headers = [(name, text.encode()) for name, text in row.headers]
    return {
        "type": json.loads(row.value)["type"],
        "partition": row.partition,
        "offset": row.offset,
        "key_hex": key.hex(),
        "value_hex": value.hex(),
        "value": row.value,
        "headers": [{"name": name, "hex": data.hex()} for name, data in headers],
        "size": {
            "key": len(key),
            "value": len(value),
            "headers": sum(len(name.encode()) + len(data) for name, data in headers),
        },
    }
