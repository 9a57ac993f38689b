"""Show the outbox backlog: events committed but not yet acknowledged by the broker."""

import json

from django.core.management.base import BaseCommand

from orders import events, selectors


class Command(BaseCommand):
    help = "Print how many events wait in the outbox and since when (--json for scripts)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", dest="as_json", help="one JSON object: waiting, oldest_waiting_at")

    def handle(self, *args, as_json: bool, **options):
        backlog = selectors.outbox_backlog()
        oldest = events.format_timestamp(backlog.oldest_waiting_at) if backlog.oldest_waiting_at else None
        if as_json:
            self.stdout.write(json.dumps({"waiting": backlog.waiting, "oldest_waiting_at": oldest}))
        else:
            self.stdout.write(f"waiting {backlog.waiting}" + (f", oldest since {oldest}" if oldest else ""))

