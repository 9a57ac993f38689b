"""Django set up inside a benchmark's own process: the benchmark settings, a fresh SQLite file, a given broker."""

import os
import tempfile
from pathlib import Path


def setup_django(bootstrap_servers: str, topic: str, **extra_env: str) -> None:
    """Configure and migrate; call before importing anything that reads settings."""
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DATABASE_URL": f"sqlite:///{Path(tempfile.mkdtemp(prefix='bench-db-')) / 'db.sqlite3'}",
            "KAFKA_BOOTSTRAP_SERVERS": bootstrap_servers,
            "KAFKA_ORDERS_TOPIC": topic,
            "ORDERS_LOG_LEVEL": "WARNING",
            **extra_env,
        }
    )
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
