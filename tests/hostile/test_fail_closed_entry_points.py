"""The entry points tests/portal/test_fail_closed.py does not start: Celery's beat and
inspect (both load the settings), each demo command as the operator would run it under
production settings, and ``check --deploy`` with nothing but the documented environment
(no variable inherited from the test run)."""

from __future__ import annotations

import sys

import pytest

from tests.portal.test_fail_closed import clean_env, proper_production_env, run


@pytest.mark.parametrize(
    "args",
    [
        ["-m", "celery", "-A", "portal", "beat", "--max-interval", "1"],
        ["-m", "celery", "-A", "portal", "inspect", "ping", "--timeout", "1"],
        ["-c", "from portal.celery import app; app.send_task('portal.healthz_beat'); print('SENT')"],
    ],
    ids=["beat", "inspect", "send_task"],
)
def test_celery_with_no_settings_chosen_refuses_and_names_the_secret(args):
    result = run([sys.executable, *args], clean_env(), timeout=60)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "SENT" not in result.stdout and "beat: Starting" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "command", [["demo_setup"], ["seed_demo", "--subscribers", "5"], ["demo_totp", "admin@city.example.jp"], ["rundemo"]]
)
def test_demo_commands_refuse_under_production_settings(command):
    result = run([sys.executable, "manage.py", *command], proper_production_env())
    assert result.returncode != 0
    assert "DEBUG" in result.stderr
    assert "Traceback" not in result.stderr
    assert "demo-admin-pass" not in result.stdout and "JBSWY3DP" not in result.stdout


def test_check_deploy_is_clean_with_only_the_documented_environment():
    result = run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"], proper_production_env(), 120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
