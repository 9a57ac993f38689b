"""Create and delete a topic, with Kafka's own rules checked first, and Kafka's `kafka-topics` command for each.

Field rules (what Kafka's Topic.validate and CreateTopics check, so a person reads them beside the field): a name of
1 to 249 characters from ASCII letters, digits, ".", "_" and "-", not "." or ".."; partitions from 1 to
MAX_PARTITIONS; a replication factor from 1 to the number of brokers; configs as text values. What only the broker
knows (a name that exists, or collides with one when "." and "_" are read alike; a config it refuses) comes back
from it, as a field error too. The orders topic and Kafka's internal topics are never deleted here.

`create_command` / `delete_command` write the same change as `python -m localkafka topics` (Kafka's TopicCommand
from the fetched jars). Its `--topic` is a regular expression for --delete, so the name is escaped there: "a.b" would
also delete "aXb".
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from django.conf import settings
from kafka.errors import (
    InvalidConfigurationError,
    InvalidPartitionsError,
    InvalidReplicationFactorError,
    InvalidRequestError,
    InvalidTopicError,
    PolicyViolationError,
    TopicAlreadyExistsError,
    UnknownTopicOrPartitionError,
    for_code,
)

from orders.exceptions import InvalidInput
from topics.inventory import REQUEST_TIMEOUT_MS, TopicNotFound, describe_one, open_admin

FIELDS = {"name", "partitions", "replication_factor", "configs", "validate_only"}
NAME = re.compile(r"[A-Za-z0-9._-]{1,249}")
MAX_PARTITIONS = 1000
MAX_CONFIGS = 50
CONFIG_NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
MAX_CONFIG_VALUE_CHARS = 1000
NAME_MESSAGE = 'Use 1 to 249 characters from letters, digits, ".", "_" and "-" (not "." or "..").'
# Broker refusals that belong to one field of the form.
REFUSED_FIELD = {
    InvalidTopicError: "name",
    InvalidPartitionsError: "partitions",
    InvalidReplicationFactorError: "replication_factor",
    InvalidConfigurationError: "configs",
    PolicyViolationError: "non_field_errors",
    InvalidRequestError: "non_field_errors",
}


class TopicExists(Exception):
    def __init__(self, name: str):
        super().__init__(f"The topic {name!r} already exists.")
        self.name = name


class DeleteRefused(Exception):
    """A topic this page never deletes: the orders topic, or one of Kafka's own."""


@dataclass(frozen=True)
class NewTopic:
    name: str
    partitions: int
    replication_factor: int
    configs: dict[str, str] = field(default_factory=dict)


def parse_new_topic(body: object) -> tuple[NewTopic, bool]:
    """The topic asked for and whether only to validate it; InvalidInput with every field's problem."""
    if not isinstance(body, dict):
        raise InvalidInput({"non_field_errors": ["Send a JSON object."]})
    errors: dict[str, list[str]] = {name: ["Unknown field."] for name in sorted(set(body) - FIELDS)}
    name = body.get("name")
    if not isinstance(name, str) or not NAME.fullmatch(name) or name in (".", ".."):
        errors["name"] = [NAME_MESSAGE]
    partitions = _whole(body.get("partitions", 1), 1, MAX_PARTITIONS, "partitions", errors)
    replication = _whole(body.get("replication_factor", 1), 1, 32767, "replication_factor", errors)
    configs = _configs(body.get("configs", {}), errors)
    validate_only = body.get("validate_only", False)
    if not isinstance(validate_only, bool):
        errors["validate_only"] = ["Use true or false."]
    if errors:
        raise InvalidInput(errors)
    return NewTopic(name, partitions, replication, configs), validate_only


def _whole(value: object, low: int, high: int, name: str, errors: dict) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[name] = [f"Use a whole number from {low} to {high}."]
        return low
    return value


def _configs(value: object, errors: dict) -> dict[str, str]:
    if not isinstance(value, dict):
        errors["configs"] = ['Give configs as {"name": "value"}, e.g. {"retention.ms": "3600000"}.']
        return {}
    if len(value) > MAX_CONFIGS:
        errors["configs"] = [f"Give at most {MAX_CONFIGS} configs."]
        return {}
    configs = {}
    for key, text in value.items():
        if not CONFIG_NAME.fullmatch(key):
            errors.setdefault("configs", []).append(f"{key[:40]!r} is no config name (e.g. retention.ms).")
        elif not isinstance(text, str) or not text or len(text) > MAX_CONFIG_VALUE_CHARS:
            errors[f"configs.{key}"] = [f"Give the value as text of 1 to {MAX_CONFIG_VALUE_CHARS} characters."]
        else:
            configs[key] = text
    return configs


def create(topic: NewTopic, *, validate_only: bool = False) -> dict:
    """Create the topic (or only have the broker validate it). Raises InvalidInput for what the broker refuses,
    TopicExists, or KafkaError / OSError while Kafka cannot be asked."""
    admin = open_admin("topics-changes")
    try:
        brokers = len(admin.describe_cluster()["brokers"])
        if topic.replication_factor > brokers:
            raise InvalidInput(
                {"replication_factor": [f"Use 1 to {brokers}: the cluster has {brokers} broker(s), one copy each."]}
            )
        answer = admin.create_topics(
            {
                topic.name: {
                    "num_partitions": topic.partitions,
                    "replication_factor": topic.replication_factor,
                    "configs": topic.configs,
                }
            },
            timeout_ms=REQUEST_TIMEOUT_MS,
            validate_only=validate_only,
            raise_errors=False,
        )
        _raise_refusal(topic.name, answer["topics"][0])
        if not validate_only:
            admin.wait_for_topics([topic.name], timeout_ms=REQUEST_TIMEOUT_MS)
    finally:
        admin.close()
    return {
        "name": topic.name,
        "partitions": topic.partitions,
        "replication_factor": topic.replication_factor,
        "configs": topic.configs,
        "created": not validate_only,
        "command": create_command(topic),
    }


def _raise_refusal(name: str, result: dict) -> None:
    error = for_code(result["error_code"])
    if error.errno == 0:
        return
    if error is TopicAlreadyExistsError:
        raise TopicExists(name)
    message = result.get("error_message") or error.description
    if error in REFUSED_FIELD:
        raise InvalidInput({REFUSED_FIELD[error]: [message]})
    raise error(message)


def delete(name: str) -> dict:
    """Delete the topic; raises DeleteRefused, TopicNotFound, or KafkaError / OSError."""
    refuse_delete(name)
    admin = open_admin("topics-changes")
    try:
        topic = describe_one(admin, name)
        if topic["is_internal"]:
            raise DeleteRefused(f"{name!r} is one of Kafka's internal topics: Kafka keeps its own state there.")
        answer = admin.delete_topics([name], timeout_ms=REQUEST_TIMEOUT_MS, raise_errors=False)
        result = answer["topics"][0]
        error = for_code(result["error_code"])
        if error is UnknownTopicOrPartitionError:
            raise TopicNotFound(name)
        if error.errno != 0:
            raise error(result.get("error_message") or error.description)
    finally:
        admin.close()
    return {"name": name, "deleted": True, "command": delete_command(name)}


def refuse_delete(name: str) -> None:
    if name == settings.KAFKA_ORDERS_TOPIC:
        raise DeleteRefused(
            f"{name!r} is the playground's orders topic: the outbox, the live feed and the worker all use it. "
            "It is not deleted from here."
        )


def shown_bootstrap_servers() -> str:
    """The broker's address for a terminal on this machine; elsewhere an internal address the page does not show."""
    return settings.KAFKA_BOOTSTRAP_SERVERS if settings.PLAYGROUND_LOCAL else "<bootstrap servers>"


def _tool() -> list[str]:
    return ["python", "-m", "localkafka", "topics", "--bootstrap-server", shown_bootstrap_servers()]


def create_command(topic: NewTopic) -> str:
    command = [*_tool(), "--create", "--topic", topic.name, "--partitions", str(topic.partitions)]
    command += ["--replication-factor", str(topic.replication_factor)]
    for key, value in sorted(topic.configs.items()):
        command += ["--config", f"{key}={value}"]
    return shlex.join(command)


def delete_command(name: str) -> str:
    """--delete reads --topic as a regular expression: "." (the one special character a topic name may hold) is
    escaped, so the command deletes this topic and no other."""
    return shlex.join([*_tool(), "--delete", "--topic", name.replace(".", "\\.")])


def describe_command(name: str) -> str:
    return shlex.join([*_tool(), "--describe", "--topic", name.replace(".", "\\.")])


def list_command() -> str:
    return shlex.join([*_tool(), "--list"])
