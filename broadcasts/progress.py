"""A broadcast's delivery progress in residents' terms, for the page, its live JSON and the
API: one phrase (「配信中 約1,200 / 約2,700人」), a share for the bar, start and finish
times, and at the end what happened and what to do. Every figure of residents comes from
``privacy.py`` (``sent_figures``: the stored noisy total, rounded; ``estimate`` before the
recipients are frozen); batch counts never leave this module (the bar's share is the
privacy module's whole-number percentage of batches)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.utils import formats, timezone
from django.utils.translation import gettext as _

from . import privacy, selectors
from .models import Broadcast

S = Broadcast.Status


def _when(value: datetime | None) -> str:
    if value is None:
        return ""
    return formats.date_format(timezone.localtime(value), _("Y年n月j日 H:i:s"))


def _estimated(broadcast: Broadcast) -> bool:
    """Whether the box's total is the segment's estimate (its recipients not frozen yet)."""
    preparing = broadcast.status == S.SENDING and broadcast.started_at is None
    waiting = broadcast.status not in {S.SENDING, S.DONE, S.PARTIAL, S.CANCELLED}
    return not broadcast.is_emergency and (preparing or waiting)


def progress_reports(broadcasts: Sequence[Broadcast]) -> dict[int, dict[str, Any]]:
    """``progress_report`` of every row of a list, set-based: one query for all batch
    counts and one look-up of the release for all estimates."""
    counts = selectors.broadcasts_progress(broadcast_ids=[b.pk for b in broadcasts])
    waiting = [b for b in broadcasts if _estimated(b)]
    estimates = privacy.estimates([selectors.Segment.of(b) for b in waiting])
    totals = {b.pk: e.text for b, e in zip(waiting, estimates, strict=True)}
    return {b.pk: progress_report(broadcast=b, progress=counts[b.pk], estimate_text=totals.get(b.pk)) for b in broadcasts}


def progress_report(
    *, broadcast: Broadcast, progress: selectors.Progress | None = None, estimate_text: str | None = None
) -> dict[str, Any]:
    """What the progress box shows. ``phase``: waiting (not started), preparing (配信先を確定中),
    sending, done, partial, halted (below the minimum), cancelled. ``progress`` and
    ``estimate_text``: the batch counts and the estimate's words when the caller has them."""
    p = progress if progress is not None else selectors.broadcast_progress(broadcast=broadcast)
    status = broadcast.status
    emergency = broadcast.is_emergency
    preparing = status == S.SENDING and broadcast.started_at is None
    if status == S.SENDING:
        phase = "preparing" if preparing else "sending"
    elif status == S.DONE:
        phase = "done"
    elif status == S.PARTIAL:
        phase = "partial"
    elif status == S.CANCELLED:
        phase = "halted" if broadcast.halt_reason == Broadcast.HaltReason.BELOW_MINIMUM else "cancelled"
    else:
        phase = "waiting"

    figures = privacy.sent_figures(
        broadcast=broadcast, batches_total=p.batches_total, batches_done=p.batches_done, batches_failed=p.batches_failed
    )
    reached, total, failed = figures.reached_text, figures.total_text, figures.failed_text
    if phase in {"waiting", "preparing"} and not emergency:
        # Before the recipients are frozen, the total is the segment's rounded estimate.
        total = estimate_text if estimate_text is not None else privacy.estimate(selectors.Segment.of(broadcast)).text
        reached = _("0人") if phase == "preparing" and not p.batches_done else reached
    percent: int | None
    if phase in {"done", "partial"}:
        percent = 100
    elif phase == "sending":
        percent = figures.percent_done
    elif phase == "preparing":
        percent = None  # the bar shows activity without a share
    else:
        percent = 0
    words = {"reached": reached or _("0人"), "total": total, "failed": failed}

    advice = ""
    if emergency:
        everyone = _("友だち全員")
        headline = {
            "waiting": _("承認されるとすぐに友だち全員へ一斉配信します"),
            "preparing": _("配信準備中 — 友だち全員への一斉配信を始めています"),
            "sending": _("配信中 — 友だち全員へ一斉配信しています"),
            "done": _("配信完了 — 友だち全員に配信しました"),
            "partial": _("一部失敗 — 一斉配信をLINEが受け付けませんでした"),
        }.get(phase, "")
        reached, total = (everyone if phase == "done" else ""), everyone
    else:
        headline = {
            "waiting": _("配信予定 %(total)s") % words,
            "preparing": _("配信準備中 — 配信先（%(total)s）を確定しています") % words,
            "sending": _("配信中 %(reached)s / %(total)s") % words,
            "done": _("配信完了 — %(reached)sに配信しました") % words,
            "partial": _("一部失敗 — %(reached)sに配信、%(failed)sに届きませんでした") % words,
        }.get(phase, "")
    if phase == "partial":
        advice = _(
            "LINEの一時的な不調などで、一部の方に届きませんでした。承認者が「届かなかった方に再送」を押すと、"
            "届かなかった方にだけ送り直します（届いた方に二重に届くことはありません）。"
            "再送しても届かないときは、システム管理者に連絡してください。"
        )
    elif phase == "halted":
        headline = _("配信しませんでした")
        advice = (
            broadcast.get_halt_reason_display()
            + " "
            + _("配信の直前に数え直した人数です。条件を広げて新しい配信を作成し、もう一度承認を受けてください。")
        )
    elif phase == "cancelled":
        headline = _("中止しました")
        advice = _("この配信は職員が中止しました。住民には届いていません。")
    elif phase == "done":
        advice = _("配信は終わりました。この画面を閉じてかまいません。")
    elif phase in {"preparing", "sending"}:
        advice = _("この画面を開いたままにすると、自動で更新されます。閉じても配信は続きます。")

    return {
        "status": broadcast.get_status_display(),
        "status_code": status,
        "phase": phase,
        "headline": headline,
        "reached": reached,
        "total": total,
        "percent": percent,
        "started_at": _when(broadcast.started_at),
        "finished_at": _when(broadcast.finished_at) if phase in {"done", "partial", "halted", "cancelled"} else "",
        "advice": advice,
        "halt_reason": broadcast.get_halt_reason_display() if broadcast.halt_reason else "",
        "live": status == S.SENDING,
        "finished": status != S.SENDING,
    }
