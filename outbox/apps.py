from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outbox publisher"

    def ready(self) -> None:
        # The domain announces commits; this room turns each announcement into a wake-up datagram.
        from orders.signals import events_committed
        from outbox.wakeup import on_events_committed

        events_committed.connect(on_events_committed, dispatch_uid="outbox-wakeup")
