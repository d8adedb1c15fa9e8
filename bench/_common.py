"""Shared set-up of the benchmarks: environment, database, Django (the broadcast benchmarks
run Celery workers; the single-process ones run tasks eagerly: ``configure_single_process``)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/portal_bench_broadcasts"


def configure(*, database_url: str, broker_db: int, cache_db: int, extra: dict | None = None) -> dict:
    """Set the environment for this process and the processes it starts; returns it."""
    env = {
        "DJANGO_SETTINGS_MODULE": "portal.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": f"redis://127.0.0.1:6379/{broker_db}",
        "CACHE_URL": f"redis://127.0.0.1:6379/{cache_db}",
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "60",
    }
    env.update(extra or {})
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    return env


def ensure_database(database_url: str) -> None:
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def configure_single_process(*, default_database_url: str, script: str) -> None:
    """A benchmark that runs in this process alone (tasks eager) on its own PostgreSQL
    database: ``DATABASE_URL`` or ``default_database_url``, created when missing; Django set
    up and migrated. Exits when ``DATABASE_URL`` is not PostgreSQL."""
    os.environ.setdefault("DATABASE_URL", default_database_url)
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings.local"
    os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
    os.environ.setdefault("DEBUG", "false")
    if not os.environ["DATABASE_URL"].startswith("postgres"):
        sys.exit(f"{script} measures PostgreSQL: set DATABASE_URL=postgres://…")
    sys.path.insert(0, str(ROOT))
    ensure_database(os.environ["DATABASE_URL"])
    setup_django()


def setup_django() -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def populate_flat(count: int, *, tag: str = "b") -> int:
    """Exactly ``count`` reachable residents (active, not 配信停止), every one in the segment
    of the fan-out benchmark, inserted with generate_series; other residents are removed."""
    from django.db import connection

    from portal.line.models import Resident

    table = Resident._meta.db_table
    existing = Resident.objects.filter(line_user_id__startswith=f"U{tag}").count()
    if existing == count and Resident.objects.count() == count:
        return 0
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE broadcasts_batch, broadcasts_bubble, broadcasts_comment, broadcasts_broadcast CASCADE")
        cursor.execute(f"TRUNCATE {table} CASCADE")
        cursor.execute(
            f"""
            INSERT INTO {table} (line_user_id, display_name, status, segment_opt_out, age_band, area_id,
                                 interest_bits, followed_at, created_at)
            SELECT 'U{tag}' || lpad(to_hex(g), 31, '0'), '', 'active', false,
                   (ARRAY['0-14','15-19','20-24','25-29','30-34','35-39','40-44','45-49','50+'])[1 + g %% 9],
                   NULL, g %% 256, now(), now()
            FROM generate_series(1, %s) AS g
            """,  # noqa: S608 - fixed table name
            [count],
        )
        cursor.execute(f"ANALYZE {table}")
    return count
