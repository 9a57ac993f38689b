"""`manage.py rungrpc [addrport]`: serve OrderService like runserver serves HTTP."""

import math
import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import autoreload

from grpc_bridge.server import (
    DEFAULT_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_WORKERS,
    SERVICE_NAME,
    PortInUse,
    build_server,
    settle_gc,
)
from grpc_bridge.stream_limits import max_streams_for, max_waiting_for
from playground.process_checks import BACKGROUND_PROCESS_CHECKS

DEFAULT_ADDRPORT = "127.0.0.1:50051"


class Command(BaseCommand):
    requires_system_checks = BACKGROUND_PROCESS_CHECKS
    help = "Run the gRPC server: OrderService, server reflection and grpc.health.v1."

    def add_arguments(self, parser):
        parser.add_argument(
            "addrport",
            nargs="?",
            default=DEFAULT_ADDRPORT,
            help=f"host:port or port to listen on (default {DEFAULT_ADDRPORT})",
        )
        parser.add_argument(
            "--max-workers",
            type=int,
            default=DEFAULT_MAX_WORKERS,
            help="threads serving calls at once (at least 2); half of them may serve streams",
        )
        parser.add_argument(
            "--max-message-bytes",
            type=int,
            default=DEFAULT_MAX_MESSAGE_BYTES,
            help="largest request or response accepted",
        )
        parser.add_argument(
            "--max-stream-seconds",
            type=float,
            default=settings.GRPC_STREAM_MAX_SECONDS,
            help=f"a Watch ends (OK) after this long and the client calls again; any other stream is cancelled "
            f"(default GRPC_STREAM_MAX_SECONDS, {settings.GRPC_STREAM_MAX_SECONDS:g})",
        )
        parser.add_argument(
            "--stream-idle-seconds",
            type=float,
            default=settings.GRPC_STREAM_IDLE_SECONDS,
            help=f"a stream waiting this long on its client (for its next message, or to read) is cancelled "
            f"(default GRPC_STREAM_IDLE_SECONDS, {settings.GRPC_STREAM_IDLE_SECONDS:g})",
        )
        parser.add_argument(
            "--request-wait-seconds",
            type=float,
            default=settings.GRPC_REQUEST_WAIT_SECONDS,
            help=f"a call that has not sent its request this long after it began is cancelled "
            f"(default GRPC_REQUEST_WAIT_SECONDS, {settings.GRPC_REQUEST_WAIT_SECONDS:g})",
        )
        parser.add_argument(
            "--grace", type=float, default=10.0, help="seconds in-flight calls get to finish on SIGTERM/SIGINT"
        )
        parser.add_argument(
            "--reload", action="store_true", help="restart when Python code changes (development; no graceful stop)"
        )

    def handle(self, *args, addrport, max_workers, max_message_bytes, grace, reload, **options):
        address = addrport if ":" in addrport else f"127.0.0.1:{addrport}"
        if not address.rsplit(":", 1)[1].isdigit():
            raise CommandError(f"{addrport!r} is not a port or host:port")
        if max_workers < 2:
            raise CommandError(
                "--max-workers must be at least 2: streams may take half the threads, "
                "the rest always serve Create, Get and the other calls"
            )
        streams = {
            name: options[name] for name in ("max_stream_seconds", "stream_idle_seconds", "request_wait_seconds")
        }
        for name, seconds in streams.items():
            if not (math.isfinite(seconds) and seconds > 0):
                raise CommandError(f"--{name.replace('_', '-')} must be a number of seconds more than 0")
        serve = lambda: self.serve(address, max_workers, max_message_bytes, streams, grace)  # noqa: E731
        if reload:
            autoreload.run_with_reloader(serve)
        else:
            serve()

    def serve(self, address, max_workers, max_message_bytes, streams, grace):
        try:
            running = build_server(address, max_workers=max_workers, max_message_bytes=max_message_bytes, **streams)
        except PortInUse as exc:
            raise CommandError(
                f"{exc.args[0].rstrip('.')}. Is another rungrpc running? Pick another port: rungrpc 127.0.0.1:50052"
            ) from None
        # Everything is imported and built by now: what lives as long as the process is left out of collections.
        settle_gc()
        stopped = threading.Event()

        def shut_down(signum, _frame):
            # New calls are refused and health turns NOT_SERVING at once; in-flight calls get `grace` seconds.
            self.stdout.write(f"{signal.Signals(signum).name}: stopping, in-flight calls get {grace:g} s")
            running.stop(grace).wait()
            stopped.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, shut_down)
            signal.signal(signal.SIGINT, shut_down)
        else:
            # Under --reload the server runs in the reloader's thread, where no handler can be installed: the
            # reloader itself ends the process on a change or a signal, so there is no graceful stop there.
            threading.Thread(target=lambda: (running.server.wait_for_termination(), stopped.set()), daemon=True).start()
        host = address.rsplit(":", 1)[0]
        target = f"{host}:{running.port}"
        self.stdout.write(
            "\n".join(
                [
                    f"gRPC OrderService listening on {target} (reflection and grpc.health.v1 on; "
                    f"{max_workers} threads, at most {max_streams_for(max_workers)} streams of "
                    f"{streams['max_stream_seconds']:g} s, idle {streams['stream_idle_seconds']:g} s; requests "
                    f"within {streams['request_wait_seconds']:g} s, {max_waiting_for(max_workers)} late at most). Try:",
                    f"  grpcurl -plaintext {target} list",
                    f"  grpcurl -plaintext {target} describe {SERVICE_NAME}",
                    f'  grpcurl -plaintext -d \'{{"created_by": "ana", "equipment": ["KEYBOARD", "MOUSE"]}}\' '
                    f"{target} {SERVICE_NAME}/Create",
                    f"  grpcurl -plaintext {target} {SERVICE_NAME}/Get",
                    f"  grpcurl -plaintext {target} grpc.health.v1.Health/Check",
                ]
            )
        )
        self.stdout.flush()
        stopped.wait()
        self.stdout.write("gRPC server stopped.")
