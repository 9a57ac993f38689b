"""The sampler against a real broker: records written to one partition between samples give that partition a
positive rate and the others none; a group that committed behind the end, and one that joined and never committed,
each have their lag at each sample."""

import time

import pytest
from django.utils import timezone
from kafka import KafkaConsumer, KafkaProducer

from metrics import sampler, series
from tests.dashboard.test_fulfilment_panel import commit_as_group
from tests.support.waiting import wait_until

pytestmark = pytest.mark.django_db


def write(bootstrap_servers: str, topic: str, partition: int, count: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap_servers)
    for index in range(count):
        producer.send(topic, value=f"record {index}".encode(), partition=partition)
    producer.flush(10)
    producer.close()


@pytest.fixture
def joined_group(kafka_broker, orders_topic):
    """A member of a group that owns the topic's partitions and has committed nothing."""
    consumer = KafkaConsumer(
        bootstrap_servers=kafka_broker.bootstrap_servers, group_id=f"{orders_topic}-new", enable_auto_commit=False
    )
    consumer.subscribe([orders_topic])
    wait_until(lambda: consumer.poll(100) is not None and consumer.assignment(), timeout=30, message="no assignment")
    yield consumer.config["group_id"]
    consumer.close()


def test_samples_while_records_are_written_give_the_written_partition_a_rate_and_the_groups_their_lag(
    kafka_broker, orders_topic, joined_group, settings
):
    # Samples about 1 s apart, however slow a loaded machine makes the admin reads: no gap between them.
    settings.METRICS_SAMPLE_SECONDS = 5
    commit_as_group(kafka_broker.bootstrap_servers, orders_topic, f"{orders_topic}-behind", {0: 10})
    taken = [sampler.sample_once()]
    for count in (30, 20):
        write(kafka_broker.bootstrap_servers, orders_topic, 0, count)
        time.sleep(1.0)
        taken.append(sampler.sample_once())
    assert [sample.error for sample in taken] == [None] * 3
    # Three partitions and two groups per sample.
    assert [sample.rows for sample in taken] == [5, 5, 5]

    rates = series.partition_rates(orders_topic, timezone.now())
    assert len(rates["t"]) == 3
    assert rates["series"]["0"][0] is None and all(rate > 0 for rate in rates["series"]["0"][1:]), rates
    assert rates["series"]["1"][1:] == [0.0, 0.0] and rates["series"]["2"][1:] == [0.0, 0.0]
    lags = series.group_lags(orders_topic, timezone.now())["series"]
    assert lags[f"{orders_topic}-behind"] == [0, 20, 40], lags  # committed at 10 on partition 0
    assert lags[joined_group] == [0, 30, 50], lags  # no commit: counted from the log start


def test_a_sample_while_the_topic_cannot_be_read_writes_nothing_and_says_why(kafka_broker, settings):
    settings.KAFKA_ORDERS_TOPIC = "no-such-topic-for-the-charts"
    sampled = sampler.sample_once()
    assert sampled.rows == 0 and "not readable" in sampled.error
