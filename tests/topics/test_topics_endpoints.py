"""The list and the details of every topic, against the real broker: partitions, replication, counts, sizes,
leaders, replicas and in-sync replicas, configs marked default or override; an unknown topic is a 404, a broker
that is away a 503."""

import pytest

from tests.dashboard.test_fulfilment_panel import commit_as_group
from tests.support.waiting import wait_until
from tests.topics.conftest import make_topic, produce


def listed(client, name: str) -> dict | None:
    answer = client.get("/kafka/topics/")
    assert answer.status_code == 200, answer.content
    return next((topic for topic in answer.json()["topics"] if topic["name"] == name), None)


def test_the_list_shows_a_topic_with_its_partitions_replication_records_and_size(client, kafka_broker, new_name):
    bootstrap = kafka_broker.bootstrap_servers
    name = make_topic(bootstrap, new_name(), partitions=2)
    produce(bootstrap, name, [(0, b"k", b"a" * 100, [])] * 4 + [(1, b"k", b"b" * 100, [])] * 3)
    topic = wait_until(
        lambda: (found := listed(client, name)) and found["size_bytes"] and found,
        timeout=10,
        message="the topic's size never showed",
    )
    assert {key: topic[key] for key in ("partitions", "replication_factor", "records", "internal")} == {
        "partitions": 2,
        "replication_factor": 1,
        "records": 7,
        "internal": False,
    }
    assert topic["size_bytes"] > 700  # seven 100-byte values, with their batches' framing


def test_kafkas_own_topics_are_listed_as_internal(client, kafka_broker, orders_topic):
    commit_as_group(kafka_broker.bootstrap_servers, orders_topic, "topics-list-internal", {0: 0})
    offsets = listed(client, "__consumer_offsets")
    assert offsets is not None and offsets["internal"] is True
    assert listed(client, orders_topic)["internal"] is False


def test_details_show_each_partitions_leader_replicas_in_sync_replicas_log_and_size(client, kafka_broker, new_name):
    bootstrap = kafka_broker.bootstrap_servers
    name = make_topic(bootstrap, new_name(), partitions=3)
    produce(bootstrap, name, [(2, None, b"x" * 50, [])] * 5)
    answer = client.get(f"/kafka/topics/{name}")
    assert answer.status_code == 200, answer.content
    details = answer.json()
    assert (details["name"], details["partitions"], details["records"]) == (name, 3, 5)
    rows = {row["partition"]: row for row in details["partition_details"]}
    assert sorted(rows) == [0, 1, 2]
    for row in rows.values():
        # The session's broker is node 1, alone: it leads every partition and is its one in-sync replica.
        assert (row["leader"], row["replicas"], row["isr"], row["offline"]) == (1, [1], [1], [])
    assert [(rows[p]["log_start"], rows[p]["log_end"], rows[p]["records"]) for p in (0, 1, 2)] == [
        (0, 0, 0),
        (0, 0, 0),
        (0, 5, 5),
    ]
    assert rows[0]["size_bytes"] == 0 and rows[2]["size_bytes"] > 250
    assert rows[2]["replica_sizes"] == {"1": rows[2]["size_bytes"]}
    assert details["size_bytes"] == rows[2]["size_bytes"]


def test_a_config_set_on_the_topic_is_an_override_and_the_rest_defaults(client, kafka_broker, new_name):
    name = make_topic(kafka_broker.bootstrap_servers, new_name(), configs={"retention.ms": "3600000"})
    configs = {config["name"]: config for config in client.get(f"/kafka/topics/{name}").json()["configs"]}
    assert configs["retention.ms"] | {"type": None} == {
        "name": "retention.ms",
        "value": "3600000",
        "source": "DYNAMIC_TOPIC_CONFIG",
        "override": True,
        "read_only": False,
        "sensitive": False,
        "type": None,
    }
    assert (configs["cleanup.policy"]["value"], configs["cleanup.policy"]["override"]) == ("delete", False)
    assert configs["cleanup.policy"]["source"] == "DEFAULT_CONFIG"
    assert configs["min.insync.replicas"]["override"] is False
    assert [config for config in configs.values() if config["override"]] == [configs["retention.ms"]]
    assert len(configs) > 25  # every config of the topic, not only the overrides


def test_the_brokers_address_is_shown_only_on_a_local_playground(client, kafka_broker, orders_topic, settings):
    settings.PLAYGROUND_LOCAL = False
    listing = client.get("/kafka/topics/").json()
    details = client.get(f"/kafka/topics/{orders_topic}").json()
    assert listing["bootstrap_servers"] == "<bootstrap servers>"
    assert kafka_broker.bootstrap_servers not in str(listing) + str(details)
    assert details["commands"]["describe"].startswith(
        "python -m localkafka topics --bootstrap-server '<bootstrap servers>'"
    )


@pytest.mark.parametrize("path", ["/kafka/topics/{name}", "/kafka/topics/{name}/records"])
def test_an_unknown_topic_is_a_404_and_is_not_created_by_asking(client, kafka_broker, new_name, path):
    name = new_name("never-created")
    answer = client.get(path.format(name=name))
    assert (answer.status_code, answer.json()) == (404, {"detail": f"No topic {name!r} on the broker."})
    assert listed(client, name) is None


@pytest.mark.parametrize("path", ["/kafka/topics/", "/kafka/topics/orders", "/kafka/topics/orders/records?limit=5"])
def test_a_broker_that_is_away_is_a_503_in_json(client, settings, path):
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"
    answer = client.get(path)
    assert answer.status_code == 503
    assert answer.json()["detail"].startswith("Kafka: ")
