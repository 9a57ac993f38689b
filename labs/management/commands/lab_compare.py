"""Lab 8's comparison: REST against gRPC for the same order, measured against the running servers; prints the table
and records the run for the lab's Check."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from labs import compare, transports
from labs.learners import LEARNER, LEARNER_MESSAGE, created_by


class Command(BaseCommand):
    help = "Measure REST against gRPC for one order (bytes, latency, CPU) and record the run for the lab's Check."

    def add_arguments(self, parser):
        parser.add_argument("--learner", required=True, help="the learner id the Labs view shows")
        parser.add_argument(
            "--calls", type=int, default=compare.DEFAULT_CALLS, help=f"reads over each, 1 to {transports.MAX_CALLS}"
        )
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the web process (REST)")
        parser.add_argument("--target", default=settings.GRPC_TARGET, help="rungrpc's address")

    def handle(self, *args, learner, calls, base_url, target, **options):
        if not LEARNER.fullmatch(learner):
            raise CommandError(f"--learner: {LEARNER_MESSAGE}")
        if not 1 <= calls <= transports.MAX_CALLS:
            raise CommandError(f"--calls: use 1 to {transports.MAX_CALLS}.")
        figures = transports.measure(created_by("compare", learner), calls, base_url.rstrip("/"), target)
        compare.record(learner, figures)
        rows = compare.table(figures)
        width = max(len(row[0]) for row in rows)
        sides = [max(len(row[index]) for row in rows[:-2]) for index in (1, 2)]
        for what, rest, grpc in rows:
            self.stdout.write(f"{what:<{width}}  {rest:>{sides[0]}}  {grpc:>{sides[1]}}")
        self.stdout.write(f"\nRecorded for the Check (order {figures['order_id']}).")
