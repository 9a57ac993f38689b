"""Benchmark settings: the playground's, with DEBUG off and a plain JSON view added as the REST baseline."""

import os

os.environ.setdefault("DJANGO_DEBUG", "0")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only-key-" + "x" * 40)

from playground.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING["loggers"]["django.channels.server"] = {"level": "WARNING", "propagate": False}  # noqa: F405
