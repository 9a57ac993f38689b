from django.apps import AppConfig


class SystemMapConfig(AppConfig):
    name = "system_map"
    verbose_name = "System map"

    def ready(self) -> None:
        # Each playground process names itself with OTEL_SERVICE_NAME (Procfile, harness.Stack), as for tracing:
        # those beat; a migrate, a shell or the test session does not.
        from system_map import presence

        presence.start_from_environment()
