"""The fulfilment panel: the worker group's state, members, lag and counters, its controls and the broker switch."""
