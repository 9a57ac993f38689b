"""Each lab's Reset: undo what the lab made, so that no lab leaves the system other than it found it.

The Kafka lab's topic is deleted. Orders are history, not lab litter: the REST and gRPC labs' orders stay (the worker
finishes them like any other), and the learner's next round uses a new name, so the Check asks for new evidence.
"""

from __future__ import annotations

from labs.learners import created_by, topic_name
from orders import selectors
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


RESETS = {
    "rest": lambda learner: reset_orders("rest", learner),
    "grpc": lambda learner: reset_orders("grpc", learner),
    "kafka": reset_kafka,
}
