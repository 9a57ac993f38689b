"""The sampler's rows and the series read from them, from snapshots written by hand (the real broker's turn is in
test_sampler_kafka.py): one set of rows per sample, nothing for a sample Kafka did not answer, the window kept."""

from datetime import UTC, datetime, timedelta

import pytest

from metrics import sampler, series
from metrics.models import GroupLagSample, PartitionSample

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
TOPIC = "orders"


def snapshot(ends: list[int], lags: dict[str, int]) -> dict:
    """The groups panel's snapshot, as consumer_groups.snapshot answers it."""
    return {
        "topic": TOPIC,
        "partitions": [{"partition": p, "log_end": end} for p, end in enumerate(ends)],
        "groups": [{"group_id": group, "lag": lag} for group, lag in lags.items()],
    }


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@pytest.fixture(autouse=True)
def two_second_samples(settings):
    settings.METRICS_SAMPLE_SECONDS = 2
    settings.METRICS_WINDOW_SECONDS = 900


def test_a_sample_is_one_row_per_partition_and_per_group():
    assert sampler.record(snapshot([5, 7, 0], {"fulfilment": 3, "audit": 0}), at(0)) == 5
    assert list(PartitionSample.objects.values_list("partition", "log_end")) == [(0, 5), (1, 7), (2, 0)]
    assert list(GroupLagSample.objects.values_list("group_id", "lag")) == [("audit", 0), ("fulfilment", 3)]
    assert {row.sampled_at for row in PartitionSample.objects.all()} == {at(0)}


def test_a_sample_kafka_did_not_answer_writes_nothing():
    failed = {"topic": TOPIC, "error": "KafkaTimeoutError: no broker", "partitions": [], "groups": []}
    assert sampler.record(failed, at(0)) == 0
    assert not PartitionSample.objects.exists() and not GroupLagSample.objects.exists()


def test_the_rows_past_the_window_are_deleted_and_no_others():
    for second in (0, 2, 4, 904):
        sampler.record(snapshot([second], {"fulfilment": 1}), at(second))
    assert sampler.trim(at(904)) == 4  # the samples at 0 and 2: one partition and one group each
    assert sorted(PartitionSample.objects.values_list("log_end", flat=True)) == [4, 904]
    assert GroupLagSample.objects.count() == 2


def test_one_sample_keeps_at_most_its_bound_of_partitions_and_groups():
    many = snapshot(list(range(sampler.MAX_PARTITIONS + 5)), {f"g{i}": i for i in range(sampler.MAX_GROUPS + 5)})
    assert sampler.record(many, at(0)) == sampler.MAX_PARTITIONS + sampler.MAX_GROUPS


def test_rates_are_records_per_second_between_samples():
    for second, ends in [(0, [0, 10]), (2, [20, 10]), (4, [30, 14])]:
        sampler.record(snapshot(ends, {}), at(second))
    answer = series.partition_rates(TOPIC, at(5))
    assert answer["t"] == [at(0).timestamp(), at(2).timestamp(), at(4).timestamp()]
    assert answer["series"] == {"0": [None, 10.0, 5.0], "1": [None, 0.0, 2.0]}


def test_a_gap_breaks_the_lines_instead_of_averaging_across_it():
    for second, end in [(0, 0), (2, 10), (60, 300), (62, 310)]:
        sampler.record(snapshot([end], {"fulfilment": end}), at(second))
    rates = series.partition_rates(TOPIC, at(63))
    # After the sample at 2 s: a point of nulls 2 s later, then no rate at 60 s (nobody measured 2 s -> 60 s).
    assert rates["t"] == [at(s).timestamp() for s in (0, 2, 4, 60, 62)]
    assert rates["series"]["0"] == [None, 5.0, None, None, 5.0]
    lags = series.group_lags(TOPIC, at(63))
    assert lags["t"] == rates["t"] and lags["series"]["fulfilment"] == [0, 10, None, 300, 310]


def test_an_end_offset_that_went_back_has_no_rate():
    """The topic was deleted and created again between two samples."""
    for second, end in [(0, 50), (2, 3), (4, 5)]:
        sampler.record(snapshot([end], {}), at(second))
    assert series.partition_rates(TOPIC, at(5))["series"]["0"] == [None, None, 1.0]


def test_a_group_missing_from_a_sample_is_null_there():
    """A group with no member and no commit on the topic is not in the snapshot (consumer_groups skips it): a
    group that joined later, or whose offsets expired, has no lag at those samples, not a lag of 0."""
    sampler.record(snapshot([0], {"fulfilment": 4}), at(0))
    sampler.record(snapshot([0], {"fulfilment": 2, "late": 9}), at(2))
    sampler.record(snapshot([0], {"late": 1}), at(4))
    assert series.group_lags(TOPIC, at(5))["series"] == {"fulfilment": [4, 2, None], "late": [None, 9, 1]}


def test_the_series_read_only_the_window_and_only_the_topic():
    sampler.record(snapshot([1], {"fulfilment": 1}), at(0))
    sampler.record(snapshot([2], {"fulfilment": 2}), at(1000))
    sampler.record({**snapshot([9], {"other": 9}), "topic": "elsewhere"}, at(1000))
    assert series.partition_rates(TOPIC, at(1001))["t"] == [at(1000).timestamp()]
    assert series.group_lags(TOPIC, at(1001))["series"] == {"fulfilment": [2]}


def test_the_endpoints_answer_the_configured_topics_series(client, settings):
    settings.KAFKA_ORDERS_TOPIC = TOPIC
    now = datetime.now(UTC)
    sampler.record(snapshot([0], {"fulfilment": 7}), now - timedelta(seconds=2))
    sampler.record(snapshot([8], {"fulfilment": 3}), now)
    rates = client.get("/metrics/rates").json()
    assert (rates["topic"], rates["window_s"], rates["interval_s"]) == (TOPIC, 900, 2)
    assert rates["series"]["0"][-1] == pytest.approx(4.0, rel=0.01)
    assert client.get("/metrics/lag").json()["series"] == {"fulfilment": [7, 3]}
    assert client.post("/metrics/lag").status_code == 405


def test_the_loop_takes_a_failed_sample_as_a_gap_and_goes_on(monkeypatch):
    """honcho stops every process of `make run` when one exits: a sampler that died on one bad answer would."""
    answers = iter([RuntimeError("a broker answer nobody expected"), snapshot([3], {"fulfilment": 1})])

    def snapshot_or_raise(topic):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        loop.stop()  # after this sample
        return answer

    monkeypatch.setattr(sampler.consumer_groups, "snapshot", snapshot_or_raise)
    loop = sampler.Sampler(interval=0.01, topic=TOPIC)
    loop.run()
    assert list(PartitionSample.objects.values_list("log_end", flat=True)) == [3]
