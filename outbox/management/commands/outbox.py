"""The outbox from a terminal: its backlog, and the parked events an operator retries or drops."""

import json
import uuid
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from outbox import parking, selectors


def _timestamp(value: datetime) -> str:
    """ISO 8601 in UTC with a `Z`, the form the events and /health use."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class Command(BaseCommand):
    help = "Show the outbox backlog (status), list parked events, or retry or drop them."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", metavar="{status,list,retry,drop}")
        status = actions.add_parser("status", help="events waiting and parked, and the oldest waiting")
        status.add_argument("--json", action="store_true", dest="as_json", help="one JSON object")
        actions.add_parser("list", help="parked events with their reason")
        for name, text in (("retry", "send parked events again"), ("drop", "delete parked events for good")):
            action = actions.add_parser(name, help=text)
            action.add_argument("event_ids", nargs="*", help="event ids (see `list`)")
            action.add_argument("--all", action="store_true", help="every parked event")

    def handle(self, *args, action=None, **options):
        if action in (None, "status"):
            return self._status(options.get("as_json", False))
        if action == "list":
            return self._list()
        chosen = self._chosen(options["event_ids"], options["all"])
        count = (parking.retry_parked if action == "retry" else parking.drop_parked)(chosen)
        self.stdout.write(f"{'retried' if action == 'retry' else 'dropped'} {count} parked event(s)")

    def _status(self, as_json: bool) -> None:
        backlog = selectors.backlog()
        oldest = _timestamp(backlog.oldest_waiting_at) if backlog.oldest_waiting_at else None
        if as_json:
            self.stdout.write(
                json.dumps({"waiting": backlog.waiting, "oldest_waiting_at": oldest, "parked": backlog.parked})
            )
        else:
            self.stdout.write(
                f"waiting {backlog.waiting}"
                + (f" (oldest since {oldest})" if oldest else "")
                + f", parked {backlog.parked}"
            )

    def _list(self) -> None:
        for event in selectors.parked():
            self.stdout.write(
                f"{event.event_id} key={event.key} attempts={event.attempts} "
                f"parked={_timestamp(event.parked_at)} reason={event.last_error}"
            )

    @staticmethod
    def _chosen(event_ids: list[str], everything: bool) -> list[str] | None:
        if everything == bool(event_ids):
            raise CommandError("name the event ids, or pass --all (not both)")
        for event_id in event_ids:
            try:
                uuid.UUID(event_id)
            except ValueError:
                raise CommandError(f"{event_id!r} is not an event id") from None
        return None if everything else event_ids
