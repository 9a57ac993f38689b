"""The group's controls: one rule set for the page and the terminal, applied all or none."""

import pytest

from fulfilment import controls
from fulfilment.models import WorkerControl
from orders.exceptions import InvalidInput

pytestmark = pytest.mark.django_db


def test_update_applies_all_or_none_and_reports_every_field():
    with pytest.raises(InvalidInput) as raised:
        controls.update(members=4, step_delay_ms=-1, delivery_mode="twice", failure_rate=2, paused="yes", colour=1)
    assert set(raised.value.errors) == {"members", "step_delay_ms", "delivery_mode", "failure_rate", "paused", "colour"}
    assert raised.value.errors["members"] == ["Use 0 to 3 members."]
    control = controls.current()
    assert (control.members, control.paused) == (1, False)
    controls.update(members=3, step_delay_ms=0, failure_rate=0.5, paused=True)
    assert WorkerControl.objects.values_list("members", "step_delay_ms", "failure_rate", "paused").get() == (
        3,
        0,
        0.5,
        True,
    )


def test_booleans_are_not_numbers():
    with pytest.raises(InvalidInput):
        controls.update(members=True)


def test_changing_the_delivery_mode_restarts_the_counters():
    since = controls.current().mode_since
    controls.update(delivery_mode="effectively-once")  # unchanged
    assert controls.current().mode_since == since
    controls.update(delivery_mode="at-most-once")
    assert controls.current().mode_since > since


def test_the_group_can_be_emptied_for_an_offset_reset():
    controls.update(members=0)
    assert controls.current().members == 0
    with pytest.raises(InvalidInput):
        controls.update(members=-1)
