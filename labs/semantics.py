"""Lab 5, delivery semantics: a member killed mid-order under each delivery mode, and what each mode cost.

The learner sets a mode, asks the worker's supervisor for a kill, places an order under the lab's name, and watches
the group recover. The Check reads what really happened to the learner's orders: each order's fulfilment steps (the
processed-events rows, with the mode each ran under and the member that did it) and the marks the orders table
shows (lost: committed past and never finished, from the group's committed offsets). The Reset puts the worker's
controls back to what `make run` starts with and leaves the orders as history.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass

from django.conf import settings

from dashboard.fulfilment_panel import panel
from fulfilment import controls
from fulfilment.models import DeliveryMode, ProcessedEvent
from fulfilment.processing import START
from labs import checks
from labs.learners import created_by
from orders import selectors

MAX_ORDERS_LOOKED_AT = 50
# Long enough for the supervisor (it looks every 0.3 s) to find the member in the middle of the order.
LAB_STEP_DELAY_MS = 3000
MANAGE = ".venv/bin/python manage.py fulfilment"
# What a kill costs in each mode, as the steps tell the learner to expect it.
COSTS = {
    DeliveryMode.AT_MOST_ONCE: "lost: its offset was committed before the work, so no one reads it again",
    DeliveryMode.AT_LEAST_ONCE: "processed twice: the next member reads it again and starts the work again",
    DeliveryMode.EFFECTIVELY_ONCE: "neither: the next member reads it again and skips the step already done",
}
# Stuck-order recovery (by the worker, or on request) signs its steps so (fulfilment.stuck.recovery_name).
RECOVERY = "recovery-"


def lab(learner: str, base_url: str) -> dict:
    from labs.catalogue import step  # here, not at the top: the catalogue imports this module to list it

    name = created_by("semantics", learner)
    body = json.dumps({"created_by": name, "equipment": ["MONITOR"]})
    place = f"curl -s -H 'Content-Type: application/json' -d {shlex.quote(body)} {base_url}/api/orders/computers"
    rounds = [
        step(
            f"{mode}: set the mode, ask for a kill (the supervisor SIGKILLs the first member it finds in the middle "
            f"of an order) and place an order. Expect {COSTS[mode]}. Wait on the Groups view until the group has "
            "its member back and its lag is 0 before the next mode.",
            f"{MANAGE} set --delivery-mode {mode} && {MANAGE} kill && {place}",
        )
        for mode in DeliveryMode.values
    ]
    return {
        "id": "semantics",
        "title": "Delivery semantics: at most once, at least once, effectively once",
        "goal": f"Kill a worker member in the middle of an order of `{name}` under each delivery mode, and see what "
        "each mode costs: an order lost, an order processed twice, or neither.",
        "minutes": 6,
        "steps": [
            step(
                "Keep one member and slow each step down, so that a kill lands in the middle of an order:",
                f"{MANAGE} set --members 1 --step-delay-ms {LAB_STEP_DELAY_MS}",
            ),
            *rounds,
            step(
                f"Or do each round from the Groups view (its delivery mode and Kill a member mid-order) and the "
                f"Live view's order form, with created_by {name}.",
                link="/groups",
            ),
        ],
        "watch": {
            "text": "the group's members, the last kill, the counters of lost and processed-twice orders, and the "
            "marks on your orders' rows",
            "link": "/groups",
        },
        "check_reads": "your orders, their fulfilment steps and the mode each ran under, and the orders table's marks",
    }


@dataclass(frozen=True)
class Run:
    """What happened to one order: the mode its work started under, how often it started, and its marks."""

    order_id: str
    status: str
    mode: str | None
    starts: int
    skipped: int
    lost: bool
    recovered: bool
    modes: frozenset[str]

    @property
    def short(self) -> str:
        return self.order_id[:8]

    @property
    def twice(self) -> bool:
        return self.starts > 1 and not self.recovered

    @property
    def delivered_again(self) -> bool:
        return self.starts > 1 or self.skipped > 0


def runs(name: str, lost: set[str]) -> list[Run]:
    """The learner's newest orders, oldest first, each with what its processed-events rows say."""
    orders = list(selectors.list_orders(created_by=name)[:MAX_ORDERS_LOOKED_AT])[::-1]
    rows: dict[str, list[ProcessedEvent]] = {}
    for row in ProcessedEvent.objects.filter(order_id__in=[order.order_id for order in orders]):
        rows.setdefault(str(row.order_id), []).append(row)
    return [run_of(str(order.order_id), order.status, rows.get(str(order.order_id), []), lost) for order in orders]


def run_of(order_id: str, status: str, rows: list[ProcessedEvent], lost: set[str]) -> Run:
    starts = [row for row in rows if row.step == START and not row.skipped]
    mode = starts[0].delivery_mode if starts else None
    # An at-most-once order driven on by recovery was lost first: the group never read it again.
    recovered = mode == DeliveryMode.AT_MOST_ONCE and any(row.member.startswith(RECOVERY) for row in starts[1:])
    return Run(
        order_id=order_id,
        status=status,
        mode=mode,
        starts=len(starts),
        skipped=sum(row.skipped for row in rows),
        lost=order_id in lost or recovered,
        recovered=recovered,
        modes=frozenset(row.delivery_mode for row in rows if not row.member.startswith(RECOVERY)),
    )


def verdict(mode: str, found: list[Run]) -> tuple[bool, str]:
    """Whether this mode's round was done and cost what the mode says, and the sentence that says so."""
    mine = [run for run in found if run.mode == mode]
    if not mine:
        return False, f"no order of yours has run under {mode} yet"
    mixed = [run.short for run in mine if len(run.modes) > 1]
    if mixed:
        return False, (
            f"under {mode} order {', '.join(mixed)} was delivered again after the mode changed: wait until the "
            "group has its member back and its lag is 0 before the next mode, and do this round again"
        )
    if mode == DeliveryMode.AT_MOST_ONCE:
        lost = [run for run in mine if run.lost]
        if not lost:
            return False, f"under {mode} none of your {len(mine)} order(s) was lost yet: kill a member mid-order"
        later = " (driven on later by stuck-order recovery)" if lost[0].recovered else f" (still {lost[0].status})"
        return True, f"under {mode} order `{lost[0].short}` was lost: committed, never finished{later}"
    if mode == DeliveryMode.AT_LEAST_ONCE:
        twice = [run for run in mine if run.twice]
        if not twice:
            return False, f"under {mode} none of your {len(mine)} order(s) ran twice yet: kill a member mid-order"
        return True, f"under {mode} order `{twice[0].short}` ran twice (its work started {twice[0].starts} times)"
    twice = [run.short for run in mine if run.twice]
    if twice:
        return False, f"under {mode} order {', '.join(twice)} ran twice: that is what this mode promises not to do"
    again = [run for run in mine if run.delivered_again]
    if not again:
        return False, (
            f"under {mode} none of your {len(mine)} order(s) ran twice, but none was delivered again yet: kill a "
            "member mid-order"
        )
    return True, (
        f"under {mode} none of your {len(mine)} order(s) ran twice; `{again[0].short}` was delivered again and "
        "the step already done was skipped"
    )


def check(learner: str) -> dict:
    name = created_by("semantics", learner)
    lost_marks = panel.marked(ask_kafka=True)["lost"]
    found = runs(name, set(lost_marks or ()))
    if not found:
        return checks.result(False, f"no order by `{name}` yet: place one as the steps say.", created_by=name)
    verdicts = {mode: verdict(mode, found) for mode in DeliveryMode.values}
    waiting = [run.short for run in found if run.mode is None]
    seen = "; ".join(sentence for _, sentence in verdicts.values())
    if waiting:
        seen += f"; {len(waiting)} order(s) not started yet"
    if lost_marks is None:
        seen += " (Kafka cannot be asked for the group's committed offsets: a lost order may not show)"
    return checks.result(
        all(passed for passed, _ in verdicts.values()),
        seen + ".",
        created_by=name,
        modes={mode: passed for mode, (passed, _) in verdicts.items()},
        orders=[
            {
                "order_id": run.order_id,
                "status": run.status,
                "mode": run.mode,
                "starts": run.starts,
                "skipped_steps": run.skipped,
                "lost": run.lost,
                "processed_twice": run.twice,
            }
            for run in found
        ],
    )


def reset(learner: str) -> dict:
    """The controls back to what `make run` starts with; the orders stay (other people's orders are not touched)."""
    start = {
        "delivery_mode": DeliveryMode.EFFECTIVELY_ONCE.value,
        "members": 1,
        "step_delay_ms": settings.FULFILMENT_STEP_DELAY_MS,
        "paused": False,
    }
    control = controls.current()
    undone = [
        f"{field} {getattr(control, field)}" for field, value in start.items() if getattr(control, field) != value
    ]
    controls.update(**start)
    if control.kill_requested_at:
        controls.update_fields(kill_requested_at=None)
        undone.append("the kill still waiting for a member")
    name = created_by("semantics", learner)
    kept = selectors.list_orders(created_by=name).count()
    return {
        "undone": undone,
        "seen": f"the worker is back to {start['delivery_mode']}, 1 member, {start['step_delay_ms']} ms a step, "
        f"running; {kept} order(s) by `{name}` stay as history, and your next round uses a new name.",
    }
