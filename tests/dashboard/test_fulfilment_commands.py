"""The terminal command beside each fulfilment control: its text follows the control, and run as shown in a shell
it does what the control shows (or, for a button, what the button does next).

Each command runs through `bash -c` exactly as the page shows it, with the project's Python first on PATH and the
test's database as DATABASE_URL, so what it sets is read back here.
"""

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from dashboard.fulfilment_panel import consumer_groups
from fulfilment import controls
from harness.processes import ROOT
from harness.topics import create_topic
from orders.models import Order, Status
from tests.dashboard.test_fulfilment_panel import commit_as_group
from tests.fulfilment.test_stuck import placed
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def kafka_away(request, monkeypatch):
    """The commands do not depend on Kafka: outside the describe test the panel reads it as away, at once."""
    if "kafka_broker" not in request.fixturenames:
        monkeypatch.setattr(
            consumer_groups, "snapshot", lambda topic=None: {"error": "away", "partitions": [], "groups": []}
        )


def shown(client) -> dict[str, str]:
    return client.get("/fulfilment/state").json()["commands"]


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = f"{quote(db['USER'])}:{quote(db['PASSWORD'])}@" if db["USER"] else ""
    return f"postgres://{auth}{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def run(command: str, **env) -> subprocess.CompletedProcess:
    """Run the text as a terminal would: `python` is the project's, the database is the test's."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    full_env = os.environ | {"PATH": path, "DATABASE_URL": database_url(), "KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=ROOT,
        env=full_env | env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result


def post(client, body):
    response = client.post("/fulfilment/controls", json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("field", "value", "other", "expected"),
    [
        ("members", 3, 1, "python manage.py fulfilment set --members 3"),
        ("step_delay_ms", 2500, 1000, "python manage.py fulfilment set --step-delay-ms 2500"),
        ("failure_rate", 0.35, 0.1, "python manage.py fulfilment set --failure-rate 0.35"),
        ("failure_rate", 1, 0.1, "python manage.py fulfilment set --failure-rate 1"),
        (
            "delivery_mode",
            "at-most-once",
            "at-least-once",
            "python manage.py fulfilment set --delivery-mode at-most-once",
        ),
    ],
)
def test_a_setting_shows_the_command_that_sets_what_it_shows(client, settings, field, value, other, expected):
    settings.FULFILMENT_CONTROLS = True
    post(client, {field: value})
    assert shown(client)[field] == expected
    # Elsewhere the knob moves on; the command shown a moment ago puts it back where the control showed it.
    controls.update(**{field: other})
    run(expected)
    assert getattr(controls.current(), field) == value
    assert shown(client)[field] == expected


def test_the_pause_button_shows_what_it_does_next(client, settings):
    settings.FULFILMENT_CONTROLS = True
    assert shown(client)["pause"] == "python manage.py fulfilment pause"
    run(shown(client)["pause"])
    assert controls.current().paused is True
    assert shown(client)["pause"] == "python manage.py fulfilment resume"
    run(shown(client)["pause"])
    assert controls.current().paused is False
    post(client, {"paused": True})
    assert shown(client)["pause"] == "python manage.py fulfilment resume"


def test_the_kill_command_requests_the_kill(client):
    assert shown(client)["kill"] == "python manage.py fulfilment kill"
    run(shown(client)["kill"])
    assert controls.current().kill_requested_at is not None


def test_the_stuck_command_lists_what_the_panel_lists(client):
    order = placed(partition=2, offset=9, unchanged=120)
    command = shown(client)["stuck"]
    assert command == "python manage.py fulfilment stuck"
    output = run(command).stdout
    assert "1 stuck order(s): QUEUED or PROCESSING for over 30 s with no member working on them" in output
    assert re.search(rf"{order.order_id} QUEUED for 12\d(\.\d)? s, record 2@9, last member -", output), output
    as_json = json.loads(run(f"{command} --json").stdout)["orders"]
    on_panel = client.get("/fulfilment/state").json()["stuck"]["orders"]
    assert [(o["order_id"], o["partition"], o["offset"]) for o in as_json] == [
        (o["order_id"], o["partition"], o["offset"]) for o in on_panel
    ]
    assert [o["order_id"] for o in on_panel] == [str(order.order_id)]


def test_the_recover_command_does_what_the_recover_button_does(client):
    controls.update(failure_rate=0)
    order = placed(unchanged=120)
    command = shown(client)["recover"]
    assert command == "python manage.py fulfilment stuck --recover"
    output = run(command).stdout
    assert f"recovered {order.order_id}: completed" in output
    assert "0 stuck order(s)" in output
    assert Order.objects.get(pk=order.pk).status == Status.COMPLETED


RUNNER = """
import signal, sys, time
def note(signum, frame):
    with open(sys.argv[1], "a") as out:
        out.write(f"{signal.Signals(signum).name}\\n")
signal.signal(signal.SIGUSR1, note)
signal.signal(signal.SIGUSR2, note)
open(sys.argv[1], "w").close()
time.sleep(120)
"""


@pytest.fixture
def runner(tmp_path, settings):
    """A stand-in for `python -m localkafka run` that only notes the signals a stop or start sends it, behind a
    control file naming the configured broker: what the panel's switch and the shown command both reach."""
    signals = tmp_path / "signals"
    process = subprocess.Popen([sys.executable, "-c", RUNNER, str(signals)])
    wait_until(signals.exists, timeout=10, message="the stand-in runner did not start")
    control = tmp_path / "run dir" / "run.json"
    control.parent.mkdir()
    settings.LOCAL_KAFKA_PIDFILE = control

    def write(state: str) -> None:
        control.write_text(
            json.dumps({"pid": process.pid, "bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS, "state": state})
        )

    write("running")
    yield control, write, signals
    process.send_signal(signal.SIGTERM)
    process.wait(10)


def test_the_broker_command_stops_or_starts_the_broker_the_switch_controls(client, runner):
    control, write, signals = runner
    command = shown(client)["broker"]
    assert command == f"LOCAL_KAFKA_PIDFILE={shlex.quote(str(control.resolve()))} python -m localkafka stop-broker"
    run(command, LOCAL_KAFKA_PIDFILE="/nonexistent/run.json")
    wait_until(lambda: signals.read_text() == "SIGUSR1\n", timeout=10, message=lambda: signals.read_text())
    write("stopped")
    command = shown(client)["broker"]
    assert command == f"LOCAL_KAFKA_PIDFILE={shlex.quote(str(control.resolve()))} python -m localkafka start-broker"
    run(command)
    wait_until(lambda: signals.read_text() == "SIGUSR1\nSIGUSR2\n", timeout=10, message=lambda: signals.read_text())


def test_the_broker_command_names_no_control_file_where_it_is_the_default(client, settings):
    settings.LOCAL_KAFKA_PIDFILE = ROOT / ".kafka" / "run.json"
    assert shown(client)["broker"] in ("python -m localkafka stop-broker", "python -m localkafka start-broker")


def test_the_describe_command_describes_the_group_on_the_configured_broker(client, settings, kafka_broker):
    topic = f"orders-describe-{time.monotonic_ns()}"
    create_topic(kafka_broker.bootstrap_servers, topic)
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_broker.bootstrap_servers
    settings.KAFKA_ORDERS_TOPIC = topic
    settings.FULFILMENT_GROUP = f"fulfilment-{topic}"
    commit_as_group(kafka_broker.bootstrap_servers, topic, settings.FULFILMENT_GROUP, {0: 0, 1: 0, 2: 0})
    command = shown(client)["describe"]
    assert command == (
        f"python -m localkafka consumer-groups --bootstrap-server {kafka_broker.bootstrap_servers} "
        f"--describe --group {settings.FULFILMENT_GROUP}"
    )
    output = run(command).stdout
    assert settings.FULFILMENT_GROUP in output
    assert {line.split()[2] for line in output.splitlines() if topic in line} == {"0", "1", "2"}
