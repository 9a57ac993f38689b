"""Signals the domain sends, so rooms can react without the domain importing them."""

from django.dispatch import Signal

# Sent after a transaction that wrote outbox events has committed (the outbox room wakes its publisher on it).
events_committed = Signal()
