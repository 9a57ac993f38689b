"""The admin shows orders and the outbox but changes neither: changes go through the rooms' own functions."""

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.test import RequestFactory

from orders.models import Order
from outbox.models import OutboxEvent


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Order, OutboxEvent])
def test_even_a_superuser_cannot_add_change_or_delete(model):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.create_superuser("root", "root@example.com", "pw")
    model_admin = admin.site.get_model_admin(model)
    assert model_admin.has_view_permission(request)
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
