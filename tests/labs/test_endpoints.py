"""Bad input to every labs endpoint is a 400 JSON with field errors (an unknown lab a 404), never a 500; Reset is off
with the controls."""

import json

import pytest

BAD_BODIES = [
    ("[]", "non_field_errors"),
    ('"learner"', "non_field_errors"),
    ("{}", "learner"),
    ('{"learner": 7}', "learner"),
    ('{"learner": "ABCDEFGH"}', "learner"),
    ('{"learner": "abc"}', "learner"),
    ('{"learner": "abcdef/../x"}', "learner"),
    ('{"learner": "abcdef\\u0000"}', "learner"),
    ('{"learner": "abcdefgh", "more": 1}', "more"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["check", "reset"])
@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_a_bad_body_is_a_400_with_the_field(client, action, body, field):
    answer = client.post(f"/labs/rest/{action}", body, content_type="application/json")
    assert answer.status_code == 400
    assert field in answer.json()


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_a_400(client):
    answer = client.post("/labs/kafka/check", "{not json", content_type="application/json")
    assert answer.status_code == 400 and answer["Content-Type"] == "application/json"


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?learner=", "?learner=UPPER123", "?learner=abcdefgh&x=1"])
def test_the_list_refuses_a_bad_learner(client, query):
    answer = client.get(f"/labs/{query}")
    assert answer.status_code == 400
    assert set(answer.json()) <= {"learner", "x"}


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["check", "reset"])
def test_an_unknown_lab_is_a_404_json(client, action):
    answer = client.post(
        f"/labs/durability/{action}", json.dumps({"learner": "abcdefgh"}), content_type="application/json"
    )
    assert answer.status_code == 404
    assert "the labs are rest, grpc, kafka, groups, semantics, durable, evolve, compare" in answer.json()["detail"]


@pytest.mark.django_db
def test_reset_is_off_with_the_controls(client, settings):
    settings.FULFILMENT_CONTROLS = False
    answer = client.post("/labs/kafka/reset", json.dumps({"learner": "abcdefgh"}), content_type="application/json")
    assert answer.status_code == 403
    assert "FULFILMENT_CONTROLS=0" in answer.json()["detail"]


@pytest.mark.django_db
def test_the_list_builds_each_labs_commands_from_the_servers_addresses(client, settings):
    settings.GRPC_TARGET = "127.0.0.1:50123"
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:19092"
    labs = {lab["id"]: lab for lab in client.get("/labs/?learner=abcdefgh").json()["labs"]}
    assert list(labs) == ["rest", "grpc", "kafka", "groups", "semantics", "durable", "evolve", "compare"]
    commands = lambda lab: " ".join(step["command"] for step in labs[lab]["steps"])  # noqa: E731
    assert "http://testserver/api/orders/computers" in commands("rest") and "lab-rest-abcdefgh" in commands("rest")
    assert "--target 127.0.0.1:50123" in commands("grpc")
    assert "--bootstrap-server 127.0.0.1:19092 --topic lab-kafka-abcdefgh" in commands("kafka")
    assert "lab-semantics-abcdefgh" in commands("semantics") and "http://testserver/api/" in commands("semantics")
    assert "--target 127.0.0.1:50123" in commands("evolve")
    assert "--bootstrap-server 127.0.0.1:19092 --topic orders" in commands("evolve")
