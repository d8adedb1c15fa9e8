"""Reads for bulky-garbage bookings: the booking window, bookable dates, capacity, queues."""

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.line.models import Resident

from .models import WEEKDAY_LABELS, Booking, BookingLink, BulkySettings, Closure, CollectionArea, CollectionDay, Item


def today() -> dt.date:
    return timezone.localdate()


def format_date(date: dt.date) -> str:
    """「2026年12月1日(火)」"""
    return _("%(y)d年%(m)d月%(d)d日(%(w)s)") % {
        "y": date.year,
        "m": date.month,
        "d": date.day,
        "w": WEEKDAY_LABELS[date.weekday()],
    }


def booking_window(*, settings: BulkySettings | None = None, on: dt.date | None = None) -> tuple[dt.date, dt.date]:
    settings = settings or BulkySettings.load()
    base = on or today()
    return base + dt.timedelta(days=settings.earliest_days_ahead), base + dt.timedelta(days=settings.latest_days_ahead)


def _calendar_closures(*, start: dt.date, end: dt.date, settings: BulkySettings) -> dict[dt.date, str]:
    """Dates in [start, end] closed everywhere by the calendar: 元日 always, national
    holidays (jpholiday) and 年末年始 unless the city turned them off. Date → reason."""
    import jpholiday

    reasons: dict[dt.date, str] = {}
    if settings.close_national_holidays and start <= end:
        for date, name in jpholiday.between(start, end):
            reasons[date] = _("祝日（%(name)s）") % {"name": name}
    for year in range(start.year - 1, end.year + 1):
        new_year = dt.date(year + 1, 1, 1)
        if settings.close_year_end:
            first = dt.date(year, 12, min(settings.year_end_from_day, 31))
            last = dt.date(year + 1, 1, min(settings.year_end_to_day, 31))
            day = max(first, start)
            while day <= min(last, end):
                reasons.setdefault(day, _("年末年始"))
                day += dt.timedelta(days=1)
        if start <= new_year <= end:
            reasons[new_year] = _("元日")
    return reasons


def closure_reasons(
    *, area_ids: Iterable[int], start: dt.date, end: dt.date, settings: BulkySettings | None = None
) -> dict[int, dict[dt.date, str]]:
    """For each area: its closed dates in [start, end] and why (holidays, 年末年始, and the
    closures staff entered for all areas or that area), in a constant number of queries."""
    settings = settings or BulkySettings.load()
    ids = list(area_ids)
    calendar = _calendar_closures(start=start, end=end, settings=settings)
    result = {area_id: dict(calendar) for area_id in ids}
    rows = (
        Closure.objects.filter(date__range=(start, end))
        .filter(Q(area__isnull=True) | Q(area_id__in=ids))
        .values_list("area_id", "date", "reason")
    )
    for area_id, date, reason in rows:
        for target in ids if area_id is None else [area_id]:
            if target in result:
                result[target].setdefault(date, reason)
    return result


def closed_dates(*, area: CollectionArea, start: dt.date, end: dt.date, settings: BulkySettings | None = None) -> set[dt.date]:
    return set(closure_reasons(area_ids=[area.pk], start=start, end=end, settings=settings)[area.pk])


def date_problem(*, area: CollectionArea, date: dt.date, settings: BulkySettings | None = None) -> str | None:
    """Why ``date`` cannot be booked in ``area`` (a Japanese message), or None."""
    settings = settings or BulkySettings.load()
    first, last = booking_window(settings=settings)
    if not area.is_active:
        return _("この地域は現在、粗大ごみの受付をしていません。")
    if date < first or date > last:
        return _("収集日は%(first)sから%(last)sまでの間で選んでください。") % {
            "first": format_date(first),
            "last": format_date(last),
        }
    if date.weekday() not in area.weekday_numbers:
        return _("%(date)sはこの地域の収集日ではありません。") % {"date": format_date(date)}
    reason = closure_reasons(area_ids=[area.pk], start=date, end=date, settings=settings)[area.pk].get(date)
    if reason:
        return _("%(date)sは休止日（%(reason)s）のため収集できません。") % {"date": format_date(date), "reason": reason}
    return None


def collection_dates(*, area: CollectionArea, start: dt.date, end: dt.date) -> list[dt.date]:
    """The area's collection dates in [start, end], closures excluded."""
    weekdays = set(area.weekday_numbers)
    closed = closed_dates(area=area, start=start, end=end)
    days = []
    current = start
    while current <= end:
        if current.weekday() in weekdays and current not in closed:
            days.append(current)
        current += dt.timedelta(days=1)
    return days


def available_dates(
    *, area: CollectionArea, points: int = 1, limit: int | None = None, exclude: Iterable[dt.date] = ()
) -> list[tuple[dt.date, int]]:
    """Bookable dates in the window with at least ``points`` free, and the free points."""
    if not area.is_active:
        return []
    first, last = booking_window()
    rows = CollectionDay.objects.filter(area=area, date__range=(first, last)).values_list(
        "date", "capacity_points", "used_points"
    )
    stored = {date: (capacity, used) for date, capacity, used in rows}
    excluded = set(exclude)
    result = []
    for date in collection_dates(area=area, start=first, end=last):
        if date in excluded:
            continue
        capacity, used = stored.get(date, (area.capacity_points, 0))
        remaining = capacity - used
        if remaining >= points:
            result.append((date, remaining))
            if limit and len(result) >= limit:
                break
    return result


def available_dates_for_areas(
    *, areas: list[CollectionArea], points: int = 1, settings: BulkySettings | None = None
) -> dict[int, list[tuple[dt.date, int]]]:
    """``available_dates`` for several areas in a constant number of queries (the booking page)."""
    settings = settings or BulkySettings.load()
    first, last = booking_window(settings=settings)
    ids = [area.pk for area in areas]
    stored = {
        (area_id, date): (capacity, used)
        for area_id, date, capacity, used in CollectionDay.objects.filter(area_id__in=ids, date__range=(first, last)).values_list(
            "area_id", "date", "capacity_points", "used_points"
        )
    }
    closures = closure_reasons(area_ids=ids, start=first, end=last, settings=settings)
    result: dict[int, list[tuple[dt.date, int]]] = {}
    for area in areas:
        closed = closures[area.pk]
        weekdays = set(area.weekday_numbers)
        dates = []
        current = first
        while area.is_active and current <= last:
            if current.weekday() in weekdays and current not in closed:
                capacity, used = stored.get((area.pk, current), (area.capacity_points, 0))
                if capacity - used >= points:
                    dates.append((current, capacity - used))
            current += dt.timedelta(days=1)
        result[area.pk] = dates
    return result


def capacity_calendar(*, start: dt.date, days: int) -> tuple[list[dt.date], list[dict[str, Any]]]:
    """Rows per area: for each date, None (no collection), a closure (why) or used /
    capacity points. A day that still has bookings is shown even if it has since been closed."""
    end = start + dt.timedelta(days=days - 1)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    stored = {(d.area_id, d.date): d for d in CollectionDay.objects.filter(date__range=(start, end))}
    areas = list(CollectionArea.objects.select_related("area"))
    closures = closure_reasons(area_ids=[a.pk for a in areas], start=start, end=end)
    rows = []
    for area in areas:
        closed = closures[area.pk]
        weekdays = set(area.weekday_numbers)
        cells = []
        for date in dates:
            day = stored.get((area.pk, date))
            reason = closed.get(date)
            collecting = date.weekday() in weekdays and reason is None
            if not collecting and not (day and day.used_points):
                # A closed weekday of the area says why; other days stay empty.
                cells.append(
                    {"date": date, "closed_only": True, "reason": reason} if reason and date.weekday() in weekdays else None
                )
                continue
            used = day.used_points if day else 0
            capacity = day.capacity_points if day else area.capacity_points
            cells.append(
                {
                    "date": date,
                    "used": used,
                    "capacity": capacity,
                    "full": used >= capacity,
                    "closed": not collecting,
                    "reason": reason,
                }
            )
        rows.append({"area": area, "cells": cells})
    return dates, rows


def calendar_closures(*, start: dt.date, end: dt.date, settings: BulkySettings | None = None) -> list[tuple[dt.date, str]]:
    """The closures every area shares by the calendar (holidays, 年末年始), for the set-up page."""
    settings = settings or BulkySettings.load()
    return sorted(_calendar_closures(start=start, end=end, settings=settings).items())


def catalogue(*, accepted: bool | None = None) -> QuerySet[Item]:
    items = Item.objects.filter(is_active=True)
    if accepted is not None:
        items = items.filter(accepted=accepted)
    return items


def booking_queue(*, date: dt.date | None = None, area_id: int | None = None, status: str | None = None) -> QuerySet[Booking]:
    bookings = Booking.objects.select_related("area__area").prefetch_related("lines__item")
    if date:
        bookings = bookings.filter(collection_date=date)
    if area_id:
        bookings = bookings.filter(area_id=area_id)
    if status:
        bookings = bookings.filter(status=status)
    return bookings.order_by("collection_date", "area__area__order", "id")


def route_list(*, area: CollectionArea, date: dt.date) -> QuerySet[Booking]:
    """What a crew collects: active bookings of the area on that date."""
    return (
        Booking.objects.filter(area=area, collection_date=date, status__in=Booking.ACTIVE_STATUSES)
        .prefetch_related("lines__item")
        .order_by("address", "id")
    )


def resident_bookings(*, resident: Resident) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(resident=resident)
        .select_related("area__area")
        .prefetch_related("lines__item")
        .order_by("-collection_date", "-id")
    )


_WARD_RE = re.compile(r"^.{0,8}[区市町村郡]")
_HOUSE_NUMBER_RE = re.compile(r"[0-9０-９][0-9０-９\-－―ー‐の丁目番地号]*$")


def mask_address(address: str) -> str:
    """An address with its middle hidden, for residents' pages: the ward and the house
    number stay (「博多区…1-2-3」), the town, building and name do not."""
    text = (address or "").strip()
    if not text:
        return ""
    ward = _WARD_RE.match(text)
    head = ward.group(0) if ward else text[:3]
    rest = text[len(head) :]
    number = _HOUSE_NUMBER_RE.search(rest)
    tail = number.group(0)[-8:] if number else ""
    if len(head) + len(tail) >= len(text) - 1:  # too short to hide anything: show less
        tail = ""
    return f"{head}…{tail}"


def mask_phone(phone: str) -> str:
    """「末尾 4567」: only the last four digits."""
    digits = "".join(c for c in phone or "" if c.isdigit())
    return _("末尾 %(digits)s") % {"digits": digits[-4:]} if digits else ""


def resident_previous_booking(*, resident: Resident) -> Booking | None:
    return Booking.objects.filter(resident=resident, personal_data_purged_at__isnull=True).order_by("-created_at", "-id").first()


def cancel_deadline(*, booking: Booking, settings: BulkySettings | None = None) -> dt.date:
    """The last day (inclusive) on which the resident may cancel."""
    settings = settings or BulkySettings.load()
    return booking.collection_date - dt.timedelta(days=settings.cancel_deadline_days)


def resident_can_cancel(*, booking: Booking, settings: BulkySettings | None = None) -> bool:
    return booking.is_active and today() <= cancel_deadline(booking=booking, settings=settings)


def bookings_due_for_reminder(*, on: dt.date) -> QuerySet[Booking]:
    return Booking.objects.filter(collection_date=on, status__in=Booking.ACTIVE_STATUSES).select_related("resident")


def live_link_count(*, resident: Resident) -> int:
    return BookingLink.objects.filter(resident=resident, used_at__isnull=True, expires_at__gt=timezone.now()).count()
