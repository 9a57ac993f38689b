"""The sampled window as chart series: records/s per partition and lag per group, on one time axis (seconds since
the epoch, one point per sample). Where samples are missing (the sampler stopped, Kafka was away) a point of nulls
breaks the lines, so a chart never draws a rate across time nobody measured."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings

from metrics.models import GroupLagSample, PartitionSample

# A longer pause than this many intervals between two samples is a gap.
GAP_INTERVALS = 2.5
# The most rows one answer reads (15 minutes every 2 s is 450 samples: room for 100 partitions or groups each).
MAX_ROWS = 45_000


def _window(now: datetime, window_seconds: float | None) -> datetime:
    return now - timedelta(seconds=window_seconds or settings.METRICS_WINDOW_SECONDS)


def _by_time(rows) -> dict[datetime, dict]:
    """{sampled_at: {name: value}} from (sampled_at, name, value) rows, oldest first."""
    samples: dict[datetime, dict] = {}
    for at, name, value in sorted(rows, key=lambda row: row[0]):
        samples.setdefault(at, {})[name] = value
    return samples


def _series(times: list[datetime], names, value_at, interval: float) -> dict:
    """One point per sample, each name's value_at(previous, current, name); a gap adds a point of nulls."""
    t, values = [], {name: [] for name in names}
    previous = None
    for at in times:
        gap = previous is not None and (at - previous).total_seconds() > GAP_INTERVALS * interval
        if gap:
            t.append(round(previous.timestamp() + interval, 3))
            for column in values.values():
                column.append(None)
        t.append(round(at.timestamp(), 3))
        for name, column in values.items():
            column.append(value_at(None if gap else previous, at, name))
        previous = at
    return {"t": t, "series": values}


def partition_rates(topic: str, now: datetime, window_seconds: float | None = None) -> dict:
    """Records/s written to each partition between one sample and the one before it (null at the first sample,
    after a gap, and where an end offset went back: the topic was deleted and created again)."""
    interval = settings.METRICS_SAMPLE_SECONDS
    rows = (
        PartitionSample.objects.filter(topic=topic, sampled_at__gte=_window(now, window_seconds))
        .order_by("-sampled_at")
        .values_list("sampled_at", "partition", "log_end")[:MAX_ROWS]
    )
    samples = _by_time(rows)
    partitions = sorted({partition for sample in samples.values() for partition in sample})

    def rate(previous, at, partition):
        if previous is None:
            return None
        before, after = samples[previous].get(partition), samples[at].get(partition)
        if before is None or after is None or after < before:
            return None
        return round((after - before) / (at - previous).total_seconds(), 3)

    answer = _series(list(samples), partitions, rate, interval)
    answer["series"] = {str(partition): column for partition, column in answer["series"].items()}
    return answer


def group_lags(topic: str, now: datetime, window_seconds: float | None = None) -> dict:
    """Each group's lag at each sample (null where the group was not there: it had no member and no commit)."""
    since = _window(now, window_seconds)
    times = sorted(
        set(
            PartitionSample.objects.filter(topic=topic, sampled_at__gte=since)
            .order_by("-sampled_at")
            .values_list("sampled_at", flat=True)[:MAX_ROWS]
        )
    )
    rows = (
        GroupLagSample.objects.filter(topic=topic, sampled_at__gte=since)
        .order_by("-sampled_at")
        .values_list("sampled_at", "group_id", "lag")[:MAX_ROWS]
    )
    samples = _by_time(rows)
    groups = sorted({group for sample in samples.values() for group in sample})
    return _series(times, groups, lambda _, at, group: samples.get(at, {}).get(group), settings.METRICS_SAMPLE_SECONDS)
