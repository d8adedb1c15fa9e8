"""Writes for road-damage reports: creation, status changes (checked against the table in
workflow.py), assignment, duplicates and merge, photos, replies to residents, Open311 API
keys. Every service that acts for someone takes ``ctx: AuditContext`` (who, from where) and
refuses with :class:`portal.errors.DomainError`."""

import hashlib
import logging
import math
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.services import audit_record
from portal.context import AuditContext
from portal.errors import DomainError
from portal.labels import Labels
from portal.line.models import Resident

from . import photos as imaging
from .models import (
    ApiKey,
    Category,
    InternalNote,
    Priority,
    ReferenceCounter,
    ReportPhoto,
    ResponseTemplate,
    RoadReport,
    Status,
    Team,
    TimelineEntry,
)
from .workflow import (
    OPEN,
    OPEN_STATUSES,
    STATUS_INFO,
    TRANSITIONS,
    WORKFLOW,
    action_name,
    allowed_transitions,
    resident_label,
    status_type,
)

logger = logging.getLogger(__name__)

# -- audit actions --------------------------------------------------------------------
AUDIT_LABELS = Labels()
AUDIT_SETTINGS_CHANGED = AUDIT_LABELS.add(
    "roads.settings_changed", gettext_lazy("道路通報の設定変更（種別・担当班・返信テンプレート）")
)
AUDIT_PUBLIC_INFO = AUDIT_LABELS.add("roads.public_info_changed", gettext_lazy("道路通報の公開情報の変更"))
AUDIT_REPORT_VIEWED = AUDIT_LABELS.add("roads.report_viewed", gettext_lazy("道路通報の閲覧"))
AUDIT_EXPORTED = AUDIT_LABELS.add("roads.exported", gettext_lazy("道路通報のCSV出力"))
AUDIT_PHOTO_CHANGED = AUDIT_LABELS.add("roads.photo_changed", gettext_lazy("道路通報写真の変更"))
AUDIT_REPORT_MERGED = AUDIT_LABELS.add("roads.report_merged", gettext_lazy("道路通報の統合"))
AUDIT_PRIVACY_CHANGED = AUDIT_LABELS.add("roads.privacy_changed", gettext_lazy("道路通報の公開設定"))
AUDIT_API_KEY = AUDIT_LABELS.add("roads.api_key", gettext_lazy("Open311 APIキーの発行・無効化"))


# -- the status workflow: the table is intake/roads/workflow.py -------------------------
__all__ = ["OPEN", "OPEN_STATUSES", "STATUS_INFO", "TRANSITIONS", "allowed_transitions", "resident_label", "status_type"]


# -- reference numbers -----------------------------------------------------------------
def reference_next(*, year: int | None = None) -> str:
    """R-YYYY-NNNNNN from a per-year counter row, incremented atomically in the database:
    unique under concurrency, and a rolled-back report just leaves a gap."""
    year = year or timezone.localdate().year
    with transaction.atomic():
        # Write first: the row lock (PostgreSQL) / write lock (SQLite) is taken before any read.
        if not ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1):
            try:
                with transaction.atomic():
                    ReferenceCounter.objects.create(year=year, last=1)
            except IntegrityError:
                ReferenceCounter.objects.filter(year=year).update(last=F("last") + 1)
        number = ReferenceCounter.objects.values_list("last", flat=True).get(year=year)
    return f"R-{year}-{number:06d}"


# -- duplicates ------------------------------------------------------------------------
DUPLICATE_RADIUS_M = 30.0
DUPLICATE_WINDOW = timedelta(days=30)


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance (haversine), metres."""
    r = 6_371_000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def possible_duplicate_find(*, report: RoadReport) -> RoadReport | None:
    """The nearest open report of the same category within 30 m, filed in the last 30 days."""
    if not report.has_location or report.latitude is None or report.longitude is None:
        return None
    lat0, lng0 = report.latitude, report.longitude
    dlat = DUPLICATE_RADIUS_M / 111_320.0
    dlng = DUPLICATE_RADIUS_M / (111_320.0 * max(math.cos(math.radians(lat0)), 0.01))
    candidates = (
        RoadReport.objects.filter(
            category_id=report.category_id,
            status__in=OPEN_STATUSES,
            created_at__gte=report.created_at - DUPLICATE_WINDOW,
            latitude__range=(lat0 - dlat, lat0 + dlat),
            longitude__range=(lng0 - dlng, lng0 + dlng),
        )
        .exclude(pk=report.pk)
        .values_list("pk", "latitude", "longitude")
    )
    best = None
    for pk, lat, lng in candidates:
        if lat is None or lng is None:
            continue
        d = distance_m(lat0, lng0, lat, lng)
        if d <= DUPLICATE_RADIUS_M and (best is None or d < best[0]):
            best = (d, pk)
    return RoadReport.objects.get(pk=best[1]) if best else None


# -- creation ----------------------------------------------------------------------------
@transaction.atomic
def report_create(
    *,
    category: Category,
    resident: Resident | None = None,
    source: str = RoadReport.Source.LINE,
    latitude: float | None = None,
    longitude: float | None = None,
    location_source: str = "",
    address_text: str = "",
    comment: str = "",
    photo_ids: list[int] | None = None,
    created_at: Any = None,
    dangerous: bool = False,
) -> RoadReport:
    """A new report. Its 地域 is where the damage is (``report_area_for``), never where the
    resident lives; a resident who said the place is dangerous files it 緊急."""
    report = RoadReport(
        reference=reference_next(),
        source=source,
        resident=resident,
        category=category,
        team=category.team,
        area=report_area_for(latitude=latitude, longitude=longitude),
        priority=Priority.URGENT if dangerous else Priority.NORMAL,
        is_dangerous=dangerous,
        latitude=latitude,
        longitude=longitude,
        location_source=location_source if latitude is not None else (RoadReport.LocationSource.ADDRESS if address_text else ""),
        address_text=address_text[:200],
        comment=comment[:1000],
    )
    if created_at is not None:
        report.created_at = report.updated_at = created_at
    report.save()
    if photo_ids:
        ReportPhoto.objects.filter(pk__in=photo_ids, report__isnull=True).exclude(state=ReportPhoto.State.REJECTED).update(
            report=report
        )
        location_hint_refresh(report=report)
    TimelineEntry.objects.create(
        report=report, kind=TimelineEntry.Kind.STATUS, status_to=Status.RECEIVED, created_at=report.created_at
    )
    duplicate = possible_duplicate_find(report=report)
    if duplicate is not None:
        report.possible_duplicate_of = duplicate
        report.save(update_fields=["possible_duplicate_of"])
    return report


def report_area_for(*, latitude: float | None, longitude: float | None) -> Any:
    """The area whose boundary holds the location, else the nearest boundary within
    ``ROAD_AREA_TOLERANCE_M``; ``None`` (staff set it) without a location or a near boundary."""
    if latitude is None or longitude is None:
        return None
    from portal.line import selectors as line_selectors

    return line_selectors.area_at(latitude=latitude, longitude=longitude, tolerance_m=settings.ROAD_AREA_TOLERANCE_M)


def location_hint_refresh(*, report: RoadReport) -> None:
    """Offer a photo's EXIF GPS position when the resident sent no location."""
    if report.has_location or report.hint_latitude is not None:
        return
    photo = report.photos.filter(gps_latitude__isnull=False).first()
    if photo is not None:
        RoadReport.objects.filter(pk=report.pk).update(hint_latitude=photo.gps_latitude, hint_longitude=photo.gps_longitude)


@transaction.atomic
def report_use_location_hint(*, report: RoadReport, ctx: AuditContext) -> RoadReport:
    if report.hint_latitude is None:
        raise DomainError(_("写真に位置情報がありません。"))
    report.latitude, report.longitude = report.hint_latitude, report.hint_longitude
    report.location_source = RoadReport.LocationSource.EXIF
    report.updated_at = timezone.now()
    fields = ["latitude", "longitude", "location_source", "updated_at"]
    if report.area_id is None:
        report.area = report_area_for(latitude=report.latitude, longitude=report.longitude)
        fields.append("area")
    report.save(update_fields=fields)
    if report.possible_duplicate_of_id is None:
        duplicate = possible_duplicate_find(report=report)
        if duplicate is not None:
            report.possible_duplicate_of = duplicate
            report.save(update_fields=["possible_duplicate_of"])
    return report


# -- status changes and replies ----------------------------------------------------------
def template_render(*, template: ResponseTemplate | str, report: RoadReport) -> str:
    text = template.text if isinstance(template, ResponseTemplate) else template
    return (
        text.replace("{reference}", report.reference)
        .replace("{category}", report.category.name)
        .replace("{status}", resident_label(report.status))
    )


def public_photo_url(photo: ReportPhoto, *, variant: str = "full") -> str:
    path = reverse("roads:public_photo", kwargs={"token": photo.public_token, "variant": variant})
    return str(settings.PORTAL_BASE_URL).rstrip("/") + path


def _recipients(report: RoadReport) -> list[Resident]:
    """The report's resident and the residents of reports merged into it."""
    people: dict[int, Resident] = {}
    if report.resident_id and report.resident is not None:
        people[report.resident_id] = report.resident
    for merged in report.merged_reports.select_related("resident").exclude(resident__isnull=True):
        if merged.resident_id is not None and merged.resident is not None:
            people.setdefault(merged.resident_id, merged.resident)
    return list(people.values())


def recipients_of(report: RoadReport) -> list[Resident]:
    """Who a message about ``report`` reaches (empty: nobody to write to)."""
    return _recipients(report)


def resident_notify(*, report: RoadReport, entry: TimelineEntry, text: str, photo: ReportPhoto | None = None) -> int:
    """Push ``text`` (and an after-photo) about ``report`` to its residents, once per
    timeline entry and resident (the dedupe key), through the shared LINE sender."""
    from portal.line import sender as line_sender

    follow_up = {
        "type": "action",
        "action": {
            "type": "postback",
            "label": _("この通報について連絡")[:20],
            "data": f"flow=road&action=followup&ref={report.reference}",
        },
    }
    messages: list[dict[str, Any]] = [{"type": "text", "text": f"【{report.reference}】\n{text}"[:5000]}]
    if photo is not None and photo.is_public:
        messages.append(
            {
                "type": "image",
                "originalContentUrl": public_photo_url(photo),
                "previewImageUrl": public_photo_url(photo, variant="thumb"),
            }
        )
    messages[-1]["quickReply"] = {"items": [follow_up]}  # LINE shows the last message's quick reply
    sent = 0
    for resident in _recipients(report):
        line_sender.push_to_resident(
            resident=resident, messages=messages, purpose="road-report", dedupe_key=f"road-entry:{entry.pk}:{resident.pk}"
        )
        sent += 1
    return sent


@transaction.atomic
def report_change_status(
    *,
    report: RoadReport,
    to: str,
    ctx: AuditContext,
    message: str = "",
    after_photo: ReportPhoto | None = None,
    duplicate_of: RoadReport | None = None,
) -> TimelineEntry:
    """The only way a report's status changes: checks the transition table, records actor
    and time on the resident-visible timeline, optionally pushes ``message``."""
    report = RoadReport.objects.select_for_update(of=("self",)).select_related("category", "resident").get(pk=report.pk)
    if to not in Status.values:
        raise DomainError(_("入力内容を確認してください。"), code="invalid_status")
    refused = _("「%(from)s」から「%(to)s」には変更できません。") % {"from": Status(report.status).label, "to": Status(to).label}
    if action_name(to) not in {a.name for a in WORKFLOW.actions}:  # nothing leads to it (受付)
        raise WORKFLOW.conflict(refused, code="invalid_state", details={"state": report.status, "to": to})
    WORKFLOW.require(action_name(to), report, message=refused)
    if after_photo is not None and to != Status.DONE:
        raise DomainError(_("補修後の写真は「完了」のときだけ添付できます。"))
    now = timezone.now()
    previous = report.status
    report.status = to
    report.updated_at = now
    report.closed_at = now if status_type(to) != OPEN else None
    if status_type(to) == OPEN:
        report.needs_attention = False
    if to == Status.DUPLICATE:
        report.duplicate_of = duplicate_of
    fields = ["status", "updated_at", "closed_at", "needs_attention", "duplicate_of"]
    report.save(update_fields=fields)
    if after_photo is not None:
        ReportPhoto.objects.filter(pk=after_photo.pk).update(report=report)
    entry = TimelineEntry.objects.create(
        report=report,
        kind=TimelineEntry.Kind.STATUS,
        status_from=previous,
        status_to=to,
        text=message.strip(),
        actor=ctx.actor,
        photo=after_photo,
        created_at=now,
    )
    if message.strip():
        resident_notify(report=report, entry=entry, text=message.strip(), photo=after_photo)
    return entry


REPLY_RESUBMIT_WINDOW = timedelta(minutes=2)


@transaction.atomic
def report_reply(*, report: RoadReport, ctx: AuditContext, message: str) -> TimelineEntry:
    """A message to the report's residents that leaves the status alone: one timeline entry,
    pushed once per resident (the entry is the dedupe key). The same text sent again within
    two minutes (a double click, a resubmitted form) is the same reply, not a second push."""
    report = RoadReport.objects.select_for_update(of=("self",)).select_related("category", "resident").get(pk=report.pk)
    text = message.strip()
    if not text:
        raise DomainError(_("住民へのメッセージを入力してください。"))
    if not _recipients(report):
        raise DomainError(_("この通報にはLINEで連絡できる住民がいません。"))
    now = timezone.now()
    previous = (
        TimelineEntry.objects.filter(report=report, kind=TimelineEntry.Kind.MESSAGE, text=text[:5000])
        .filter(created_at__gte=now - REPLY_RESUBMIT_WINDOW)
        .order_by("-created_at")
        .first()
    )
    if previous is not None:
        return previous
    entry = TimelineEntry.objects.create(
        report=report, kind=TimelineEntry.Kind.MESSAGE, text=text, actor=ctx.actor, created_at=now
    )
    RoadReport.objects.filter(pk=report.pk).update(updated_at=now)
    resident_notify(report=report, entry=entry, text=text)
    return entry


def report_bulk_change_status(
    *, reports: list[RoadReport], to: str, ctx: AuditContext, message: str = ""
) -> tuple[int, list[str]]:
    """Each report goes through ``report_change_status``; returns (changed, refused references)."""
    changed, refused = 0, []
    for report in reports:
        try:
            report_change_status(
                report=report, to=to, ctx=ctx, message=template_render(template=message, report=report) if message else ""
            )
            changed += 1
        except DomainError:
            refused.append(report.reference)
    return changed, refused


ASSIGN_LABELS = {
    "team": gettext_lazy("担当班"),
    "assignee": gettext_lazy("担当"),
    "priority": gettext_lazy("優先度"),
    "area": gettext_lazy("地域"),
}


def _shown(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "priority":
        return str(Priority(int(value)).label)
    if name == "assignee":
        return str(value.get_full_name() or value.email)
    return str(value)


def assignment_note_text(changes: list[tuple[str, Any]]) -> str:
    """「担当を 道路 太郎 に変更、優先度を 高 に変更」: each change in the clerk's words."""
    parts = []
    for name, value in changes:
        label = ASSIGN_LABELS[name]
        if value is None:
            parts.append(_("%(field)sを解除") % {"field": label})
        else:
            parts.append(_("%(field)sを %(value)s に変更") % {"field": label, "value": _shown(name, value)})
    return _("、").join(parts)


@transaction.atomic
def report_assign(
    *,
    report: RoadReport,
    ctx: AuditContext,
    team: Team | None = None,
    assignee: Any = None,
    priority: int | None = None,
    area: Any = None,
    fields: tuple[str, ...] = ("team", "assignee", "priority", "area"),
) -> RoadReport:
    values = {"team": team, "assignee": assignee, "priority": priority, "area": area}
    changed: list[tuple[str, Any]] = []
    for name in fields:
        value = values[name]
        if name == "priority" and value is None:
            continue
        if name == "priority" and int(value) not in Priority.values:
            raise DomainError(_("優先度が不正です。"))
        if getattr(report, name) != value:
            setattr(report, name, value)
            changed.append((name, value))
    if changed:
        report.updated_at = timezone.now()
        report.save(update_fields=[name for name, _v in changed] + ["updated_at"])
        InternalNote.objects.create(report=report, author=ctx.actor, text=assignment_note_text(changed))
    return report


def report_bulk_assign(*, reports: list[RoadReport], ctx: AuditContext, **kwargs: Any) -> int:
    for report in reports:
        report_assign(report=report, ctx=ctx, **kwargs)
    return len(reports)


def note_add(*, report: RoadReport, ctx: AuditContext, text: str) -> InternalNote:
    if not text.strip():
        raise DomainError(_("メモを入力してください。"))
    return InternalNote.objects.create(report=report, author=ctx.actor, text=text.strip()[:2000])


@transaction.atomic
def report_merge(*, duplicate: RoadReport, into: RoadReport, ctx: AuditContext) -> RoadReport:
    """Close ``duplicate`` as 重複 of ``into``; from then on ``into``'s updates reach both
    residents. Reports merged into ``duplicate`` follow it to ``into``."""
    if duplicate.pk == into.pk:
        raise DomainError(_("同じ通報には統合できません。"))
    if status_type(into.status) != OPEN:
        raise DomainError(_("統合先の通報が終了しています。"))
    text = _("同じ場所の通報（%(ref)s）とまとめて対応します。今後の状況はこの通報でお知らせします。") % {"ref": into.reference}
    report_change_status(report=duplicate, to=Status.DUPLICATE, ctx=ctx, message=text, duplicate_of=into)
    RoadReport.objects.filter(duplicate_of=duplicate).update(duplicate_of=into)
    RoadReport.objects.filter(possible_duplicate_of=duplicate).update(possible_duplicate_of=None)
    if into.possible_duplicate_of_id == duplicate.pk:
        RoadReport.objects.filter(pk=into.pk).update(possible_duplicate_of=None)
    TimelineEntry.objects.create(report=into, kind=TimelineEntry.Kind.MERGED, text=duplicate.reference, actor=ctx.actor)
    audit_record(action=AUDIT_REPORT_MERGED, ctx=ctx, target=duplicate, detail={"into": into.reference})
    return into


def report_dismiss_duplicate(*, report: RoadReport, ctx: AuditContext) -> None:
    RoadReport.objects.filter(pk=report.pk).update(possible_duplicate_of=None)
    InternalNote.objects.create(report=report, author=ctx.actor, text=_("重複の可能性を解除しました。"))


@transaction.atomic
def report_set_private(*, report: RoadReport, is_private: bool, ctx: AuditContext) -> None:
    if report.is_private != is_private:
        RoadReport.objects.filter(pk=report.pk).update(is_private=is_private)
        audit_record(action=AUDIT_PRIVACY_CHANGED, ctx=ctx, target=report, detail={"is_private": is_private})


PUBLIC_FIELDS = ("is_private", "is_published", "public_description", "public_address")


@transaction.atomic
def report_public_info_update(
    *,
    report: RoadReport,
    ctx: AuditContext,
    public_description: str | None = None,
    public_address: str | None = None,
    is_published: bool | None = None,
) -> RoadReport:
    """What Open311 may show of a report, written by staff (audited as a field diff).
    Publishing also lifts 非公開."""
    from accounts.services import audit_changes, snapshot

    report = RoadReport.objects.select_for_update(of=("self",)).get(pk=report.pk)
    before = snapshot(report, PUBLIC_FIELDS)
    if public_description is not None:
        report.public_description = public_description.strip()[:500]
    if public_address is not None:
        report.public_address = public_address.strip()[:200]
    if is_published is not None:
        report.is_published = is_published
        if is_published:
            report.is_private = False
    after = snapshot(report, PUBLIC_FIELDS)
    if before != after:
        report.updated_at = timezone.now()
        report.save(update_fields=[*PUBLIC_FIELDS, "updated_at"])
        audit_changes(action=AUDIT_PUBLIC_INFO, before=before, after=after, ctx=ctx, target=report)
    return report


@transaction.atomic
def resident_follow_up(*, report: RoadReport, resident: Resident, text: str) -> TimelineEntry:
    """A resident writes about one of their reports; on a closed report staff are flagged."""
    entry = TimelineEntry.objects.create(report=report, kind=TimelineEntry.Kind.RESIDENT, text=text.strip()[:1000])
    updates: dict[str, Any] = {"updated_at": timezone.now()}
    if status_type(report.status) != OPEN:
        updates["needs_attention"] = True
    RoadReport.objects.filter(pk=report.pk).update(**updates)
    return entry


# -- photos ----------------------------------------------------------------------------
def photo_receive(*, resident: Resident, message_id: str) -> ReportPhoto:
    """An image message arrived in the chat: remember it (pending) and fetch it after commit."""
    from . import tasks

    photo = ReportPhoto.objects.create(resident=resident, line_message_id=message_id)
    transaction.on_commit(lambda: tasks.fetch_photo.delay(photo.pk))
    return photo


class PhotoFetchTemporaryError(Exception):
    """The LINE content endpoint failed for now; the task retries."""


def _store(photo: ReportPhoto, body: bytes, *, folder: str) -> None:
    checked = imaging.check_image(body)
    ext = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}[checked.format]
    stem = f"roads/{folder}/{photo.pk}-{secrets.token_hex(8)}"
    photo.original_path = imaging.write_private(f"{stem}-original.{ext}", body)
    display, thumb = imaging.derived_copies(body)
    photo.display_path = imaging.write_private(f"{stem}-display.jpg", display)
    photo.thumb_path = imaging.write_private(f"{stem}-thumb.jpg", thumb)
    photo.content_type = checked.content_type
    photo.width, photo.height = checked.width, checked.height
    gps = imaging.gps_position(body)
    if gps:
        photo.gps_latitude, photo.gps_longitude = gps
    photo.state = ReportPhoto.State.READY


def photo_reject_notify(*, photo: ReportPhoto) -> None:
    from portal.line import sender as line_sender

    if photo.resident_id is None or photo.resident is None:
        return
    text = str(imaging.REJECT_MESSAGES.get(photo.reject_reason, imaging.REJECT_MESSAGES["broken"]))
    line_sender.push_to_resident(
        resident=photo.resident,
        messages=[{"type": "text", "text": text}],
        purpose="road-photo-rejected",
        dedupe_key=f"road-photo-rejected:{photo.pk}",
    )


def photo_fetch(*, photo_id: int) -> ReportPhoto:
    """Fetch a pending photo from LINE, check it, store the original privately and the
    EXIF-free copies. A refused photo is marked and the resident told why; a temporary
    failure raises PhotoFetchTemporaryError (the photo stays pending; nothing is lost)."""
    from portal.line import content as line_content
    from portal.line.errors import LineError, LineRateLimited, LineTemporaryError

    photo = ReportPhoto.objects.select_related("resident").get(pk=photo_id)
    if photo.state != ReportPhoto.State.PENDING:
        return photo
    ReportPhoto.objects.filter(pk=photo.pk).update(attempts=F("attempts") + 1)
    try:
        body, _content_type = line_content.message_content(message_id=photo.line_message_id)
    except (LineTemporaryError, LineRateLimited) as exc:
        raise PhotoFetchTemporaryError(type(exc).__name__) from exc
    except LineError:
        body = None
    with transaction.atomic():
        photo = ReportPhoto.objects.select_for_update(of=("self",)).select_related("resident").get(pk=photo_id)
        if photo.state != ReportPhoto.State.PENDING:
            return photo
        if body is None:
            photo.state, photo.reject_reason = ReportPhoto.State.REJECTED, "unavailable"
        else:
            try:
                _store(photo, body, folder="photos")
            except imaging.PhotoRejected as exc:
                photo.state, photo.reject_reason = ReportPhoto.State.REJECTED, exc.reason
        photo.save()
        if photo.state == ReportPhoto.State.REJECTED:
            logger.info("road photo %s refused: %s", photo.pk, photo.reject_reason)
            photo_reject_notify(photo=photo)
        elif photo.report is not None:
            location_hint_refresh(report=photo.report)
    return photo


def photos_pending_requeue(*, older_than: timedelta = timedelta(minutes=10)) -> int:
    """Beat job: re-enqueue photos still pending (e.g. the worker died or retries ran out)."""
    from . import tasks

    ids = list(
        ReportPhoto.objects.filter(state=ReportPhoto.State.PENDING, created_at__lt=timezone.now() - older_than)
        .exclude(line_message_id="")
        .values_list("pk", flat=True)[:500]
    )
    for pk in ids:
        tasks.fetch_photo.delay(pk)
    return len(ids)


def photos_orphans_purge(cutoff: Any) -> dict[str, int]:
    """Retention (store ``roads.unsent_photos``, ``RETENTION_ROAD_UNSENT_PHOTO_DAYS``): photos
    sent in a conversation that never became a report (cancelled, expired) and received
    before ``cutoff`` are deleted with their files; residents' photos are not kept without a
    purpose. Set-based in batches; idempotent (a deleted photo is gone)."""
    stale = ReportPhoto.objects.filter(report__isnull=True, kind=ReportPhoto.Kind.RESIDENT, created_at__lt=cutoff)
    removed = 0
    while True:
        ids = list(stale.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return {"photos": removed}
        with transaction.atomic():
            batch = ReportPhoto.objects.filter(pk__in=ids, report__isnull=True)  # not one attached meanwhile
            paths = [p for row in batch.values_list("original_path", "display_path", "thumb_path") for p in row if p]
            deleted = batch.delete()[1].get(ReportPhoto._meta.label, 0)
            _files_delete_after_commit(paths)
        if not deleted:
            return {"photos": removed}
        removed += deleted


@transaction.atomic
def after_photo_upload(*, body: bytes, ctx: AuditContext) -> ReportPhoto:
    """A staff-approved after-photo (for 完了): stored like residents' photos, publishable."""
    photo = ReportPhoto.objects.create(kind=ReportPhoto.Kind.AFTER, publishable=True)
    try:
        _store(photo, body, folder="after")
    except imaging.PhotoRejected as exc:
        raise DomainError(str(imaging.REJECT_MESSAGES[exc.reason])) from exc
    photo.save()
    return photo


def _files_delete_after_commit(paths: list[str]) -> None:
    """Remove stored files once the transaction that stopped referring to them commits."""

    def remove() -> None:
        for relative in paths:
            if not relative:
                continue
            try:
                imaging.private_path(relative).unlink(missing_ok=True)
            except (OSError, ValueError):
                logger.warning("could not remove a superseded road photo file")

    transaction.on_commit(remove)


def _rebuild_display(photo: ReportPhoto) -> None:
    """New derived copies with the current redactions; the superseded (less redacted)
    copies are deleted from storage, so nothing unredacted outlives a redaction."""
    superseded = [photo.display_path, photo.thumb_path]
    display, thumb = imaging.derived_copies(imaging.read_private(photo.original_path), photo.redactions)
    stem = f"roads/photos/{photo.pk}-{secrets.token_hex(8)}"
    photo.display_path = imaging.write_private(f"{stem}-display.jpg", display)
    photo.thumb_path = imaging.write_private(f"{stem}-thumb.jpg", thumb)
    _files_delete_after_commit(superseded)


@transaction.atomic
def photo_update(
    *,
    photo: ReportPhoto,
    ctx: AuditContext,
    hidden: bool | None = None,
    publishable: bool | None = None,
    redaction: list[float] | None = None,
    clear_redactions: bool = False,
) -> ReportPhoto:
    """Hide, mark publishable or black out a rectangle; the original is kept; audited.
    Hiding, unpublishing and redacting give the photo a new public token: every URL handed
    out before (LINE messages, Open311 media_url) stops working at once."""
    photo = ReportPhoto.objects.select_for_update(of=("self",)).select_related("report").get(pk=photo.pk)
    detail: dict[str, Any] = {}
    rotate = False
    if hidden is not None and hidden != photo.hidden:
        photo.hidden = detail["hidden"] = hidden
        rotate = rotate or hidden
    if publishable is not None and publishable != photo.publishable:
        photo.publishable = detail["publishable"] = publishable
        rotate = rotate or not publishable
    if redaction is not None or clear_redactions:
        if photo.state != ReportPhoto.State.READY:
            raise DomainError(_("まだ写真を取得していません。"))
        if clear_redactions or redaction is None:
            photo.redactions = []
        else:
            x, y, w, h = (max(0.0, min(1.0, float(v))) for v in redaction)
            if w <= 0 or h <= 0:
                raise DomainError(_("塗りつぶす範囲を指定してください。"))
            photo.redactions = [*photo.redactions, [x, y, w, h]]
        _rebuild_display(photo)
        detail["redactions"] = len(photo.redactions)
        rotate = True
    if rotate:
        photo.public_token = secrets.token_urlsafe(24)  # old public URLs stop working
    if detail:
        photo.save()
        audit_record(action=AUDIT_PHOTO_CHANGED, ctx=ctx, target=photo, target_repr=photo_label(photo), detail=detail)
    return photo


def photo_label(photo: ReportPhoto) -> str:
    """「R-2026-000013 の写真 #5」 (an audit entry's 対象; no personal data)."""
    if photo.report is not None:
        return _("%(ref)s の写真 #%(pk)s") % {"ref": photo.report.reference, "pk": photo.pk}
    return _("写真 #%(pk)s") % {"pk": photo.pk}


# -- settings: categories, teams, reply templates ---------------------------------------
@transaction.atomic
def settings_save(*, form: Any, ctx: AuditContext) -> Any:
    """Save a category / team / reply-template form; audited as a field diff (a category's
    emergency phone number is what residents in danger are told to call)."""
    from accounts.services import audit_changes, snapshot

    instance = form.instance
    fields = list(form.Meta.fields)
    before = snapshot(type(instance).objects.get(pk=instance.pk), fields) if instance.pk else {}
    saved = form.save()
    after = snapshot(saved, fields)
    audit_changes(
        action=AUDIT_SETTINGS_CHANGED,
        before=before,
        after=after,
        ctx=ctx,
        target=saved,
        extra={"created": True} if not before else None,
    )
    return saved


# -- Open311 API keys -------------------------------------------------------------------
def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_issue(*, name: str, ctx: AuditContext) -> tuple[ApiKey, str]:
    """Returns (key, the raw key): the raw key is shown once and never stored."""
    raw = "o311_" + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(name=name.strip()[:80], prefix=raw[5:11], key_hash=_hash_key(raw), created_by=ctx.actor)
    audit_record(action=AUDIT_API_KEY, ctx=ctx, target=key, detail={"issued": True})
    return key, raw


@transaction.atomic
def api_key_revoke(*, key: ApiKey, ctx: AuditContext) -> None:
    ApiKey.objects.filter(pk=key.pk).update(is_active=False)
    audit_record(action=AUDIT_API_KEY, ctx=ctx, target=key, detail={"revoked": True})


def api_key_verify(*, raw: str) -> ApiKey | None:
    if not raw:
        return None
    key = ApiKey.objects.filter(key_hash=_hash_key(raw), is_active=True).first()
    if key is not None:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
    return key


def export_record(*, ctx: AuditContext, filters: dict[str, Any], rows: int) -> None:
    audit_record(action=AUDIT_EXPORTED, ctx=ctx, detail={"filters": filters, "rows": rows})


def report_view_record(*, report: RoadReport, ctx: AuditContext) -> None:
    audit_record(action=AUDIT_REPORT_VIEWED, ctx=ctx, target=report)


# -- retention ---------------------------------------------------------------------------
PURGE_BATCH = 500


def reports_purge_personal_data(cutoff: Any) -> dict[str, int]:
    """Retention (``RETENTION_ROAD_REPORT_DAYS`` after closure, or after the last change of a
    report left open that long): the resident's link, the typed address and comment, the
    photo-GPS hint, residents' follow-up texts, staff's internal notes and the texts of
    messages sent to the resident, and the residents' photos (originals and derived copies,
    files and rows) go; the report itself (category, place, status, history, staff-written
    public text) stays for the statistics. Set-based in batches; idempotent (a purged report
    is marked and not touched again)."""
    counts = {"reports": 0, "photos": 0, "follow_ups": 0, "staff_texts": 0, "notes": 0}
    closed = [s for s in Status.values if s not in OPEN_STATUSES]
    # Closed reports count from their closure; a report left open with nothing happening
    # for the whole period (abandoned) counts from its last change, so nothing stays forever.
    due = RoadReport.objects.filter(personal_data_purged_at__isnull=True).filter(
        Q(status__in=closed, closed_at__lt=cutoff) | Q(status__in=OPEN_STATUSES, updated_at__lt=cutoff)
    )
    while True:
        ids = list(due.order_by("closed_at", "pk").values_list("pk", flat=True)[:PURGE_BATCH])
        if not ids:
            return counts
        with transaction.atomic():
            photos = ReportPhoto.objects.filter(report_id__in=ids, kind=ReportPhoto.Kind.RESIDENT)
            paths = [p for row in photos.values_list("original_path", "display_path", "thumb_path") for p in row if p]
            TimelineEntry.objects.filter(report_id__in=ids, photo__in=photos).update(photo=None)
            counts["photos"] += photos.delete()[1].get(ReportPhoto._meta.label, 0)
            counts["follow_ups"] += (
                TimelineEntry.objects.filter(report_id__in=ids, kind=TimelineEntry.Kind.RESIDENT).exclude(text="").update(text="")
            )
            # What staff wrote about or to this resident (internal notes, replies and status
            # messages pushed to them) can name them or repeat what they typed, as a booking's
            # staff notes can: the texts go, the entries (who changed what, when) stay.
            counts["staff_texts"] += (
                TimelineEntry.objects.filter(report_id__in=ids, kind__in=[TimelineEntry.Kind.MESSAGE, TimelineEntry.Kind.STATUS])
                .exclude(text="")
                .update(text="")
            )
            counts["notes"] += InternalNote.objects.filter(report_id__in=ids).delete()[0]
            counts["reports"] += RoadReport.objects.filter(pk__in=ids).update(
                resident=None,
                address_text="",
                comment="",
                hint_latitude=None,
                hint_longitude=None,
                personal_data_purged_at=timezone.now(),
            )
            _files_delete_after_commit(paths)


def reports_locate_areas(*, only_blank: bool = True, batch: int = 2000) -> tuple[int, int]:
    """Set located reports' 地域 from the boundaries (after an admin uploaded them): returns
    (changed, checked). One UPDATE per area found, not one per report."""
    qs = RoadReport.objects.filter(latitude__isnull=False, longitude__isnull=False)
    if only_blank:
        qs = qs.filter(area__isnull=True)
    changed = checked = 0
    last = 0
    while True:
        rows = list(qs.filter(pk__gt=last).order_by("pk").values_list("pk", "latitude", "longitude", "area_id")[:batch])
        if not rows:
            return changed, checked
        last = rows[-1][0]
        by_area: dict[Any, list[int]] = {}
        for pk, lat, lng, area_id in rows:
            area = report_area_for(latitude=lat, longitude=lng)
            new = area.pk if area is not None else None
            if new != area_id and (new is not None or not only_blank):
                by_area.setdefault(new, []).append(pk)
        for area_id, pks in by_area.items():
            changed += RoadReport.objects.filter(pk__in=pks).update(area_id=area_id)
        checked += len(rows)
