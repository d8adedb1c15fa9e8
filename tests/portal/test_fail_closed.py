"""Fail closed: with no settings chosen, or outside DEBUG with demo values, nothing starts.

Each entry point is started as its own process with a clean environment, as an operator
would start it: ``import portal.wsgi`` (gunicorn), ``manage.py``, the Celery worker.
"""

import io
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

ROOT = Path(__file__).resolve().parents[2]


def clean_env(**extra: str) -> dict:
    """No DJANGO_SETTINGS_MODULE, no secrets, no database: only what finds Python."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/tmp"), "LANG": "C.UTF-8"}
    env.update(extra)
    return env


def proper_production_env(**overrides: str) -> dict:
    env = clean_env(
        DJANGO_SETTINGS_MODULE="portal.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="portal.city.example.jp",
        LINE_CHANNEL_SECRET=secrets.token_hex(16),
        LINE_CHANNEL_ACCESS_TOKEN=secrets.token_urlsafe(48),
        PORTAL_BASE_URL="https://portal.city.example.jp",
        BROADCAST_RECIPIENT_HASH_KEY=secrets.token_hex(32),
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.mark.parametrize("module", ["portal.wsgi", "portal.asgi"])
def test_the_web_entry_points_refuse_to_start_with_no_settings_chosen(module):
    result = run([sys.executable, "-c", f"import {module}; print('STARTED')"], clean_env())
    assert result.returncode != 0
    assert "STARTED" not in result.stdout
    assert "SECRET_KEY" in result.stderr


def test_manage_py_with_no_settings_chosen_refuses_and_names_the_variable():
    result = run([sys.executable, "manage.py", "check"], clean_env())
    assert result.returncode != 0
    assert "refuses to start" in result.stderr and "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr  # the message, not a stack


def test_the_celery_worker_with_no_settings_chosen_does_not_start():
    result = run([sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle"], clean_env())
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert " ready." not in result.stdout + result.stderr


def test_the_celery_worker_refuses_demo_secrets_outside_debug():
    result = run(
        [sys.executable, "-m", "celery", "-A", "portal", "worker", "--pool=solo", "--without-mingle"],
        clean_env(DJANGO_SETTINGS_MODULE="portal.settings.base"),
    )
    assert result.returncode != 0
    assert "LINE_CHANNEL_SECRET" in result.stderr
    assert " ready." not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SECRET_KEY", "dev-insecure-secret-key-change-me-in-production-0123456789"),
        ("SECRET_KEY", "short-key"),
        ("LINE_CHANNEL_SECRET", "demo-channel-secret"),
        ("LINE_CHANNEL_ACCESS_TOKEN", "demo-channel-access-token"),
        ("PORTAL_BASE_URL", "http://portal.city.example.jp"),
        ("PORTAL_BASE_URL", "http://127.0.0.1:8000"),
        ("BROADCAST_RECIPIENT_HASH_KEY", "dev-insecure-recipient-hash-key"),
    ],
)
def test_production_refuses_each_demo_value_and_says_which_variable(variable, value):
    result = run([sys.executable, "-c", "import portal.wsgi; print('STARTED')"], proper_production_env(**{variable: value}))
    assert result.returncode != 0, result.stdout
    assert "STARTED" not in result.stdout
    assert variable in result.stderr
    # Only the bad variable is named.
    others = {"SECRET_KEY", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "PORTAL_BASE_URL", "BROADCAST_RECIPIENT_HASH_KEY"}
    others -= {variable}
    message = result.stderr.rsplit("ImproperlyConfigured", 1)[-1]
    assert not [name for name in others if f"- {name}" in message]


def test_production_requires_portal_base_url():
    env = proper_production_env()
    del env["PORTAL_BASE_URL"]
    result = run([sys.executable, "manage.py", "check"], env)
    assert result.returncode != 0
    assert "PORTAL_BASE_URL" in result.stderr


def test_base_settings_chosen_explicitly_are_not_debug_and_refuse_demo_secrets():
    result = run([sys.executable, "manage.py", "check"], clean_env(DJANGO_SETTINGS_MODULE="portal.settings.base"))
    assert result.returncode != 0
    for name in ("SECRET_KEY", "LINE_CHANNEL_SECRET", "LINE_CHANNEL_ACCESS_TOKEN", "PORTAL_BASE_URL"):
        assert name in result.stderr


def test_production_with_a_proper_environment_starts():
    result = run([sys.executable, "-c", "import portal.wsgi; print('STARTED')"], proper_production_env())
    assert result.returncode == 0, result.stderr
    assert "STARTED" in result.stdout


def test_local_settings_turn_debug_on_and_allow_the_demo():
    script = "import django; django.setup(); from django.conf import settings; print('DEBUG', settings.DEBUG)"
    result = run([sys.executable, "-c", script], clean_env(DJANGO_SETTINGS_MODULE="portal.settings.local"))
    assert result.returncode == 0, result.stderr
    assert "DEBUG True" in result.stdout


def test_demo_setup_refuses_under_production_settings():
    result = run([sys.executable, "manage.py", "demo_setup"], proper_production_env())
    assert result.returncode != 0
    assert "DEBUG" in result.stderr
    assert "admin@city.example.jp" not in result.stdout


@pytest.mark.django_db
@pytest.mark.parametrize(
    "command",
    [
        ["demo_setup"],
        ["seed_demo", "--subscribers", "5"],
        ["demo_totp", "admin@city.example.jp"],
        ["rundemo"],
    ],
)
def test_demo_commands_refuse_outside_debug(settings, command):
    from accounts.models import User
    from portal.line.models import Resident

    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command(*command, stdout=io.StringIO())
    assert not User.objects.filter(email="admin@city.example.jp").exists()
    assert Resident.objects.count() == 0
