"""Sample the orders topic for the charts until SIGTERM/SIGINT: end offsets per partition and each group's lag."""

import signal

from django.conf import settings
from django.core.management.base import BaseCommand

from metrics.sampler import Sampler, sample_once
from playground.process_checks import BACKGROUND_PROCESS_CHECKS


class Command(BaseCommand):
    requires_system_checks = BACKGROUND_PROCESS_CHECKS
    help = "Keep the last 15 minutes of the orders topic's end offsets and its groups' lag, for the charts."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=settings.METRICS_SAMPLE_SECONDS, help="seconds")
        parser.add_argument("--once", action="store_true", help="take one sample, say what it cost, and exit")

    def handle(self, *args, interval, once, **options):
        if once:
            sampled = sample_once()
            if sampled.error:
                self.stderr.write(f"no sample: {sampled.error}")
            self.stdout.write(
                f"{sampled.rows} rows written, {sampled.trimmed} older rows deleted, in {sampled.seconds * 1000:.1f} ms"
            )
            return
        sampler = Sampler(interval=interval)
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: sampler.stop())
        self.stdout.write(
            f"Sampling {settings.KAFKA_ORDERS_TOPIC!r} on {settings.KAFKA_BOOTSTRAP_SERVERS} every {interval} s"
        )
        self.stdout.flush()
        sampler.run()
