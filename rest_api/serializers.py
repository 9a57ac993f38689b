"""DRF serializers: the shape and types of REST input and output. The rules themselves are orders.rules, applied
by orders.services, so a REST client gets the same verdict and message per field as a gRPC client."""

from collections.abc import Mapping

from django.core.validators import ProhibitNullCharactersValidator
from django.utils.datastructures import MultiValueDict
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from orders import events, rules
from orders.models import Order
from orders.rules import Equipment, Status

# Form posts from the browsable API carry these besides the order's own fields.
FORM_ONLY_FIELDS = {"csrfmiddlewaretoken"}


class StrictCharField(serializers.CharField):
    """Text as it was sent: numbers and booleans are refused instead of quietly turned into text."""

    def __init__(self, **kwargs):
        super().__init__(**{"trim_whitespace": False, "allow_blank": True, **kwargs})
        # DRF refuses NUL and surrogate characters itself; here the domain judges them, as for gRPC.
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, (ProhibitNullCharactersValidator, ProhibitSurrogateCharactersValidator))
        ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# Each field's schema carries an `example`: Swagger UI's "Try it out" fills its editor from it (and would otherwise
# draw text from the pattern, or send "string" as a date), so the shipped example is a valid order.
@extend_schema_field(
    {
        "type": "string",
        "minLength": 1,
        "maxLength": rules.MAX_CREATED_BY_LENGTH,
        "pattern": rules.CREATED_BY_PATTERN,
        "example": "ana",
    }
)
class CreatedByField(StrictCharField):
    """Who placed the order; orders.rules decides (the schema states the same rules for generated clients).

    allow_blank is off only so the schema says minLength 1: blank text still reaches the domain, which judges it
    together with every other field, as it does for gRPC.
    """

    def __init__(self, **kwargs):
        super().__init__(allow_blank=False, **kwargs)

    def run_validation(self, data=serializers.empty):
        return "" if data == "" else super().run_validation(data)


@extend_schema_field({"type": "string", "enum": Status.values})
class StatusField(StrictCharField):
    """A status name; orders.rules decides whether it is one. A form's empty box means the default."""

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        return serializers.empty if html.is_html_input(dictionary) and value == "" else value


# The first and last day of the calendar may fall outside it once converted to UTC: the domain refuses them.
@extend_schema_field(
    {
        "type": "string",
        "format": "date-time",
        "pattern": "^(?!0001-01-01|9999-12-31)",
        "example": "2026-01-31T12:00:00Z",
    }
)
class DateTimeTextField(StrictCharField):
    """ISO 8601 text; orders.rules parses it, so REST and gRPC accept exactly the same timestamps."""


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": rules.MAX_EQUIPMENT_ITEMS,
        "items": {"type": "string", "enum": Equipment.values},
        "example": [Equipment.KEYBOARD, Equipment.MOUSE],
    }
)
class EquipmentListField(serializers.ListField):
    """A list of equipment names, repeats allowed; in HTML forms each select is one item and blanks are skipped."""

    child = StrictCharField()

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, list):
            return [item for item in value if item != ""]
        return value


# Version 2 of the order. The pattern states what JSON Schema can of the rule (no NUL; "" is the other branch of the
# oneOf drf-spectacular adds for blank text, so "+" keeps the two apart); orders.rules applies all of it.
DELIVERY_NOTE_SCHEMA = {
    "type": "string",
    "maxLength": rules.MAX_DELIVERY_NOTE_LENGTH,
    "pattern": "^[^\\x00]+$",
    "example": "Leave it at reception, desk 4.",
}
DELIVERY_NOTE_HELP = (
    f"Optional (version 2): up to {rules.MAX_DELIVERY_NOTE_LENGTH} characters for the courier; empty or left out "
    "means none, and the order then looks exactly as in version 1."
)


@extend_schema_field(DELIVERY_NOTE_SCHEMA)
class DeliveryNoteField(StrictCharField):
    """Text as sent; orders.rules judges it, as it does for gRPC's delivery_note."""


class OrderInputSerializer(serializers.Serializer):
    """The course's POST body. `order_id` is assigned by the server; unknown fields are refused."""

    created_by = CreatedByField(help_text=f"1 to {rules.MAX_CREATED_BY_LENGTH} characters, not only spaces.")
    status = StatusField(default=Status.QUEUED, help_text="Defaults to QUEUED.")
    created_at = DateTimeTextField(
        required=False,
        allow_null=True,
        help_text="ISO 8601 (without an offset: UTC); defaults to the time the server stores the order.",
    )
    equipment = EquipmentListField(
        help_text=f"1 to {rules.MAX_EQUIPMENT_ITEMS} items; repeats allowed.",
        style={"template": "rest_api/equipment_field.html", "choices": Equipment.values, "slots": range(6)},
    )
    delivery_note = DeliveryNoteField(required=False, help_text=DELIVERY_NOTE_HELP)

    def to_internal_value(self, data):
        unknown_errors = {}
        if isinstance(data, Mapping):
            allowed = set(self.fields) | (FORM_ONLY_FIELDS if isinstance(data, MultiValueDict) else set())
            unknown_errors = {name: ["Unknown field."] for name in sorted(set(data) - allowed)}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({**exc.detail, **unknown_errors}) from None
        if unknown_errors:
            raise serializers.ValidationError(unknown_errors)
        return value


class OrderSerializer(serializers.ModelSerializer):
    """An order as REST returns it: the same fields, names and timestamp text as the Kafka payload."""

    equipment = serializers.ListField(child=serializers.ChoiceField(choices=Equipment.choices))
    # Not read-only only so the schema leaves it out of `required`: an order without a note has no such key.
    delivery_note = DeliveryNoteField(required=False, help_text=DELIVERY_NOTE_HELP)

    class Meta:
        model = Order
        fields = ["order_id", "created_by", "status", "created_at", "equipment", "delivery_note"]
        read_only_fields = fields[:-1]

    def to_representation(self, instance):
        # The fields above describe the schema; the body itself is the Kafka payload's order, byte for byte.
        return events.order_snapshot(instance)
