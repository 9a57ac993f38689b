"""Each lab's Check against the real stack and broker: it fails before the lab's steps, saying what is missing;
it passes once the steps the page shows have been run for real (the very commands, in a shell); Reset leaves
nothing behind."""

from kafka import KafkaAdminClient

from labs.checks import KAFKA_KEYS
from tests.labs.conftest import check, lab_of, post_json, run_step
from tests.support.waiting import poll_until


def commands(lab: dict) -> list[str]:
    return [step["command"] for step in lab["steps"] if step["command"]]


def test_the_rest_lab_passes_after_its_calls_and_a_400(lab_stack, learner):
    before = check(lab_stack, "rest", learner)
    assert not before["passed"]
    assert f"no order by `lab-rest-{learner}` has come over REST yet" in before["seen"]
    curl, client, bad = commands(lab_of(lab_stack, "rest", learner))
    assert '"order_id"' in run_step(curl).stdout
    assert "201" in run_step(client).stdout
    answered = run_step(bad).stdout
    assert "400 Bad Request" in answered and "TOASTER" in answered
    passed = poll_until(lambda: (seen := check(lab_stack, "rest", learner))["passed"] and seen, timeout=20)
    assert passed, check(lab_stack, "rest", learner)
    assert passed["seen"].startswith(f"2 order(s) by `lab-rest-{learner}` came over REST")
    assert f"with ?lab={learner} with a 400" in passed["seen"]


def test_a_rest_order_without_the_marked_400_does_not_pass(lab_stack, learner):
    curl = commands(lab_of(lab_stack, "rest", learner))[0]
    run_step(curl)
    seen = check(lab_stack, "rest", learner)
    assert not seen["passed"]
    assert f"no request with ?lab={learner} has reached the server yet" in seen["seen"]


def test_the_grpc_lab_passes_after_the_writer_client(lab_stack, learner):
    assert check(lab_stack, "grpc", learner)["seen"] == (
        f"no order by `lab-grpc-{learner}` yet: run the writer client with --created-by lab-grpc-{learner}."
    )
    generate, writer, getter, wrong_type, unknown_enum, defaults = commands(lab_of(lab_stack, "grpc", learner))
    assert "orders_pb2_grpc.py" in run_step(generate).stdout
    assert f'"createdBy": "lab-grpc-{learner}"' in run_step(writer).stdout
    refused = run_step(wrong_type, ok=False)
    assert refused.returncode != 0 and "DONE" in refused.stderr, "the generated class refuses the string"
    unknown = run_step(unknown_enum, ok=False)
    assert unknown.returncode != 0 and "InvalidArgument" in unknown.stdout + unknown.stderr, "the server refuses it"
    created = run_step(defaults).stdout
    assert '"created_by"' in created and '"status"' not in created, "proto3 leaves QUEUED (0) off the wire"
    assert run_step(getter).stdout.count(f"lab-grpc-{learner}") == 2
    seen = check(lab_stack, "grpc", learner)
    assert seen["passed"], seen
    assert seen["seen"] == f"2 order(s) by `lab-grpc-{learner}` came over gRPC (OrderService/Create)."


def test_an_order_by_the_grpc_name_over_rest_does_not_pass_the_grpc_lab(lab_stack, learner):
    status, _ = post_json(
        lab_stack.base_url, "/api/orders/computers", {"created_by": f"lab-grpc-{learner}", "equipment": ["MOUSE"]}
    )
    assert status == 201
    seen = check(lab_stack, "grpc", learner)
    assert not seen["passed"]
    assert "1 order(s) by" in seen["seen"] and "none came over gRPC" in seen["seen"]


def topics_on(broker) -> set[str]:
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap_servers)
    try:
        return set(admin.list_topics())
    finally:
        admin.close()


def test_the_kafka_lab_passes_after_its_topic_and_keyed_records_and_reset_deletes_the_topic(
    lab_stack, kafka_broker, learner
):
    topic = f"lab-kafka-{learner}"
    assert (
        check(lab_stack, "kafka", learner)["seen"] == f"there is no topic `{topic}` on the broker yet: create it first."
    )
    create, console_producer, kafka_python, console_consumer = commands(lab_of(lab_stack, "kafka", learner))
    run_step(create)
    half = check(lab_stack, "kafka", learner)
    assert not half["passed"] and "no record with key alpha, beta, gamma yet" in half["seen"]
    run_step(console_producer)
    run_step(kafka_python)
    read = run_step(console_consumer).stdout
    for key in KAFKA_KEYS:
        assert f"{key}-1" in read or "from kafka-python 1" in read
    seen = check(lab_stack, "kafka", learner)
    assert seen["passed"], seen
    placed = seen["details"]["partition_of_key"]
    assert seen["details"]["partitions_seen_per_key"] == {key: [placed[key]] for key in KAFKA_KEYS}
    assert f"`alpha` → partition {placed['alpha']} (2 record(s))" in seen["seen"]

    status, reset = post_json(lab_stack.base_url, "/labs/kafka/reset", {"learner": learner})
    assert status == 200 and reset["undone"] == [f"topic {topic}"], reset
    assert poll_until(lambda: topic not in topics_on(kafka_broker), timeout=10)
    assert not check(lab_stack, "kafka", learner)["passed"]


def test_a_topic_with_other_partitions_does_not_pass(lab_stack, learner):
    create = commands(lab_of(lab_stack, "kafka", learner))[0]
    run_step(create.replace("--partitions 3", "--partitions 2"))
    seen = check(lab_stack, "kafka", learner)
    assert not seen["passed"]
    assert "has 2 partition(s), the lab asks for 3" in seen["seen"]
    post_json(lab_stack.base_url, "/labs/kafka/reset", {"learner": learner})


def test_the_order_labs_reset_starts_a_new_round_and_keeps_the_orders(lab_stack, learner):
    post_json(
        lab_stack.base_url, "/api/orders/computers", {"created_by": f"lab-rest-{learner}", "equipment": ["MOUSE"]}
    )
    status, reset = post_json(lab_stack.base_url, "/labs/rest/reset", {"learner": learner})
    assert status == 200
    assert reset["seen"] == f"1 order(s) by `lab-rest-{learner}` stay as history; your next round uses a new name."
    assert "no order by" in check(lab_stack, "rest", f"{learner}-2")["seen"]


def test_the_groups_lab_sees_the_groups_commits_and_reset_rewinds_them(lab_stack, learner):
    group = f"lab-learners-{learner}"
    for command in commands(lab_of(lab_stack, "kafka", learner)):
        run_step(command)
    assert check(lab_stack, "groups", learner)["seen"] == (
        f"no group `{group}` has read `lab-kafka-{learner}` yet: run the console consumer with --group."
    )
    read_three, describe, member, kafka_reset = commands(lab_of(lab_stack, "groups", learner))
    run_step(read_three)
    assert group in run_step(describe).stdout
    seen = check(lab_stack, "groups", learner)
    assert seen["passed"], seen
    assert seen["seen"].startswith(f"your consumer group `{group}` committed 3 of 6 record(s) (partition 0: ")
    assert "lag 3; 0 member(s) now, state Empty." in seen["seen"]

    status, reset = post_json(lab_stack.base_url, "/labs/groups/reset", {"learner": learner})
    assert status == 200 and reset["undone"] == [f"offsets of {group}"], reset
    rewound = poll_until(
        lambda: (seen := check(lab_stack, "groups", learner))["details"].get("committed") == 0 and seen, timeout=10
    )
    assert rewound and not rewound["passed"] and "committed 0 of 6 record(s)" in rewound["seen"]
    assert "--reset-offsets --to-earliest --execute" in kafka_reset and member.endswith(f"--group {group}")
