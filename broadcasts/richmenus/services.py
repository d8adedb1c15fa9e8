"""Rich-menu services (writes): create and edit a draft, register it on LINE, set the default,
name the disaster menu, link a segment, 災害時モード on and back, and the bulk link/unlink
job runner the Celery task calls. Each state change asks the table (``workflow.WORKFLOW``)
and is audited; LINE is reached only through ``portal.line.richmenus``."""

from __future__ import annotations

import datetime as dt
import functools
import math
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import audit_record
from portal.context import AuditContext
from portal.errors import Conflict, DomainError
from portal.line import residents
from portal.line import richmenus as line
from portal.line.errors import LineError, LineRateLimited, LineRejected, LineTemporaryError
from portal.workflow import staff_of

from . import audit, validation
from .models import DisasterSwitch, LinkBatch, LinkJob, PendingFollow, ResidentMenu, RichMenu, SegmentLink
from .selectors import disaster_mode

S = RichMenu.Status
LEASE = dt.timedelta(seconds=60)
# LINE shows a changed default within about a minute; bulk links are applied in the background.
DISPLAY_LAG_SECONDS = 60


def _line_refused(exc: LineError) -> DomainError:
    if isinstance(exc, LineRejected):
        detail = "; ".join(f"{d.get('property', '')}: {d.get('message', '')}" for d in exc.details[:5])
        text = _("LINEが受け付けませんでした（%(message)s）。") % {"message": exc.message + (f" — {detail}" if detail else "")}
        return DomainError(text, code="line_rejected", details={"status": exc.status})
    if isinstance(exc, LineRateLimited):
        return DomainError(_("LINEの回数制限に達しました。しばらくしてからもう一度お試しください。"), code="line_rate_limited")
    return DomainError(_("LINEにつながりませんでした。しばらくしてからもう一度お試しください。"), code="line_unavailable")


def _switch_targets(exclude: int | None = None) -> dict[int, str]:
    qs = RichMenu.objects.exclude(status=S.DELETED)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return dict(qs.values_list("pk", "name"))


# -- drafts -----------------------------------------------------------------------------------
def richmenu_new(
    *,
    name: str,
    chat_bar_text: str,
    checked: validation.CheckedImage,
    areas: list[dict[str, Any]],
    created_by: User,
    status: str = S.DRAFT,
) -> RichMenu:
    """The row of a menu from its checked image and cleaned areas (with an alias of its own)."""
    return RichMenu.objects.create(
        name=name,
        chat_bar_text=chat_bar_text,
        image=checked.content,
        image_type=checked.content_type,
        width=checked.width,
        height=checked.height,
        areas=areas,
        alias_id=f"menu-{uuid.uuid4().hex[:24]}",
        status=status,
        created_by=created_by,
    )


def richmenu_create(*, ctx: AuditContext, name: str, chat_bar_text: str, image: bytes, areas: object) -> RichMenu:
    """A draft from an uploaded image (checked and re-encoded) and its tap areas."""
    actor = staff_of(ctx)
    problems = validation.text_rules(name=name, chat_bar_text=chat_bar_text)
    checked = validation.image_check(image)
    if problems:
        raise DomainError(" ".join(problems), code="invalid_input", messages=problems)
    clean = validation.areas_clean(areas, width=checked.width, height=checked.height, menus_by_pk=_switch_targets())
    menu = richmenu_new(name=name.strip(), chat_bar_text=chat_bar_text.strip(), checked=checked, areas=clean, created_by=actor)
    audit_record(action=audit.CREATED, ctx=ctx, target=menu, detail={"areas": len(clean)})
    return menu


def richmenu_update(
    menu: RichMenu, *, ctx: AuditContext, name: str, chat_bar_text: str, areas: object, image: bytes | None = None
) -> RichMenu:
    """Edit a draft (a menu on LINE cannot change: LINE's menus are immutable)."""
    from .workflow import WORKFLOW

    staff_of(ctx)
    with transaction.atomic():
        menu = RichMenu.objects.select_for_update().get(pk=menu.pk)
        WORKFLOW.require("edit", menu)
        problems = validation.text_rules(name=name, chat_bar_text=chat_bar_text)
        if problems:
            raise DomainError(" ".join(problems), code="invalid_input", messages=problems)
        if image:
            checked = validation.image_check(image)
            menu.image, menu.image_type = checked.content, checked.content_type
            menu.width, menu.height = checked.width, checked.height
        menu.areas = validation.areas_clean(areas, width=menu.width, height=menu.height, menus_by_pk=_switch_targets(menu.pk))
        menu.name, menu.chat_bar_text = name.strip(), chat_bar_text.strip()
        menu.save()
        audit_record(action=audit.EDITED, ctx=ctx, target=menu, detail={"areas": len(menu.areas), "image": bool(image)})
    return menu


def _line_object(menu: RichMenu) -> dict[str, Any]:
    targets = [a["menu"] for a in menu.areas if a.get("kind") == "switch"]
    aliases = dict(
        RichMenu.objects.filter(pk__in=targets).exclude(line_id="").exclude(status=S.DELETED).values_list("pk", "alias_id")
    )
    return validation.line_object(
        name=menu.name, chat_bar_text=menu.chat_bar_text, width=menu.width, height=menu.height, areas=menu.areas, aliases=aliases
    )


def richmenu_register(menu: RichMenu, *, ctx: AuditContext) -> RichMenu:
    """下書き → LINEに登録済: LINE validates the object, creates the menu, takes the image,
    and the menu's alias is created (so other menus' tab areas can switch to it)."""
    from .workflow import WORKFLOW

    staff_of(ctx)
    WORKFLOW.require("register", menu)
    obj = _line_object(menu)
    try:
        line.validate(menu=obj)
        line_id = line.create(menu=obj)
    except LineError as exc:
        raise _line_refused(exc) from None
    try:
        line.upload_image(rich_menu_id=line_id, content=bytes(menu.image), content_type=menu.image_type)
        line.alias_create(alias_id=menu.alias_id, rich_menu_id=line_id)
    except LineError as exc:
        try:  # do not leave a half-made menu on LINE
            line.delete(rich_menu_id=line_id)
        except LineError:
            pass
        raise _line_refused(exc) from None
    with transaction.atomic():
        updated = RichMenu.objects.filter(pk=menu.pk, status=S.DRAFT).update(
            status=S.REGISTERED, line_id=line_id, registered_at=timezone.now()
        )
        if not updated:
            raise Conflict(_("このメニューは他の職員が先に登録しました。"), code="invalid_state")
        menu.refresh_from_db()
        audit_record(action=audit.REGISTERED, ctx=ctx, target=menu, detail={"areas": len(menu.areas)})
    return menu


def _mark(
    menu: RichMenu,
    ctx: AuditContext,
    action: str,
    status: str,
    audit_action: str,
    refused_in_disaster_mode: str,
    *,
    only_one: bool = True,
    on_line: Callable[[], None] | None = None,
) -> RichMenu:
    """The table's ``action``, not while 災害時モード is on: the menu becomes ``status``
    (with ``only_one``, the menu that was it goes back to LINEに登録済), once ``on_line``
    (LINE's side of it) has worked."""
    from .workflow import WORKFLOW

    staff_of(ctx)
    WORKFLOW.require(action, menu)
    if disaster_mode() is not None:
        raise Conflict(refused_in_disaster_mode, code="disaster_mode")
    if on_line is not None:
        try:
            on_line()
        except LineError as exc:
            raise _line_refused(exc) from None
    with transaction.atomic():
        if only_one:
            RichMenu.objects.filter(status=status).exclude(pk=menu.pk).update(status=S.REGISTERED)
        RichMenu.objects.filter(pk=menu.pk).update(status=status)
        menu.refresh_from_db()
        audit_record(action=audit_action, ctx=ctx, target=menu)
    return menu


def richmenu_set_default(menu: RichMenu, *, ctx: AuditContext) -> RichMenu:
    """LINEに登録済 → 既定: every resident without a menu of their own sees it (the previous
    default goes back to LINEに登録済). Not while 災害時モード is on."""
    refused = _("災害時モードの間は既定のメニューを変えられません。通常モードに戻してから設定してください。")
    on_line = functools.partial(line.set_default, rich_menu_id=menu.line_id)
    return _mark(menu, ctx, "set_default", S.DEFAULT, audit.DEFAULT_SET, refused, on_line=on_line)


def richmenu_mark_disaster(menu: RichMenu, *, ctx: AuditContext) -> RichMenu:
    """LINEに登録済 → 災害時用: the menu 災害時モード shows everyone."""
    refused = _("災害時モードの間は災害時用のメニューを変えられません。")
    return _mark(menu, ctx, "mark_disaster", S.DISASTER, audit.DISASTER_SET, refused)


def richmenu_unmark_disaster(menu: RichMenu, *, ctx: AuditContext) -> RichMenu:
    """災害時用 → LINEに登録済."""
    refused = _("災害時モードの間は災害時用のメニューを変えられません。")
    return _mark(menu, ctx, "unmark_disaster", S.REGISTERED, audit.DISASTER_UNSET, refused, only_one=False)


def richmenu_delete(menu: RichMenu, *, ctx: AuditContext) -> RichMenu:
    """下書き / LINEに登録済 → 削除済 (removed from LINE; residents linked to it see the default)."""
    from .workflow import WORKFLOW

    staff_of(ctx)
    WORKFLOW.require("delete", menu)
    if menu.segment_links.filter(active=True).exists():
        raise Conflict(_("セグメントに表示中のメニューは削除できません。先にセグメントの表示を解除してください。"), code="in_use")
    if menu.line_id:
        try:
            line.alias_delete(alias_id=menu.alias_id)
        except LineRejected:
            pass  # no alias (already gone)
        except LineError as exc:
            raise _line_refused(exc) from None
        try:
            line.delete(rich_menu_id=menu.line_id)
        except LineRejected as exc:
            if exc.status != 404:
                raise _line_refused(exc) from None
        except LineError as exc:
            raise _line_refused(exc) from None
    with transaction.atomic():
        RichMenu.objects.filter(pk=menu.pk).update(status=S.DELETED)
        ResidentMenu.objects.filter(menu=menu).delete()
        menu.refresh_from_db()
        audit_record(action=audit.DELETED, ctx=ctx, target=menu)
    return menu


# -- segments and bulk jobs ---------------------------------------------------------------------
def _batches(job: LinkJob, resident_ids: Iterable[int], *, menu: RichMenu | None) -> int:
    rows, seq, current = [], 0, []
    for pk in resident_ids:
        current.append(pk)
        if len(current) == line.BULK_MAX:
            rows.append(LinkBatch(job=job, seq=seq, menu=menu, resident_ids=current))
            seq, current = seq + 1, []
    if current:
        rows.append(LinkBatch(job=job, seq=seq, menu=menu, resident_ids=current))
    LinkBatch.objects.bulk_create(rows, batch_size=200)
    finished = {} if rows else {"status": LinkJob.Status.DONE, "finished_at": timezone.now()}
    LinkJob.objects.filter(pk=job.pk).update(batches_total=len(rows), **finished)
    job.refresh_from_db()
    return len(rows)


def _segment_residents(link: SegmentLink) -> Iterable[int]:
    qs = residents.in_segment(area_ids=link.area_ids, age_bands=link.age_bands).order_by("pk")
    return qs.values_list("pk", flat=True).iterator(chunk_size=5000)


def _enqueue(job: LinkJob) -> None:
    from .tasks import run_link_job

    if job.status == LinkJob.Status.RUNNING:
        transaction.on_commit(lambda: run_link_job.delay(job.pk))


def segment_link_create(
    menu: RichMenu, *, ctx: AuditContext, area_ids: list[int] | None = None, age_bands: list[str] | None = None
) -> SegmentLink:
    """Show ``menu`` to the residents of a segment (areas × age bands): bulk links of ≤ 500
    residents each, stored before the first request and sent by a Celery task."""
    from .workflow import WORKFLOW

    actor = staff_of(ctx)
    WORKFLOW.require("link_segment", menu)
    area_ids, age_bands = list(area_ids or []), list(age_bands or [])
    if not area_ids and not age_bands:
        raise DomainError(
            _("地域か年代を選んでください（全員に見せるメニューは「既定にする」で設定します）。"), code="segment_empty"
        )
    if disaster_mode() is not None:
        raise Conflict(_("災害時モードの間はセグメント別のメニューを設定できません。"), code="disaster_mode")
    with transaction.atomic():
        link = SegmentLink.objects.create(menu=menu, area_ids=area_ids, age_bands=age_bands, created_by=actor)
        job = LinkJob.objects.create(kind=LinkJob.Kind.LINK, segment_link=link)
        batches = _batches(job, _segment_residents(link), menu=menu)
        detail = {"segment_link": link.pk, "area_ids": area_ids, "age_bands": age_bands, "requests": batches}
        audit_record(action=audit.SEGMENT_LINKED, ctx=ctx, target=menu, detail=detail)
        _enqueue(job)
    return link


def segment_link_remove(link: SegmentLink, *, ctx: AuditContext) -> SegmentLink:
    """Stop showing the segment's menu: its residents see the default again."""
    staff_of(ctx)
    if not link.active:
        raise Conflict(_("このセグメントの表示はすでに解除されています。"), code="invalid_state")
    if disaster_mode() is not None:
        raise Conflict(_("災害時モードの間はセグメント別のメニューを変えられません。"), code="disaster_mode")
    with transaction.atomic():
        SegmentLink.objects.filter(pk=link.pk).update(active=False)
        job = LinkJob.objects.create(kind=LinkJob.Kind.UNLINK, segment_link=link)
        ids = ResidentMenu.objects.filter(menu_id=link.menu_id).order_by("pk").values_list("pk", flat=True)
        _batches(job, ids.iterator(chunk_size=5000), menu=None)
        audit_record(action=audit.SEGMENT_UNLINKED, ctx=ctx, target=link.menu, detail={"segment_link": link.pk})
        _enqueue(job)
    link.refresh_from_db()
    return link


# -- 災害時モード -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Estimate:
    requests: int  # bulk requests LINE needs
    seconds: int
    text: str  # 「約3分で全員の表示が切り替わります」


def _words(seconds: float) -> str:
    if seconds <= 75:  # LINE's own minute and a few requests
        return _("1分ほどで全員の表示が切り替わります")
    minutes = math.ceil(seconds / 60)
    if minutes < 120:
        return _("約%(n)s分で全員の表示が切り替わります") % {"n": minutes}
    hours, rest = divmod(minutes, 60)
    return _("約%(h)s時間%(m)s分で全員の表示が切り替わります") % {"h": hours, "m": rest}


def estimate(*, requests: int, bucket: str) -> Estimate:
    """How long LINE will take: the bulk requests at the bucket's rate (under LINE's limit),
    plus the minute LINE takes to show a changed menu."""
    seconds = line.seconds_for(bucket=bucket, requests=requests) + DISPLAY_LAG_SECONDS
    return Estimate(requests=requests, seconds=int(math.ceil(seconds)), text=_words(seconds))


def disaster_estimate(*, direction: str) -> Estimate:
    """Before the operator confirms: per-user links to remove (on), or to make again (off)."""
    if direction == DisasterSwitch.Direction.ON:
        requests = line.bulk_requests(ResidentMenu.objects.count())
        return estimate(requests=requests, bucket=line.BUCKET_BULK_UNLINK)
    requests = 0
    for link in SegmentLink.objects.filter(active=True, menu__status__in=[S.REGISTERED, S.DEFAULT]):
        requests += line.bulk_requests(residents.in_segment(area_ids=link.area_ids, age_bands=link.age_bands).count())
    return estimate(requests=requests, bucket=line.BUCKET_BULK_LINK)


def disaster_mode_on(*, ctx: AuditContext) -> DisasterSwitch:
    """Every resident sees the disaster menu: it becomes LINE's default at once, and every
    per-user link (segment menus) is removed by bulk unlink, 500 residents a request."""
    actor = staff_of(ctx)
    menu = RichMenu.objects.filter(status=S.DISASTER).first()
    if menu is None:
        raise Conflict(
            _("災害時用のメニューがありません。メニューを登録し「災害時用にする」を押してください。"), code="no_disaster_menu"
        )
    if disaster_mode() is not None:
        raise Conflict(_("すでに災害時モードです。"), code="disaster_mode")
    plan = disaster_estimate(direction=DisasterSwitch.Direction.ON)
    try:
        line.set_default(rich_menu_id=menu.line_id)
    except LineError as exc:
        raise _line_refused(exc) from None
    with transaction.atomic():
        switch = DisasterSwitch.objects.create(direction=DisasterSwitch.Direction.ON, menu=menu, started_by=actor,
                                               estimate_seconds=plan.seconds)  # fmt: skip
        job = LinkJob.objects.create(kind=LinkJob.Kind.UNLINK, switch=switch)
        ids = ResidentMenu.objects.order_by("pk").values_list("pk", flat=True)
        _batches(job, ids.iterator(chunk_size=5000), menu=None)
        audit_record(action=audit.DISASTER_ON, ctx=ctx, target=switch,
                     detail={"menu": menu.pk, "requests": job.batches_total, "estimate_seconds": plan.seconds})  # fmt: skip
        _enqueue(job)
        _switch_finish_if_done(switch)
    return switch


def disaster_mode_off(*, ctx: AuditContext) -> DisasterSwitch:
    """通常モードに戻す: the normal default again, and each segment's residents linked to its
    menu again (the segments as they are now), 500 residents a request."""
    actor = staff_of(ctx)
    if disaster_mode() is None:
        raise Conflict(_("災害時モードではありません。"), code="not_disaster_mode")
    normal = RichMenu.objects.filter(status=S.DEFAULT).first()
    plan = disaster_estimate(direction=DisasterSwitch.Direction.OFF)
    try:
        if normal is not None:
            line.set_default(rich_menu_id=normal.line_id)
        else:
            line.cancel_default()
    except LineError as exc:
        raise _line_refused(exc) from None
    with transaction.atomic():
        shown = normal or RichMenu.objects.filter(status=S.DISASTER).first()
        assert shown is not None  # 災害時モード is on: its menu cannot have lost 災害時用 meanwhile
        switch = DisasterSwitch.objects.create(direction=DisasterSwitch.Direction.OFF, menu=shown, started_by=actor,
                                               estimate_seconds=plan.seconds)  # fmt: skip
        links = SegmentLink.objects.filter(active=True, menu__status__in=[S.REGISTERED, S.DEFAULT]).select_related("menu")
        total = 0
        for link in links:
            job = LinkJob.objects.create(kind=LinkJob.Kind.LINK, segment_link=link, switch=switch)
            total += _batches(job, _segment_residents(link), menu=link.menu)
            _enqueue(job)
        detail = {"menu": normal.pk if normal else None, "requests": total, "estimate_seconds": plan.seconds}
        audit_record(action=audit.DISASTER_OFF, ctx=ctx, target=switch, detail=detail)
        _switch_finish_if_done(switch)
    return switch


def _switch_finish_if_done(switch: DisasterSwitch | None) -> None:
    if switch is None or switch.status != DisasterSwitch.Status.RUNNING:
        return
    jobs = LinkJob.objects.filter(switch=switch)
    if jobs.filter(status=LinkJob.Status.RUNNING).exists():
        return
    failed = jobs.filter(status=LinkJob.Status.FAILED).exists()
    status = DisasterSwitch.Status.FAILED if failed else DisasterSwitch.Status.DONE
    running = DisasterSwitch.objects.filter(pk=switch.pk, status=DisasterSwitch.Status.RUNNING)
    if running.update(status=status, finished_at=timezone.now()):
        audit_record(action=audit.SWITCH_DONE, ctx=AuditContext.system(), target=switch,
                     detail={"direction": switch.direction, "status": status})  # fmt: skip


# -- the job runner (the Celery task's service) ---------------------------------------------------
@dataclass(frozen=True)
class JobStep:
    status: str  # "done" (no batch left) | "retry" | "held" (another worker holds a batch)
    retry_in: float | None = None


MAX_ATTEMPTS = 8


def _claim(job: LinkJob) -> LinkBatch | None:
    now = timezone.now()
    with transaction.atomic():
        candidate = (
            LinkBatch.objects.filter(job=job, status=LinkBatch.Status.PENDING)
            .exclude(locked_until__gt=now)
            .order_by("seq")
            .values_list("pk", flat=True)
            .first()
        )
        if candidate is None:
            return None
        claimed = (
            LinkBatch.objects.filter(pk=candidate, status=LinkBatch.Status.PENDING)
            .exclude(locked_until__gt=now)
            .update(locked_until=now + LEASE)
        )
        if not claimed:
            return None
    return LinkBatch.objects.select_related("menu").get(pk=candidate)


def _send(batch: LinkBatch) -> None:
    from portal.line.models import Resident

    ids = list(Resident.objects.filter(pk__in=batch.resident_ids).values_list("line_user_id", flat=True))
    if not ids:
        return
    if batch.menu_id:
        assert batch.menu is not None
        line.bulk_link(user_ids=ids, rich_menu_id=batch.menu.line_id)
    else:
        line.bulk_unlink(user_ids=ids)


def _mark_done(batch: LinkBatch) -> None:
    with transaction.atomic():
        if not LinkBatch.objects.filter(pk=batch.pk, status=LinkBatch.Status.PENDING).update(
            status=LinkBatch.Status.DONE, resident_ids=[], locked_until=None, sent_at=timezone.now()
        ):
            return
        if batch.menu_id:
            existing = set(ResidentMenu.objects.filter(pk__in=batch.resident_ids).values_list("pk", flat=True))
            ResidentMenu.objects.filter(pk__in=existing).update(menu_id=batch.menu_id)
            ResidentMenu.objects.bulk_create(
                [ResidentMenu(resident_id=pk, menu_id=batch.menu_id) for pk in batch.resident_ids if pk not in existing],
                batch_size=500,
                ignore_conflicts=True,
            )
        else:
            ResidentMenu.objects.filter(pk__in=batch.resident_ids).delete()


def _job_finish_if_done(job: LinkJob) -> bool:
    if LinkBatch.objects.filter(job=job, status=LinkBatch.Status.PENDING).exists():
        return False
    failed = LinkBatch.objects.filter(job=job, status=LinkBatch.Status.FAILED).exists()
    LinkJob.objects.filter(pk=job.pk, status=LinkJob.Status.RUNNING).update(
        status=LinkJob.Status.FAILED if failed else LinkJob.Status.DONE, finished_at=timezone.now()
    )
    job.refresh_from_db()
    _switch_finish_if_done(job.switch)
    return True


def link_job_run(*, job_id: int, max_batches: int | None = None) -> JobStep:
    """Send the job's pending batches in order, each once: claimed by lease, marked done in
    the same UPDATE that empties its resident list. A 429 or 5xx leaves the batch pending
    and answers ``retry`` with when to come back; LINE refusing a batch (4xx) marks it failed
    after recording LINE's message."""
    job = LinkJob.objects.select_related("switch").get(pk=job_id)
    sent = 0
    while max_batches is None or sent < max_batches:
        batch = _claim(job)
        if batch is None:
            if _job_finish_if_done(job):
                return JobStep("done")
            return JobStep("held", retry_in=LEASE.total_seconds())
        try:
            _send(batch)
        except LineRateLimited as exc:
            LinkBatch.objects.filter(pk=batch.pk).update(locked_until=None, attempts=batch.attempts + 1)
            return JobStep("retry", retry_in=max(0.5, exc.retry_after or 1.0))
        except LineTemporaryError:
            attempts = batch.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                LinkBatch.objects.filter(pk=batch.pk).update(status=LinkBatch.Status.FAILED, attempts=attempts,
                                                             error="LINE unavailable", resident_ids=[])  # fmt: skip
                continue
            LinkBatch.objects.filter(pk=batch.pk).update(locked_until=None, attempts=attempts)
            return JobStep("retry", retry_in=min(60.0, 2.0**attempts))
        except LineRejected as exc:
            LinkBatch.objects.filter(pk=batch.pk).update(status=LinkBatch.Status.FAILED, attempts=batch.attempts + 1,
                                                         error=f"{exc.status} {exc.message}"[:300], resident_ids=[])  # fmt: skip
            continue
        _mark_done(batch)
        sent += 1
    return JobStep("retry", retry_in=0.0)


def link_jobs_resume() -> int:
    """Re-enqueue every running job with a batch nobody holds (a killed worker, a lost
    task): the beat job that makes the bulk jobs resumable."""
    from .tasks import run_link_job

    now = timezone.now()
    ids = list(
        LinkJob.objects.filter(status=LinkJob.Status.RUNNING, batches__status=LinkBatch.Status.PENDING)
        .exclude(batches__locked_until__gt=now)
        .values_list("pk", flat=True)
        .distinct()
    )
    for pk in ids:
        run_link_job.delay(pk)
    return len(ids)


def resident_menus_purge(cutoff: dt.datetime) -> int:
    """Retention: residents no longer friends (blocked) keep no menu record, and no mark of a
    menu still to put right."""
    from portal.line.models import Resident

    deleted = 0
    for model in (ResidentMenu, PendingFollow):
        gone = model.objects.exclude(resident__status=Resident.Status.ACTIVE).filter(
            Q(resident__blocked_at__isnull=True) | Q(resident__blocked_at__lte=cutoff)
        )
        deleted += gone.delete()[0]
    return deleted


def richmenus_sync_line() -> int:
    """Menus the portal shows as on LINE that LINE does not have (the demo's, set up before
    the emulator starts; one deleted outside the portal; an emulator restarted) are put on
    LINE again, and LINE's default set to the one the portal expects. The beat job."""
    try:
        on_line = {m["richMenuId"] for m in line.menus()}
    except LineError:
        return 0
    fixed = 0
    menus = RichMenu.objects.filter(status__in=[S.REGISTERED, S.DEFAULT, S.DISASTER]).order_by("id")
    # Menus whose tab areas switch to another come after the others (their aliases first).
    for menu in sorted(menus, key=lambda m: any(a.get("kind") == "switch" for a in m.areas)):
        if menu.line_id and menu.line_id in on_line:
            continue
        try:
            line_id = line.create(menu=_line_object(menu))
            line.upload_image(rich_menu_id=line_id, content=bytes(menu.image), content_type=menu.image_type)
            try:
                line.alias_create(alias_id=menu.alias_id, rich_menu_id=line_id)
            except LineRejected:
                line.alias_update(alias_id=menu.alias_id, rich_menu_id=line_id)
        except LineError:
            continue
        RichMenu.objects.filter(pk=menu.pk).update(line_id=line_id, registered_at=timezone.now())
        fixed += 1
    expected = RichMenu.objects.filter(status=S.DISASTER if disaster_mode() else S.DEFAULT).exclude(line_id="").first()
    try:
        if expected is not None and line.default_id() != expected.line_id:
            line.set_default(rich_menu_id=expected.line_id)
    except LineError:
        pass
    return fixed
