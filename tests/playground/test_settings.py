"""Production settings: the deploy check passes apart from the HTTPS-only warnings, and secrets are required."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HTTPS_ONLY_WARNINGS = {"security.W004", "security.W008", "security.W012", "security.W016"}


def manage(*args, **env):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_deploy_check_warns_only_about_https():
    result = manage("check", "--deploy", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stderr
    reported = {word.strip("():") for word in result.stderr.split() if word.startswith("(security.")}
    assert reported == HTTPS_ONLY_WARNINGS


def test_deploy_check_is_clean_behind_https():
    result = manage(
        "check", "--deploy", DJANGO_DEBUG="0", DJANGO_HTTPS="1", DJANGO_SECRET_KEY=secrets.token_urlsafe(50)
    )
    assert result.returncode == 0 and "security." not in result.stderr, result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = manage("check", DJANGO_DEBUG="0", DJANGO_SECRET_KEY="")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


def test_database_pool_pools_postgresql_connections_and_leaves_sqlite_alone():
    """DATABASE_POOL (the Procfile's web process) turns on Django's psycopg pool; SQLite has none to turn on."""
    show = (
        "from django.db import connection; "
        "print(connection.settings_dict['OPTIONS'].get('pool'), bool(connection.pool))"
    )
    postgres = manage("shell", "-v0", "-c", show, DATABASE_URL="postgres://nobody@127.0.0.1:1/none", DATABASE_POOL="8")
    assert postgres.stdout.strip() == "{'min_size': 1, 'max_size': 8} True", postgres.stderr
    unpooled = manage("shell", "-v0", "-c", show, DATABASE_URL="postgres://nobody@127.0.0.1:1/none", DATABASE_POOL="0")
    assert unpooled.stdout.strip() == "None False", unpooled.stderr
    sqlite = manage(
        "shell",
        "-v0",
        "-c",
        "from django.db import connection; print(connection.vendor, connection.settings_dict['OPTIONS'].get('pool'))",
        DATABASE_POOL="8",
    )
    assert sqlite.stdout.strip() == "sqlite None", sqlite.stderr
