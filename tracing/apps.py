from django.apps import AppConfig


class TracingConfig(AppConfig):
    name = "tracing"
    verbose_name = "Tracing"

    def ready(self) -> None:
        # Every process of the playground names itself with OTEL_SERVICE_NAME (Procfile); one that does not (a
        # migrate, a shell, the test session) traces nothing unless it asks (tracing.setup.start).
        from tracing import setup

        setup.start_from_environment()
