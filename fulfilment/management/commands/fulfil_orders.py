"""Run the fulfilment worker group until SIGTERM/SIGINT: members that move orders QUEUED -> PROCESSING -> done."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fulfilment import controls
from fulfilment.member import GroupMember
from fulfilment.models import DeliveryMode
from fulfilment.supervisor import Supervisor
from orders.exceptions import InvalidInput
from playground.process_checks import BACKGROUND_PROCESS_CHECKS


class Command(BaseCommand):
    requires_system_checks = BACKGROUND_PROCESS_CHECKS
    help = (
        "Fulfil orders as the consumer group FULFILMENT_GROUP: keep --members member processes running "
        "(the page can change the number), or with --member be one member in this process."
    )

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, help=f"members to run, 0 to {controls.MAX_MEMBERS}")
        parser.add_argument("--step-delay-ms", type=int, help="milliseconds each step of an order takes")
        parser.add_argument("--delivery-mode", choices=DeliveryMode.values)
        parser.add_argument("--failure-rate", type=float, help="share of orders that FAIL, 0 to 1")
        pause = parser.add_mutually_exclusive_group()
        pause.add_argument("--pause", action="store_true", help="pause the group (members stay, lag grows)")
        pause.add_argument("--resume", action="store_true")
        parser.add_argument("--member", action="store_true", help="run one member in this process")

    def handle(self, *args, members, step_delay_ms, delivery_mode, failure_rate, pause, resume, member, **options):
        changes = {
            "members": members,
            "step_delay_ms": step_delay_ms,
            "delivery_mode": delivery_mode,
            "failure_rate": failure_rate,
            "paused": True if pause else False if resume else None,
        }
        try:
            controls.update(**{name: value for name, value in changes.items() if value is not None})
        except InvalidInput as exc:
            raise CommandError(str(exc)) from exc
        runner = GroupMember() if member else Supervisor()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: runner.stop())
        if not member:
            self.stdout.write(
                f"Fulfilling orders from {settings.KAFKA_BOOTSTRAP_SERVERS} topic "
                f"{settings.KAFKA_ORDERS_TOPIC!r} as group {settings.FULFILMENT_GROUP!r}"
            )
            self.stdout.flush()
        runner.run()
