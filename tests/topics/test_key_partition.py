"""Which partition a key goes to: the answer the page shows is where Kafka's default partitioner really puts it
(a real producer, the real broker), with the hash Java's client prints."""

from kafka import KafkaProducer

from tests.topics.conftest import make_topic
from topics.keys import partition_of

KEYS = ["a", "order-1", "73b40bd7-5c1e-4f6a-9d2b-0e8f1a2b3c4d", "ü-ß-€", "x" * 300, "12345"]


def test_each_step_is_shown_and_java_would_print_the_same_hash():
    shown = partition_of("abc", 3)
    # Java: Utils.murmur2("abc".getBytes(UTF_8)) == 479470107; toPositive keeps it; 479470107 % 3 == 0.
    assert (shown["murmur2"], shown["positive"], shown["partition"]) == (479470107, 479470107, 0)
    negative = next(
        partition_of(key, 5) for key in (f"k{n}" for n in range(100)) if partition_of(key, 5)["murmur2"] < 0
    )
    assert negative["positive"] == negative["murmur2"] & 0x7FFFFFFF and negative["positive"] >= 0
    assert negative["formula"].endswith(f"% 5 = {negative['partition']}")


def test_the_endpoint_names_the_partition_a_producer_puts_each_key_on(client, kafka_broker, new_name):
    name = make_topic(kafka_broker.bootstrap_servers, new_name(), partitions=5)
    producer = KafkaProducer(bootstrap_servers=kafka_broker.bootstrap_servers)
    try:
        placed = {key: producer.send(name, key=key.encode(), value=b"v").get(10).partition for key in KEYS}
    finally:
        producer.close()
    for key, partition in placed.items():
        answer = client.get(f"/kafka/topics/{name}/partition-of", {"key": key})
        assert answer.status_code == 200, answer.content
        assert (answer.json()["partition"], answer.json()["partitions"]) == (partition, 5), key
    assert len(set(placed.values())) > 1, "the keys spread over the partitions"


def test_a_missing_or_oversized_key_or_an_unknown_topic_is_refused(client, kafka_broker, orders_topic):
    assert client.get(f"/kafka/topics/{orders_topic}/partition-of").json() == {"key": ["Give the key: ?key=…"]}
    answer = client.get(f"/kafka/topics/{orders_topic}/partition-of", {"key": "k" * 1025})
    assert answer.status_code == 400 and "1024 bytes" in answer.json()["key"][0]
    assert client.get("/kafka/topics/no-such-topic-here/partition-of", {"key": "k"}).status_code == 404
