"""``manage.py grant_app_role portal_app``: the PostgreSQL role the portal runs as.

Run by the owner of the tables (the role that runs ``migrate``), after every ``migrate``.
The app role may read and write every table of the portal except the audit log, where it
may only INSERT and SELECT (and, the one narrow exception, UPDATE the ``detail`` column,
which migration 0002's trigger lets the retention job blank after a year and nothing
else). It owns nothing, so it cannot ALTER, DISABLE TRIGGER or TRUNCATE the audit log;
it is not granted TRUNCATE or DELETE on it either. See README「監査ログの改ざん防止」.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from psycopg import sql

from accounts.models import AuditEntry

# Column the retention job may blank (accounts.services.audit_details_purge); the trigger
# allows only the purge marker on entries at least a year old.
AUDIT_UPDATABLE_COLUMNS = ("detail",)


class Command(BaseCommand):
    help = "Create or update the PostgreSQL role the portal runs as (INSERT and SELECT only on the audit log)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("role", help="name of the role the web processes and workers connect as, e.g. portal_app")
        parser.add_argument(
            "--create",
            action="store_true",
            help="create the role (LOGIN, no password: set one with ALTER ROLE … PASSWORD, or use peer/cert auth)",
        )

    def handle(self, *args: Any, role: str, create: bool, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("grant_app_role is for PostgreSQL; SQLite has no roles (see README).")
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_database()")
            owner, database = cursor.fetchone()
            if role == owner:
                raise CommandError("the app role must not be the owner that runs migrations")
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            exists = cursor.fetchone() is not None
            if not exists and not create:
                raise CommandError(f"role {role!r} does not exist: pass --create, or create it first")
            if exists:
                cursor.execute(
                    "SELECT rolsuper OR pg_has_role(%s, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s", [role, owner, role]
                )
                if cursor.fetchone()[0]:
                    raise CommandError(
                        f"role {role!r} is a superuser or a member of the owner {owner!r}: it could alter the audit log"
                    )
        r = sql.Identifier(role)
        audit = sql.Identifier(AuditEntry._meta.db_table)
        statements = []
        if not exists:
            statements.append(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT").format(r))
        statements += [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), r),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM {}").format(r),
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {}").format(r),
            sql.SQL("REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {}").format(r),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(r),
            # Tables later migrations create: the same, until this command runs again.
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}").format(r),
            sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {}").format(r),
            # The audit log: append and read only.
            sql.SQL("REVOKE ALL ON {} FROM {}").format(audit, r),
            sql.SQL("REVOKE ALL ({}) ON {} FROM {}").format(
                sql.SQL(", ").join(sql.Identifier(f.column) for f in AuditEntry._meta.concrete_fields), audit, r
            ),
            sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(audit, r),
            sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                sql.SQL(", ").join(sql.Identifier(c) for c in AUDIT_UPDATABLE_COLUMNS), audit, r
            ),
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement.as_string(cursor.connection))
        self.stdout.write(
            self.style.SUCCESS(
                f"{role}: read/write on the portal's tables; on {AuditEntry._meta.db_table} INSERT and SELECT only "
                f"(UPDATE of {', '.join(AUDIT_UPDATABLE_COLUMNS)} for the retention job). Owner: {owner}."
            )
        )
