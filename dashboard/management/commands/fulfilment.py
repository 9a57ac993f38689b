"""`manage.py fulfilment status|pause|resume|set|kill|stuck`: the fulfilment panel's controls from a terminal."""

import json

from django.core.management.base import BaseCommand, CommandError

from dashboard.fulfilment_panel import panel
from fulfilment import controls, stuck
from fulfilment.models import DeliveryMode
from orders.exceptions import InvalidInput


class Command(BaseCommand):
    help = "Show or steer the fulfilment worker group, as the dashboard's panel does."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        status = actions.add_parser("status", help="members, partitions, committed offsets, lag and counters")
        status.add_argument("--json", action="store_true")
        actions.add_parser("pause", help="members keep their partitions but process nothing; lag grows")
        actions.add_parser("resume")
        actions.add_parser("kill", help="SIGKILL a member in the middle of an order")
        listing = actions.add_parser("stuck", help="orders QUEUED or PROCESSING too long, no member working on them")
        listing.add_argument("--recover", action="store_true", help="drive them on now (the worker does so on its own)")
        listing.add_argument("--json", action="store_true")
        knobs = actions.add_parser("set", help="change the group's knobs")
        knobs.add_argument("--members", type=int)
        knobs.add_argument("--step-delay-ms", type=int)
        knobs.add_argument("--delivery-mode", choices=DeliveryMode.values)
        knobs.add_argument("--failure-rate", type=float)

    def handle(self, *args, action, **options):
        if action == "stuck":
            self._stuck(recover=options["recover"], as_json=options["json"])
            return
        try:
            if action == "pause" or action == "resume":
                controls.update(paused=action == "pause")
            elif action == "kill":
                controls.request_kill()
            elif action == "set":
                names = ("members", "step_delay_ms", "delivery_mode", "failure_rate")
                controls.update(**{name: options[name] for name in names if options[name] is not None})
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        state = panel.state()
        if action == "status" and options["json"]:
            self.stdout.write(json.dumps(state, indent=2))
        else:
            self.stdout.write(_describe(state))

    def _stuck(self, *, recover: bool, as_json: bool) -> None:
        """Only the database is asked: the list needs no broker, and neither does recovery."""
        recovered = [order.as_dict() for order in stuck.recover()] if recover else []
        listed = panel.stuck_state()
        if as_json:
            self.stdout.write(json.dumps({**listed, "recovered": recovered} if recover else listed, indent=2))
            return
        lines = [f"recovered {order['order_id']}: {order['outcome']}" for order in recovered]
        lines.append(
            f"{len(listed['orders'])} stuck order(s): QUEUED or PROCESSING for over {listed['after_seconds']:g} s "
            "with no member working on them"
        )
        lines.extend(
            f"  {order['order_id']} {order['status']} for {order['unchanged_seconds']:g} s, record "
            f"{order['partition']}@{order['offset']}, last member {order['last_member'] or '-'}"
            for order in listed["orders"]
        )
        self.stdout.write("\n".join(lines))


def _describe(state: dict) -> str:
    control, lines = state["control"], []
    lines.append(
        f"group {state['group_id']}: {'paused' if control['paused'] else 'running'}, "
        f"{control['members']} member(s) wanted, {control['delivery_mode']}, "
        f"{control['step_delay_ms']} ms per step, failure rate {control['failure_rate']}"
    )
    if state["topic"].get("error"):
        lines.append(f"Kafka: {state['topic']['error']}")
    for group in state["topic"]["groups"]:
        lines.append(f"{group['group_id']} ({group['state']}), lag {group['lag']}")
        for row in group["partitions"]:
            lines.append(
                f"  partition {row['partition']}: committed {row['committed']}, log end {row['log_end']}, "
                f"lag {row['lag']}, member {row['member'] or '-'}"
            )
    counters = state["counters"]
    lines.append(
        f"since {counters['since']} ({counters['delivery_mode']}): lost {counters['lost']}, "
        f"processed twice {counters['processed_twice']}"
    )
    return "\n".join(lines)
