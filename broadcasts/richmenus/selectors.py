"""Rich-menu selectors (reads): the list, a menu's segments, 災害時モード and its progress."""

from __future__ import annotations

import math
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from portal.line import richmenus as line
from portal.line.models import AgeBand, Area

from .models import DisasterSwitch, LinkBatch, LinkJob, RichMenu, SegmentLink


def disaster_mode() -> DisasterSwitch | None:
    """The switch that turned 災害時モード on, while it is on (else None)."""
    latest = DisasterSwitch.objects.order_by("-id").first()
    return latest if latest is not None and latest.direction == DisasterSwitch.Direction.ON else None


def latest_switch() -> DisasterSwitch | None:
    return DisasterSwitch.objects.select_related("menu", "started_by").order_by("-id").first()


def menu_list() -> QuerySet[RichMenu]:
    """Menus (not deleted) with their creator and their active segments counted, one query."""
    return (
        RichMenu.objects.exclude(status=RichMenu.Status.DELETED)
        .select_related("created_by")
        .defer("image")
        .annotate(segments=Count("segment_links", filter=Q(segment_links__active=True)))
        .order_by("-updated_at", "-id")
    )


def menu_detail(pk: int) -> RichMenu:
    return RichMenu.objects.select_related("created_by").get(pk=pk)


def segment_links(menu: RichMenu) -> list[dict[str, Any]]:
    """The menu's active segments, in staff's words (area and age-band names)."""
    areas = dict(Area.objects.values_list("pk", "name"))
    bands = dict(AgeBand.choices)
    rows = []
    for link in SegmentLink.objects.filter(menu=menu, active=True).order_by("id"):
        words = [str(areas.get(pk, "?")) for pk in link.area_ids] + [str(bands.get(code, code)) for code in link.age_bands]
        rows.append({"link": link, "label": "・".join(words)})
    return rows


def switch_targets(*, exclude: int | None = None) -> list[tuple[int, str]]:
    qs = RichMenu.objects.exclude(status=RichMenu.Status.DELETED).order_by("id")
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.values_list("pk", "name"))


def flow_choices() -> list[tuple[str, str]]:
    """(key, staff's name) of every chat flow a tap area may start."""
    return [(entry.key, str(entry.label)) for entry in line.postbacks()]


def job_progress(jobs: QuerySet[LinkJob]) -> dict[str, Any]:
    """Batches sent of all batches, as a share and the time left at the buckets' rate."""
    totals = jobs.aggregate(total=Sum("batches_total"))
    total = int(totals["total"] or 0)
    pending = LinkBatch.objects.filter(job__in=jobs, status=LinkBatch.Status.PENDING).count()
    done = total - pending
    percent = 100 if total == 0 else math.floor(done * 100 / total)
    seconds = line.seconds_for(bucket=line.BUCKET_BULK_UNLINK, requests=pending) if pending else 0.0
    return {"total": total, "done": done, "percent": percent, "remaining_seconds": int(math.ceil(seconds)),
            "running": jobs.filter(status=LinkJob.Status.RUNNING).exists()}  # fmt: skip


def switch_progress(switch: DisasterSwitch) -> dict[str, Any]:
    return {**job_progress(LinkJob.objects.filter(switch=switch)), "status": switch.status,
            "status_label": switch.get_status_display()}  # fmt: skip
