"""Rich menus that follow a resident: when the LINE layer says a resident's segment may have
changed (年代 or 地域 in 受信設定, 配信停止 / 配信再開, a re-follow), the resident gets the menu
of the segment link that holds them now, or loses their per-user link — one resident, through
LINE's single-user link / unlink endpoints, from a Celery task after the change committed."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from portal.line import residents
from portal.line import richmenus as line
from portal.line.models import Resident

from .models import PendingFollow, ResidentMenu, RichMenu, SegmentLink
from .selectors import disaster_mode

# A resident changing their answers while a pass runs is caught by the next pass; after this
# many, the next change (or a relink) takes over.
MAX_PASSES = 3


def resident_segment_changed(resident_id: int, *, refollowed: bool) -> None:
    """The LINE layer's segment listener (``RichMenusConfig.segment_listeners``), called on
    commit: the resident's menu is put right by the task. The resident is marked pending
    first (``PendingFollow``), so a task the broker loses is queued again by the beat job;
    a re-follow stays a re-follow until a task has run for it."""
    from .tasks import follow_resident

    pending, created = PendingFollow.objects.get_or_create(
        resident_id=resident_id, defaults={"refollowed": refollowed, "since": timezone.now()}
    )
    if not created:
        PendingFollow.objects.filter(pk=resident_id).update(since=timezone.now(), refollowed=pending.refollowed or refollowed)
    follow_resident.delay(resident_id, pending.refollowed or refollowed)


def follow_done(*, resident_id: int, started: dt.datetime) -> None:
    """The task ran to its end for the changes marked up to ``started`` (a later change keeps
    its mark and its own task)."""
    PendingFollow.objects.filter(pk=resident_id, since__lte=started).delete()


# A pending resident older than this has lost their task (the follow task's own retries back
# off to 5 minutes and refresh nothing here, so a slow LINE only queues a harmless extra run).
RESUME_AFTER = dt.timedelta(minutes=10)


def follows_resume() -> int:
    """The beat job: queue the follow task again for residents marked pending longer than
    ``RESUME_AFTER`` (their task was lost: a broker restarted without its queue). Each run
    reads the answers as they are then, so an extra run sends nothing."""
    from .tasks import follow_resident

    now = timezone.now()
    stale = list(PendingFollow.objects.filter(since__lt=now - RESUME_AFTER).values_list("pk", "refollowed"))
    PendingFollow.objects.filter(pk__in=[pk for pk, _r in stale]).update(since=now)
    for pk, refollowed in stale:
        follow_resident.delay(pk, refollowed)
    return len(stale)


def active_links() -> QuerySet[SegmentLink]:
    """Segment links whose menu residents may be linked to (on LINE), newest first."""
    return (
        SegmentLink.objects.filter(active=True, menu__status__in=[RichMenu.Status.REGISTERED, RichMenu.Status.DEFAULT])
        .exclude(menu__line_id="")
        .select_related("menu")
        .order_by("-created_at", "-id")
    )


def segment_link_for(*, resident_id: int) -> SegmentLink | None:
    """The active segment link whose segment holds the resident now, as ``segment_link_create``
    selects its residents (``portal.line.residents.in_segment``: reachable residents of the
    areas × age bands).

    When several match, the most recently created link wins (``created_at``, then id): the
    link staff made last is the one whose bulk link reached an overlapping resident last, and
    通常モードに戻す relinks the segments in creation order, so the newest again lands last."""
    for link in active_links():
        segment = residents.in_segment(area_ids=link.area_ids, age_bands=link.age_bands)
        if segment.filter(pk=resident_id).exists():
            return link
    return None


def _wanted(resident_id: int) -> RichMenu | None:
    """The menu of the resident's own link, None for no link of their own. While 災害時モード is
    on, nobody has one (everyone sees the disaster default; 通常モードに戻す relinks)."""
    if disaster_mode() is not None:
        return None
    link = segment_link_for(resident_id=resident_id)
    return link.menu if link is not None else None


def _pass(resident: Resident, *, resend: bool) -> str | None:
    """One request bringing LINE to what the resident should see, or None when the record
    (``ResidentMenu``: what LINE shows them through a link of their own) already says so.
    ``resend`` (a re-follow): the record is not trusted — retention drops a blocked
    resident's — so the wanted state is sent anyway; an unlink only once any segment link
    was ever made (per-user links come from nothing else)."""
    target = _wanted(resident.pk)
    current = ResidentMenu.objects.filter(pk=resident.pk).values_list("menu_id", flat=True).first()
    if target is None:
        if current is None and not (resend and SegmentLink.objects.exists()):
            return None
        line.unlink_user(user_id=resident.line_user_id)
        ResidentMenu.objects.filter(pk=resident.pk).delete()
        return "unlinked"
    if current == target.pk and not resend:
        return None
    line.link_user(user_id=resident.line_user_id, rich_menu_id=target.line_id)
    ResidentMenu.objects.update_or_create(resident_id=resident.pk, defaults={"menu": target})
    return "linked"


def resident_menu_follow(*, resident_id: int, refollowed: bool = False) -> str:
    """The task's service: link the resident to the menu of their segment (``segment_link_for``),
    unlink them when none holds them and they had a link of their own, or send nothing when
    the record already matches (so running it again is free). The wanted state is read from
    the database at each pass, never carried in the task, so a retry sends the latest
    answers; after a request, the next pass checks again (a change or 災害時モード switched
    on meanwhile). A blocked resident is left alone. Raises ``LineError`` (the task retries);
    the record changes only after LINE accepted the request. Returns ``linked``,
    ``unlinked``, ``unchanged`` or ``not_friend``."""
    resident = Resident.objects.filter(pk=resident_id).only("pk", "line_user_id", "status").first()
    if resident is None or not resident.is_reachable:
        return "not_friend"
    done = "unchanged"
    for index in range(MAX_PASSES):
        step = _pass(resident, resend=refollowed and index == 0)
        if step is None:
            break
        done = step
    return done
