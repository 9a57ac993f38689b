"""Production settings: the deploy check passes apart from the HTTPS-only warnings, and secrets are required; the
defaults are a local playground's, with DEBUG off."""

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
    result = manage("check", PLAYGROUND_LOCAL="0", DJANGO_SECRET_KEY="")
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


SHOW_SWITCHES = (
    "from django.conf import settings as s; "
    "print(s.DEBUG, s.PLAYGROUND_LOCAL, s.WORKBENCH_PRODUCE, s.FULFILMENT_CONTROLS, bool(s.SECRET_KEY))"
)


def unset(*names: str) -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if name not in names}


def test_by_default_debug_is_off_and_a_local_playground_keeps_its_tools():
    """`make run` sets none of these: no debug pages, and the page's tools work with no secret key to set."""
    env = unset("DJANGO_DEBUG", "PLAYGROUND_LOCAL", "WORKBENCH_PRODUCE", "FULFILMENT_CONTROLS", "DJANGO_SECRET_KEY")
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", SHOW_SWITCHES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.stdout.split() == ["False", "True", "True", "True", "True"], result.stderr


def test_off_a_local_playground_the_tools_are_off():
    result = manage("shell", "-v0", "-c", SHOW_SWITCHES, PLAYGROUND_LOCAL="0", DJANGO_SECRET_KEY="k" * 50)
    assert result.stdout.split() == ["False", "False", "False", "False", "True"], result.stderr


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
