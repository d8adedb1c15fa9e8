"""Recipient lists of sent batches: once a batch is sent its LINE user IDs are replaced by
keyed hashes (HMAC-SHA256 with ``BROADCAST_RECIPIENT_HASH_KEY``, a secret of its own), so
「過去の配信の受信者を除外」 still works while the portal no longer keeps who got what.

A hash is ``"h:" + hex``; the same value is computed in Python (at send time), and in SQL
(``RecipientHash``: the exclusion, the retention purge), on PostgreSQL from its built-in
``sha256()`` (HMAC written out: no extension needed), on SQLite by a registered function.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Func, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from portal import retention

PREFIX = "h:"
SQLITE_FUNCTION = "broadcasts_recipient_hash"
_BLOCK = 64  # SHA-256 block size


def _key() -> bytes:
    key = str(settings.BROADCAST_RECIPIENT_HASH_KEY).encode()
    if len(key) > _BLOCK:
        key = hashlib.sha256(key).digest()
    return key.ljust(_BLOCK, b"\0")


def recipient_hash(line_user_id: str) -> str:
    """The keyed hash a sent batch keeps instead of ``line_user_id``."""
    return PREFIX + hmac.new(_key(), str(line_user_id).encode(), hashlib.sha256).hexdigest()


def recipient_hashes(line_user_ids: list[str]) -> list[str]:
    return [value if is_hashed(value) else recipient_hash(value) for value in line_user_ids]


def is_hashed(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


class RecipientHash(Func):
    """``recipient_hash(<expression>)`` in SQL."""

    function = SQLITE_FUNCTION
    arity = 1

    def as_postgresql(self, compiler: Any, conn: Any, **extra: Any) -> tuple[str, list]:
        inner_sql, inner_params = compiler.compile(self.source_expressions[0])
        sql, params = _pg_hash(inner_sql)
        return sql, [*params, *inner_params]


def _pg_hash(inner_sql: str) -> tuple[str, list]:
    """HMAC(K, m) = H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) with PostgreSQL's ``sha256()``; the
    padded key's two halves are bound as parameters (before ``inner_sql``'s own)."""
    key = _key()
    ipad = bytes(b ^ 0x36 for b in key)
    opad = bytes(b ^ 0x5C for b in key)
    sql = f"('{PREFIX}' || encode(sha256(%s::bytea || sha256(%s::bytea || convert_to(({inner_sql})::text, 'UTF8'))), 'hex'))"
    return sql, [opad, ipad]


def register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    """``connection_created`` receiver: the SQLite twin of ``RecipientHash``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            SQLITE_FUNCTION, 1, lambda value: None if value is None else recipient_hash(value), deterministic=True
        )


def unhashed(qs: QuerySet) -> QuerySet:
    """Batches (multicast, with recipients) whose list still holds LINE user IDs."""
    return qs.filter(endpoint="multicast", line_user_ids__0__isnull=False).exclude(line_user_ids__0__startswith=PREFIX)


def _hash_lists_sql(ids: list[int]) -> tuple[str, list]:
    from .models import Batch

    table = Batch._meta.db_table
    marks = ", ".join(["%s"] * len(ids))
    if connection.vendor == "postgresql":
        element, element_params = _pg_hash("value")
        sql = (
            f"UPDATE {table} SET line_user_ids = (SELECT coalesce(jsonb_agg({element} ORDER BY n), '[]'::jsonb) "  # noqa: S608 - table from the model
            f"FROM jsonb_array_elements_text(line_user_ids) WITH ORDINALITY AS j(value, n)) WHERE id IN ({marks})"
        )
        return sql, [*element_params, *ids]
    sql = (
        f"UPDATE {table} SET line_user_ids = (SELECT coalesce(json_group_array({SQLITE_FUNCTION}(j.value)), '[]') "  # noqa: S608
        f"FROM (SELECT value FROM json_each({table}.line_user_ids) ORDER BY key) j) WHERE id IN ({marks})"
    )
    return sql, list(ids)


def batches_hash_recipients(*, batches: QuerySet, batch_size: int = 200) -> int:
    """Replace the LINE user IDs of ``batches`` by their hashes, one UPDATE per
    ``batch_size`` rows (set-based; a list already hashed is left alone: idempotent)."""
    total = 0
    while True:
        ids = list(unhashed(batches).order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return total
        sql, params = _hash_lists_sql(ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if cursor.rowcount <= 0:
                return total  # nothing changed: stop rather than loop on the same rows
            total += cursor.rowcount


def batches_purge(cutoff: dt.datetime) -> dict[str, int]:
    """Retention: sent batches keep hashes only (they are hashed when sent; this catches any
    left over), and batches never sent of broadcasts that ended before ``cutoff`` (failed,
    cancelled) are hashed too, after which they can no longer be resent."""
    from .models import Batch, Broadcast

    S = Broadcast.Status
    sent = batches_hash_recipients(batches=Batch.objects.filter(status=Batch.Status.DONE))
    ended = Batch.objects.filter(
        ~Q(status=Batch.Status.DONE),
        broadcast__status__in=[S.DONE, S.PARTIAL, S.CANCELLED],
        broadcast__updated_at__lt=cutoff,
    )
    unsent = batches_hash_recipients(batches=ended)
    return {"sent_hashed": sent, "unsent_hashed": unsent}


STORES = (
    retention.Store(
        key="broadcasts.recipients",
        label=_("配信の送信先リスト"),
        holds=_("配信バッチごとの送信先住民のLINEユーザーID"),
        action=_(
            "送信が済んだバッチは送信時にLINEユーザーIDを復元できない鍵付きハッシュに置き換えます"
            "（「過去の配信の受信者を除外」はハッシュで判定します）。送信できずに終わった配信のバッチも、"
            "期間を過ぎるとハッシュに置き換え、再送できなくなります。"
        ),
        period_days=lambda: settings.RETENTION_BROADCAST_UNSENT_DAYS,
        purge=batches_purge,
    ),
)
