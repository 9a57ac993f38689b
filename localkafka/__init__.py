"""Fetch, format and run a local Apache Kafka broker from Maven Central jars (no Docker, no tarball)."""

from localkafka.broker import BrokerError, LocalBroker, broker_answers, fetch_jars, free_port
from localkafka.cluster import LocalCluster

__all__ = ["BrokerError", "LocalBroker", "LocalCluster", "broker_answers", "fetch_jars", "free_port"]
