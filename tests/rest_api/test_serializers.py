"""The REST input shape: strict types, unknown fields refused, HTML forms with one select per item.

The rules (lengths, counts, choices) are the domain's: tests/contract compares REST and gRPC verdicts."""

from django.http import QueryDict

from rest_api.serializers import OrderInputSerializer


def errors_of(data):
    serializer = OrderInputSerializer(data=data)
    assert not serializer.is_valid()
    return serializer.errors


def test_numbers_are_not_names():
    assert "created_by" in errors_of({"created_by": 42, "equipment": ["MOUSE"]})


def test_unknown_fields_are_reported_beside_other_errors():
    errors = errors_of({"created_by": 42, "equipment": ["MOUSE"], "order_id": "mine", "colour": "red"})
    assert set(errors) == {"created_by", "order_id", "colour"}


def test_equipment_must_be_a_list_of_names():
    assert "equipment" in errors_of({"created_by": "ana", "equipment": "MOUSE"})
    assert "equipment" in errors_of({"created_by": "ana", "equipment": [{"name": "MOUSE"}]})


def test_html_form_skips_blank_selects_and_keeps_repeats():
    form = QueryDict(mutable=True)
    form.update({"created_by": "ana", "status": "QUEUED", "csrfmiddlewaretoken": "t"})
    form.setlist("equipment", ["MOUSE", "", "MOUSE", "WEBCAM", ""])
    serializer = OrderInputSerializer(data=form)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["equipment"] == ["MOUSE", "MOUSE", "WEBCAM"]


def test_rules_are_left_to_the_domain():
    serializer = OrderInputSerializer(data={"created_by": "   ", "equipment": ["TOASTER"] * 30, "status": "LOST"})
    assert serializer.is_valid(), serializer.errors


def test_an_empty_status_box_in_a_form_means_the_default():
    form = QueryDict(mutable=True)
    form.update({"created_by": "ana", "status": "", "equipment": "MOUSE"})
    serializer = OrderInputSerializer(data=form)
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["status"] == "QUEUED"
