"""DRF serializers: the shape of REST input and output. The rules themselves live in orders.services."""

from collections.abc import Mapping

from django.utils.datastructures import MultiValueDict
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.utils import html

from orders import events, services
from orders.exceptions import InvalidOrder
from orders.models import Equipment, Order, Status

# Form posts from the browsable API carry these besides the order's own fields.
FORM_ONLY_FIELDS = {"csrfmiddlewaretoken"}


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of quietly turning them into text."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


@extend_schema_field(OpenApiTypes.DATETIME)
class DateTimeTextField(StrictCharField):
    """Text that orders.services parses: REST and gRPC accept exactly the same timestamps."""

    def to_internal_value(self, data):
        try:
            return services.parse_created_at(super().to_internal_value(data))
        except InvalidOrder as exc:
            raise serializers.ValidationError(exc.errors["created_at"]) from None


class EquipmentListField(serializers.ListField):
    """A list of equipment names, repeats allowed; in HTML forms each select is one item and blanks are skipped."""

    child = serializers.ChoiceField(choices=Equipment.choices)

    def get_value(self, dictionary):
        value = super().get_value(dictionary)
        if html.is_html_input(dictionary) and isinstance(value, list):
            return [item for item in value if item != ""]
        return value


class OrderInputSerializer(serializers.Serializer):
    """The course's POST body. `order_id` is assigned by the server; unknown fields are refused."""

    created_by = StrictCharField(max_length=services.MAX_CREATED_BY_LENGTH, trim_whitespace=False)
    status = serializers.ChoiceField(choices=Status.choices, default=Status.QUEUED)
    created_at = DateTimeTextField(
        required=False, allow_null=True, allow_blank=True,
        help_text="ISO 8601 (without an offset: UTC); defaults to the time the server stores the order.",
    )
    equipment = EquipmentListField(
        min_length=1,
        max_length=services.MAX_EQUIPMENT_ITEMS,
        help_text=f"1 to {services.MAX_EQUIPMENT_ITEMS} items; repeats allowed.",
        style={"template": "orders/equipment_field.html", "choices": Equipment.values, "slots": range(6)},
    )

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

    class Meta:
        model = Order
        fields = ["order_id", "created_by", "status", "created_at", "equipment"]
        read_only_fields = fields

    def to_representation(self, instance):
        # The fields above describe the schema; the body itself is the Kafka payload's order, byte for byte.
        return events.order_snapshot(instance)

