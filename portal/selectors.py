"""Reads of the portal shell: health of the database, the broker, beat and the workers."""

import contextlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu import Connection

from .models import WorkerHeartbeat

# Beat sends the health task every minute (HEALTH_BEAT_SECONDS); three missed minutes = stale.
HEARTBEAT_FRESH = timedelta(minutes=3)
BEAT = "beat"
WORKER = "worker"
CACHE_KEY = "portal:healthz"


def _freshness(at: datetime | None) -> str:
    if at is None:
        return "unknown"
    return "ok" if timezone.now() - at < HEARTBEAT_FRESH else "stale"


def health_status() -> dict[str, Any]:
    """Database and broker status, when beat last sent the health task and when a worker
    last ran it. Only reads: nothing is enqueued."""
    result: dict[str, Any] = {
        "database": "ok",
        "broker": "ok",
        "beat": "unknown",
        "last_beat_at": None,
        "worker": "unknown",
        "last_worker_seen_at": None,
    }
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        beats = dict(WorkerHeartbeat.objects.filter(name__in=[BEAT, WORKER]).values_list("name", "beat_at"))
        for name in (BEAT, WORKER):
            at = beats.get(name)
            result[name] = _freshness(at)
            result["last_beat_at" if name == BEAT else "last_worker_seen_at"] = at.isoformat() if at else None
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result["database"] = f"error: {type(exc).__name__}"
    try:
        with Connection(settings.CELERY_BROKER_URL, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=2)
            conn.default_channel  # noqa: B018 - opening a channel really talks to the broker
    except Exception as exc:  # noqa: BLE001
        result["broker"] = f"error: {type(exc).__name__}"
    result["broker_transport"] = settings.CELERY_BROKER_URL.split(":", 1)[0]
    result["ok"] = result["database"] == "ok" and result["broker"] == "ok"
    return result


def health_status_cached() -> dict[str, Any]:
    """``health_status()``, computed at most once per HEALTHZ_CACHE_SECONDS (shared cache):
    a load balancer polling every web process costs the database and broker little."""
    seconds = settings.HEALTHZ_CACHE_SECONDS
    try:
        cached = cache.get(CACHE_KEY)
    except Exception:  # noqa: BLE001 - the database cache is down with the database
        cached = None
    if cached is not None:
        return cast(dict[str, Any], cached)
    status = health_status()
    status["checked_at"] = timezone.now().isoformat()
    with contextlib.suppress(Exception):
        cache.set(CACHE_KEY, status, seconds)
    return status


# Labels of the counts a purge reports (portal/retention.py), in staff words.
PURGE_COUNT_LABELS = {
    "rows": _("削除・消去した件数"),
    "deleted": _("削除した件数"),
    "payloads_emptied": _("内容を消去したイベント"),
    "residents": _("個人情報を消去した住民"),
    "outbound_deleted": _("削除した送信記録"),
    "conversations_deleted": _("削除した会話"),
    "sent_hashed": _("送信先をハッシュ化した送信済みバッチ"),
    "unsent_hashed": _("送信先をハッシュ化した未送信バッチ"),
    "details_purged": _("詳細を消去した監査記録"),
    "chat_log_deleted": _("削除したチャットの記録"),
    "inquiries": _("削除した問い合わせ"),
    "entries": _("削除した返信・職員メモ"),
}
RESIDENT_COUNTS = {"residents"}  # counts of residents: shown through privacy_count only


@dataclass
class RetentionRow:
    key: str
    label: Any
    holds: Any
    action: Any
    period_days: int
    last_run: Any  # datetime of the last purge, or None
    last_counts: list[tuple[Any, str]]  # (label, shown value)


def retention_table() -> list[RetentionRow]:
    """Every registered store of personal data with its period and the counts of its last
    purge (from the audit log). One query per store (a dozen)."""
    from accounts.models import AuditEntry

    from . import retention
    from .line.selectors import privacy_count

    rows = []
    for store in retention.stores():
        entry = AuditEntry.objects.filter(action="retention.purged", target_id=store.key).order_by("-at", "-id").first()
        counts: list[tuple[Any, str]] = []
        if entry is not None:
            for name, value in entry.detail.items():
                if name in ("cutoff", "period_days") or not isinstance(value, int | str):
                    continue
                # Entries keep coarse counts (portal.retention.coarse_count); older ones exact.
                if isinstance(value, str):
                    shown = value
                else:
                    shown = privacy_count(value) if name in RESIDENT_COUNTS else f"{value:,}"
                counts.append((PURGE_COUNT_LABELS.get(name, name), shown))
        rows.append(
            RetentionRow(
                key=store.key,
                label=store.label,
                holds=store.holds,
                action=store.action,
                period_days=store.period_days(),
                last_run=entry.at if entry else None,
                last_counts=counts,
            )
        )
    return rows
