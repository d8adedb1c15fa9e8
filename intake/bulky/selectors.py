"""Reads for bulky-garbage bookings: the booking window, bookable dates, capacity, queues."""

import datetime as dt
from collections.abc import Iterable

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


def closed_dates(*, area: CollectionArea, start: dt.date, end: dt.date) -> set[dt.date]:
    return set(
        Closure.objects.filter(date__range=(start, end))
        .filter(Q(area__isnull=True) | Q(area=area))
        .values_list("date", flat=True)
    )


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
    if date in closed_dates(area=area, start=date, end=date):
        return _("%(date)sは休止日のため収集できません。") % {"date": format_date(date)}
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
    first, last = booking_window(settings=settings)
    ids = [area.pk for area in areas]
    stored = {
        (area_id, date): (capacity, used)
        for area_id, date, capacity, used in CollectionDay.objects.filter(area_id__in=ids, date__range=(first, last)).values_list(
            "area_id", "date", "capacity_points", "used_points"
        )
    }
    closures = list(
        Closure.objects.filter(date__range=(first, last))
        .filter(Q(area__isnull=True) | Q(area_id__in=ids))
        .values_list("area_id", "date")
    )
    result: dict[int, list[tuple[dt.date, int]]] = {}
    for area in areas:
        closed = {date for area_id, date in closures if area_id in (None, area.pk)}
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


def capacity_calendar(*, start: dt.date, days: int) -> tuple[list[dt.date], list[dict]]:
    """Rows per area: for each date, None (no collection) or used / capacity points. A day
    that still has bookings is shown even if it has since been closed."""
    end = start + dt.timedelta(days=days - 1)
    dates = [start + dt.timedelta(days=i) for i in range(days)]
    stored = {(d.area_id, d.date): d for d in CollectionDay.objects.filter(date__range=(start, end))}
    closures = list(Closure.objects.filter(date__range=(start, end)).values_list("area_id", "date"))
    rows = []
    for area in CollectionArea.objects.select_related("area"):
        closed = {date for area_id, date in closures if area_id in (None, area.pk)}
        weekdays = set(area.weekday_numbers)
        cells = []
        for date in dates:
            day = stored.get((area.pk, date))
            collecting = date.weekday() in weekdays and date not in closed
            if not collecting and not (day and day.used_points):
                cells.append(None)
                continue
            used = day.used_points if day else 0
            capacity = day.capacity_points if day else area.capacity_points
            cells.append({"date": date, "used": used, "capacity": capacity, "full": used >= capacity, "closed": not collecting})
        rows.append({"area": area, "cells": cells})
    return dates, rows


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
