"""Who a lab's evidence belongs to: the browser's learner id, and the names a lab tells that learner to use.

The id is made by the browser (labs.js) and kept in its localStorage; a Reset starts a new round, so the learner's
next attempt leaves its evidence under a new name (`a1b2c3d4-2`). Every name is built here, from the same id, for
the steps the page shows and for the Check that looks for them.
"""

from __future__ import annotations

import re

from orders.exceptions import InvalidInput

LEARNER = re.compile(r"[a-z0-9]{6,16}(-[1-9][0-9]{0,3})?")
LEARNER_MESSAGE = "Give the learner id this browser made: 6 to 16 of a-z and 0-9, then optionally -<round>."


def parse_learner(body: object) -> str:
    """The learner id of a check or reset body ({"learner": id}); InvalidInput otherwise."""
    if not isinstance(body, dict):
        raise InvalidInput({"non_field_errors": ['Send a JSON object: {"learner": "<id>"}.']})
    errors = {name: ["Unknown field."] for name in sorted(set(body) - {"learner"})}
    learner = body.get("learner")
    if not isinstance(learner, str) or not LEARNER.fullmatch(learner):
        errors["learner"] = [LEARNER_MESSAGE]
    if errors:
        raise InvalidInput(errors)
    return learner


def created_by(lab: str, learner: str) -> str:
    """The created_by the REST and gRPC labs ask for: `lab-rest-a1b2c3d4`."""
    return f"lab-{lab}-{learner}"


def topic_name(learner: str) -> str:
    """The Kafka lab's topic: `lab-kafka-a1b2c3d4` (letters, digits and "-": a valid topic name)."""
    return f"lab-kafka-{learner}"


def group_name(learner: str) -> str:
    """The consumer groups lab's group: `lab-learners-a1b2c3d4`, a group of the learner's own."""
    return f"lab-learners-{learner}"
