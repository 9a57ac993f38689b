"""Each lab's Reset: undo what the lab made, so that no lab leaves the system other than it found it.

The Kafka lab's topic is deleted; the consumer groups lab's group has its offsets reset to the earliest (the
offset reset of the groups panel, which Kafka allows for an empty group only). Orders are history, not lab litter:
the REST and gRPC labs' orders stay (the worker finishes them like any other), and the learner's next round uses a
new name, so the Check asks for new evidence.
"""

from __future__ import annotations

from kafka.errors import UnknownTopicOrPartitionError

from dashboard.fulfilment_panel import offset_reset
from labs import compare, durable, evolve, semantics
from labs.learners import created_by, group_name, topic_name
from orders import selectors
from orders.exceptions import InvalidInput
from topics import changes, inventory


def reset_orders(lab: str, learner: str) -> dict:
    name = created_by(lab, learner)
    kept = selectors.list_orders(created_by=name).count()
    return {
        "undone": [],
        "seen": f"{kept} order(s) by `{name}` stay as history; your next round uses a new name.",
    }


def reset_kafka(learner: str) -> dict:
    topic = topic_name(learner)
    try:
        changes.delete(topic)
    except inventory.TopicNotFound:
        return {"undone": [], "seen": f"there was no topic `{topic}`: nothing to delete."}
    return {"undone": [f"topic {topic}"], "seen": f"deleted the topic `{topic}`."}


def reset_groups(learner: str) -> dict:
    """Raises offset_reset.GroupActive while the group still has members."""
    group, topic = group_name(learner), topic_name(learner)
    try:
        done = offset_reset.reset(group, offset_reset.Target("earliest"), apply=True, topic=topic)
    except InvalidInput as exc:
        return {"undone": [], "seen": f"nothing to reset: {exc}"}
    except UnknownTopicOrPartitionError:
        return {"undone": [], "seen": f"nothing to reset: there is no topic `{topic}`."}
    return {
        "undone": [f"offsets of {group}"],
        "seen": f"the group `{group}` is back at the earliest offsets of `{topic}`: lag {done['lag']}.",
    }


RESETS = {
    "rest": lambda learner: reset_orders("rest", learner),
    "grpc": lambda learner: reset_orders("grpc", learner),
    "kafka": reset_kafka,
    "groups": reset_groups,
    "semantics": lambda learner: semantics.reset(learner),
    "durable": lambda learner: durable.reset(learner),
    "evolve": lambda learner: evolve.reset(learner),
    "compare": lambda learner: compare.reset(learner),
}
