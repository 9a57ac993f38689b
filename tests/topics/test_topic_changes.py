"""Creating and deleting a topic from the page's endpoints against the real broker: only on the local broker and
with the controls on; Kafka's naming and range rules as field errors; an existing topic a 409; the orders topic and
Kafka's own never deleted; and the `kafka-topics` command each answer shows does, run in a shell, what the button
did."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness.processes import ROOT
from tests.dashboard.test_fulfilment_panel import commit_as_group
from tests.support.waiting import wait_until
from tests.topics.conftest import make_topic


def create(client, body):
    return client.post("/kafka/topics/", json.dumps(body), content_type="application/json")


def exists(client, name: str) -> bool:
    return client.get(f"/kafka/topics/{name}").status_code == 200


def run_tool(command: str) -> subprocess.CompletedProcess:
    """Run a shown command as a terminal in the project would (`python` is the project's)."""
    env = os.environ | {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, (command, result.stdout, result.stderr)
    return result


def test_create_then_delete_through_the_endpoints(client, local_broker, new_name):
    name = new_name()
    answer = create(client, {"name": name, "partitions": 4, "configs": {"retention.ms": "60000"}})
    assert answer.status_code == 201, answer.content
    assert answer.json()["command"] == (
        f"python -m localkafka topics --bootstrap-server {local_broker.bootstrap_servers} --create --topic {name} "
        "--partitions 4 --replication-factor 1 --config retention.ms=60000"
    )
    details = client.get(f"/kafka/topics/{name}").json()
    assert details["partitions"] == 4
    assert [c["name"] for c in details["configs"] if c["override"]] == ["retention.ms"]
    assert details["commands"]["delete"].endswith(f"--delete --topic {name}")
    again = create(client, {"name": name})
    assert again.status_code == 409
    assert again.json()["name"] == [f"The topic {name!r} already exists."]
    deleted = client.delete(f"/kafka/topics/{name}")
    assert deleted.status_code == 200, deleted.content
    assert deleted.json()["deleted"] is True
    wait_until(lambda: not exists(client, name), timeout=15, message="the deleted topic is still described")
    assert client.delete(f"/kafka/topics/{name}").status_code == 404


def test_validate_only_creates_nothing_and_shows_the_command(client, local_broker, new_name):
    name = new_name()
    answer = create(client, {"name": name, "partitions": 2, "validate_only": True})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["created"], answer.json()["command"].split(" --create ")[1]) == (
        False,
        f"--topic {name} --partitions 2 --replication-factor 1",
    )
    assert not exists(client, name)


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"name": "has space"}, {"name"}),
        ({"name": ""}, {"name"}),
        ({"name": "."}, {"name"}),
        ({"name": ".."}, {"name"}),
        ({"name": "x" * 250}, {"name"}),
        ({"name": "café"}, {"name"}),
        ({"name": "ok", "partitions": 0}, {"partitions"}),
        ({"name": "ok", "partitions": 1001}, {"partitions"}),
        ({"name": "ok", "partitions": "3"}, {"partitions"}),
        ({"name": "ok", "replication_factor": 0}, {"replication_factor"}),
        ({"name": "ok", "configs": ["retention.ms"]}, {"configs"}),
        ({"name": "ok", "configs": {"retention.ms": 5}}, {"configs.retention.ms"}),
        ({"name": "ok", "colour": "red"}, {"colour"}),
        ([1, 2], {"non_field_errors"}),
    ],
)
def test_bad_input_is_a_400_with_field_errors_before_kafka_is_asked(client, local_broker, settings, body, errors):
    answer = create(client, body)
    assert answer.status_code == 400, answer.content
    assert set(answer.json()) == errors


def test_what_only_the_broker_can_refuse_is_a_field_error_too(client, local_broker, new_name):
    too_many = create(client, {"name": new_name(), "replication_factor": 3})
    assert (too_many.status_code, too_many.json()) == (
        400,
        {"replication_factor": ["Use 1 to 1: the cluster has 1 broker(s), one copy each."]},
    )
    bad_config = create(client, {"name": new_name(), "configs": {"cleanup.policy": "sometimes"}})
    assert bad_config.status_code == 400
    assert "sometimes" in bad_config.json()["configs"][0]
    # Kafka reads "." and "_" alike in metric names: a name that collides with an existing one is refused.
    name = make_topic(local_broker.bootstrap_servers, new_name("collide") + "_a")
    colliding = create(client, {"name": name.replace("_a", ".a")})
    assert colliding.status_code == 400, colliding.content
    assert "collides" in colliding.json()["name"][0]


def test_the_orders_topic_and_kafkas_own_are_never_deleted(client, local_broker, orders_topic):
    refused = client.delete(f"/kafka/topics/{orders_topic}")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith(f"{orders_topic!r} is the playground's orders topic")
    commit_as_group(local_broker.bootstrap_servers, orders_topic, "topics-delete-internal", {0: 0})
    internal = client.delete("/kafka/topics/__consumer_offsets")
    assert internal.status_code == 409
    assert "internal" in internal.json()["detail"]
    assert exists(client, orders_topic) and exists(client, "__consumer_offsets")


def test_nothing_changes_while_the_controls_are_off(client, local_broker, settings, new_name):
    name = make_topic(local_broker.bootstrap_servers, new_name())
    settings.FULFILMENT_CONTROLS = False
    off = "The controls are off here (FULFILMENT_CONTROLS=0)."
    assert (create(client, {"name": new_name()}).status_code, client.delete(f"/kafka/topics/{name}").json()) == (
        403,
        {"detail": off},
    )
    assert client.get(f"/kafka/topics/{name}").json()["controls"] == {"enabled": False, "reason": off}
    assert exists(client, name)


def test_nothing_changes_on_a_broker_that_is_not_the_local_one(client, local_broker, settings, new_name):
    name = make_topic(local_broker.bootstrap_servers, new_name())
    settings.LOCAL_KAFKA_PIDFILE.write_text(
        json.dumps({"pid": local_broker.process.pid, "bootstrap_servers": "10.0.0.1:9092", "state": "running"})
    )
    refused = client.delete(f"/kafka/topics/{name}")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("Topics are created and deleted on the local broker only: ")
    assert create(client, {"name": new_name()}).status_code == 403
    assert client.get("/kafka/topics/").json()["controls"]["enabled"] is False
    assert exists(client, name)


def test_the_shown_commands_create_and_delete_what_the_buttons_do(client, local_broker, new_name):
    """A name with a "." (a regular expression's any-character to TopicCommand's --delete) beside a decoy that the
    unescaped name would match: the shown delete removes the one topic only."""
    name = new_name("cmd") + ".x"
    decoy = make_topic(local_broker.bootstrap_servers, name.replace(".x", "Zx"))
    preview = create(
        client, {"name": name, "partitions": 2, "configs": {"retention.ms": "120000"}, "validate_only": True}
    )
    run_tool(preview.json()["command"])
    details = client.get(f"/kafka/topics/{name}").json()
    assert (details["partitions"], details["replication_factor"]) == (2, 1)
    assert [(c["name"], c["value"]) for c in details["configs"] if c["override"]] == [("retention.ms", "120000")]
    run_tool(details["commands"]["delete"])
    wait_until(lambda: not exists(client, name), timeout=15, message="the shown delete left the topic")
    assert exists(client, decoy)


def test_a_local_broker_that_is_down_is_a_503_for_create_and_delete(client, local_broker, settings):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"
    settings.LOCAL_KAFKA_PIDFILE.write_text(
        json.dumps({"pid": local_broker.process.pid, "bootstrap_servers": "127.0.0.1:1", "state": "stopped"})
    )
    for answer in (create(client, {"name": "while-down"}), client.delete("/kafka/topics/while-down")):
        assert answer.status_code == 503, answer.content
        assert answer.json()["detail"].startswith("Kafka: ")
