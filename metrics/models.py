"""What the sampler (`manage.py sample_metrics`) read from Kafka, kept for the charts' window: a page that opens
finds the last 15 minutes already there. Rows of one sample share its `sampled_at`; rows older than the window are
deleted by the sampler after each sample (metrics.sampler.trim)."""

from django.db import models


class PartitionSample(models.Model):
    """A partition's end offset at one sample: the difference between two samples is the records written."""

    sampled_at = models.DateTimeField(db_index=True)
    topic = models.CharField(max_length=249)
    partition = models.IntegerField()
    log_end = models.BigIntegerField()

    class Meta:
        ordering = ["sampled_at", "partition"]

    def __str__(self) -> str:
        return f"{self.topic}[{self.partition}] end {self.log_end} at {self.sampled_at:%H:%M:%S}"


class GroupLagSample(models.Model):
    """A consumer group's lag on the topic (summed over its partitions) at one sample."""

    sampled_at = models.DateTimeField(db_index=True)
    topic = models.CharField(max_length=249)
    group_id = models.CharField(max_length=255)
    lag = models.BigIntegerField()

    class Meta:
        ordering = ["sampled_at", "group_id"]

    def __str__(self) -> str:
        return f"{self.group_id} lag {self.lag} on {self.topic} at {self.sampled_at:%H:%M:%S}"
