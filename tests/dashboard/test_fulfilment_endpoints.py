"""The fulfilment panel's endpoints and their terminal twin: the controls' rules, 403 when off, the broker switch."""

import json

import pytest
from django.core.management import CommandError, call_command

from dashboard.fulfilment_panel import consumer_groups
from fulfilment import controls
from orders.models import Order, Status
from tests.fulfilment.test_stuck import placed

pytestmark = pytest.mark.django_db


def post(client, path, body):
    return client.post(path, json.dumps(body), content_type="application/json")


def test_the_endpoints_refuse_bad_input_with_field_errors(client, settings):
    settings.FULFILMENT_CONTROLS = True
    response = post(client, "/fulfilment/controls", {"members": 4, "delivery_mode": "x"})
    assert response.status_code == 400
    assert set(response.json()) == {"members", "delivery_mode"}
    assert post(client, "/fulfilment/controls", ["members"]).status_code == 400
    assert post(client, "/fulfilment/broker", {"action": "explode"}).json() == {"action": ["Use stop or start."]}
    assert controls.current().members == 1


def test_the_controls_answer_403_when_turned_off_and_change_nothing(client, settings):
    settings.FULFILMENT_CONTROLS = False
    for path, body in [
        ("/fulfilment/controls", {"paused": True}),
        ("/fulfilment/kill", {}),
        ("/fulfilment/recover", {}),
        ("/fulfilment/broker", {"action": "stop"}),
    ]:
        response = post(client, path, body)
        assert response.status_code == 403
        assert response.json() == {"detail": "The controls are off here (FULFILMENT_CONTROLS=0)."}, path
    control = controls.current()
    assert (control.paused, control.kill_requested_at) == (False, None)


def test_a_kill_is_requested_for_the_supervisor(client, settings):
    settings.FULFILMENT_CONTROLS = True
    assert post(client, "/fulfilment/kill", {}).status_code == 202
    assert controls.current().kill_requested_at is not None


def test_only_the_local_broker_at_the_configured_address_can_be_stopped(client, settings, tmp_path):
    settings.FULFILMENT_CONTROLS = True
    settings.LOCAL_KAFKA_PIDFILE = tmp_path / "run.json"
    assert post(client, "/fulfilment/broker", {"action": "stop"}).status_code == 409
    settings.LOCAL_KAFKA_PIDFILE.write_text(
        json.dumps({"pid": 1, "bootstrap_servers": "10.0.0.1:9092", "state": "running"})
    )
    response = post(client, "/fulfilment/broker", {"action": "stop"})
    assert response.status_code == 409
    assert "not the one at" in response.json()["detail"]


def test_the_terminal_command_uses_the_same_rules():
    call_command("fulfilment", "set", "--members", "2", "--step-delay-ms", "250", stdout=open("/dev/null", "w"))
    assert (controls.current().members, controls.current().step_delay_ms) == (2, 250)
    with pytest.raises(CommandError, match="Use 0 to 3 members"):
        call_command("fulfilment", "set", "--members", "9")


def test_a_change_answers_with_the_knobs_as_they_now_stand(client, settings):
    settings.FULFILMENT_CONTROLS = True
    response = post(client, "/fulfilment/controls", {"paused": True, "step_delay_ms": 300})
    assert response.status_code == 200
    assert response.json() | {"last_kill": {}} == {
        "paused": True,
        "step_delay_ms": 300,
        "members": 1,
        "delivery_mode": "effectively-once",
        "failure_rate": controls.current().failure_rate,
        "kill_requested": False,
        "last_kill": {},
    }


def test_the_state_lists_the_stuck_orders_and_the_recover_button_drives_them(client, settings, monkeypatch):
    settings.FULFILMENT_CONTROLS = True
    settings.FULFILMENT_STUCK_AFTER_SECONDS = 30
    away = {"error": "away", "partitions": [], "groups": []}
    monkeypatch.setattr(consumer_groups, "snapshot", lambda topic=None: away)
    controls.update(failure_rate=0)
    order = placed(partition=1, offset=4, unchanged=45)
    listed = client.get("/fulfilment/state").json()["stuck"]
    assert (listed["after_seconds"], listed["recovery_seconds"]) == (30, settings.FULFILMENT_RECOVERY_SECONDS)
    [shown] = listed["orders"]
    assert shown | {"unchanged_seconds": 0} == {
        "order_id": str(order.order_id),
        "status": "QUEUED",
        "unchanged_seconds": 0,
        "partition": 1,
        "offset": 4,
        "last_member": None,
    }
    assert shown["unchanged_seconds"] >= 45
    # Kafka away changes nothing: the list is the database's.
    response = post(client, "/fulfilment/recover", {})
    assert response.status_code == 200
    assert response.json() == {
        "recovered": [{"order_id": str(order.order_id), "outcome": "completed"}],
        "stuck": {"after_seconds": 30, "recovery_seconds": settings.FULFILMENT_RECOVERY_SECONDS, "orders": []},
    }
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED
    assert post(client, "/fulfilment/recover", {}).json()["recovered"] == []
