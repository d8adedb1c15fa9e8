"""Staff pages of intake.bulky: review queue, booking detail, capacity calendar, crew route
lists, and the set-up pages (catalogue, areas, closures, settings). The actions on a
booking (approve, reject, …) are the booking table's (workflow.py), wired in urls.py."""

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.roles import Perm
from accounts.services import audit_record
from portal import access
from portal.context import AuditContext
from portal.csv import csv_response
from portal.pages import form_saved

from . import forms, selectors, services
from .audit import AUDIT_BOOKING_VIEWED, AUDIT_ROUTE_EXPORTED, AUDIT_ROUTE_VIEWED
from .models import Booking, BulkySettings, Closure, CollectionArea, Item
from .workflow import WORKFLOW

REVIEW = Perm.REVIEW_BULKY_BOOKINGS
MANAGE = Perm.MANAGE_BULKY_CATALOGUE


# -- review ----------------------------------------------------------------------------------
@never_cache
@access.require(REVIEW)
def queue(request: HttpRequest) -> HttpResponse:
    form = forms.QueueFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "date": form.cleaned_data["date"],
            "area_id": form.cleaned_data["area"].pk if form.cleaned_data["area"] else None,
            "status": form.cleaned_data["status"] or None,
        }
    bookings = selectors.booking_queue(**filters)[:500]
    return render(request, "bulky/queue.html", {"form": form, "bookings": bookings})


@never_cache
@access.require(REVIEW)
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_object_or_404(Booking.objects.select_related("area__area"), pk=pk)
    audit_record(action=AUDIT_BOOKING_VIEWED, ctx=AuditContext.from_request(request), target=booking)
    upcoming = selectors.available_dates(
        area=booking.area, points=booking.total_points, limit=20, exclude=[booking.collection_date]
    )
    return render(
        request,
        "bulky/booking.html",
        {
            "booking": booking,
            "lines": booking.lines.select_related("item"),
            "events": booking.events.select_related("actor"),
            "reject_form": forms.RejectForm(),
            "note_form": forms.NoteForm(),
            "actions": {a.name for a in WORKFLOW.available(booking, request.user)},
            "upcoming": [{"value": d.isoformat(), "label": selectors.format_date(d), "free": free} for d, free in upcoming],
            "date_label": selectors.format_date(booking.collection_date),
        },
    )


@never_cache
@access.require(REVIEW)
def calendar(request: HttpRequest) -> HttpResponse:
    try:
        start = dt.date.fromisoformat(request.GET.get("start", ""))
    except ValueError:
        start = selectors.today()
    days = 28
    dates, rows = selectors.capacity_calendar(start=start, days=days)
    return render(
        request,
        "bulky/calendar.html",
        {
            "dates": dates,
            "rows": rows,
            "previous": (start - dt.timedelta(days=days)).isoformat(),
            "next": (start + dt.timedelta(days=days)).isoformat(),
        },
    )


def _route_request(request: HttpRequest, audit_action: str) -> tuple[forms.RouteFilterForm, list[Booking] | None]:
    """The route list asked for (None until area and date are given), its reading audited."""
    form = forms.RouteFilterForm(request.GET or None)
    if not form.is_valid():
        return form, None
    area, date = form.cleaned_data["area"], form.cleaned_data["date"]
    bookings = list(selectors.route_list(area=area, date=date))
    audit_record(
        action=audit_action,
        ctx=AuditContext.from_request(request),
        target=area,
        detail={"date": date.isoformat(), "bookings": len(bookings)},
    )
    return form, bookings


@never_cache
@access.require(REVIEW)
def routes(request: HttpRequest) -> HttpResponse:
    form, bookings = _route_request(request, AUDIT_ROUTE_VIEWED)
    return render(
        request,
        "bulky/routes.html",
        {
            "form": form,
            "bookings": bookings,
            "date_label": selectors.format_date(form.cleaned_data["date"]) if bookings is not None else "",
            "query": request.GET.urlencode(),
        },
    )


@never_cache
@access.require(REVIEW)
def routes_csv(request: HttpRequest) -> HttpResponseBase:
    form, bookings = _route_request(request, AUDIT_ROUTE_EXPORTED)
    if bookings is None:
        return HttpResponse(_("地域と収集日を指定してください。"), status=400, content_type="text/plain; charset=utf-8")
    area, date = form.cleaned_data["area"], form.cleaned_data["date"]
    return csv_response(
        filename=f"bulky-route-{area.area.code}-{date.isoformat()}.csv",
        header=[_("受付番号"), _("収集場所の住所"), _("品目"), _("点数"), _("状態")],
        rows=(
            [
                booking.number,
                booking.address,
                "、".join(f"{line.item.name}×{line.quantity}" for line in booking.lines.all()),
                booking.total_points,
                booking.get_status_display(),
            ]
            for booking in bookings
        ),
    )


# -- set-up ------------------------------------------------------------------------------------
@never_cache
@access.require(MANAGE)
def setup(request: HttpRequest) -> HttpResponse:
    config = BulkySettings.load()
    form = forms.SettingsForm(request.POST or None, instance=config)
    if form_saved(
        request,
        form,
        lambda ctx: services.bulky_settings_update(values=form.cleaned_data, ctx=ctx),
        success=_("設定を保存しました。"),
    ):
        return redirect("bulky:setup")
    return render(request, "bulky/setup.html", {"form": form, "calendar_closures": _calendar_closures()})


def _calendar_closures() -> list[dict[str, Any]]:
    """The holidays and 年末年始 closures within the booking window, as the set-up pages list them
    (the saved settings: a refused settings form has written its values onto its instance)."""
    config = BulkySettings.load()
    today = selectors.today()
    closed = selectors.calendar_closures(start=today, end=today + dt.timedelta(days=config.latest_days_ahead), settings=config)
    return [{"date": d, "label": selectors.format_date(d), "reason": r} for d, r in closed]


@never_cache
@access.require(MANAGE)
def items(request: HttpRequest) -> HttpResponse:
    return render(request, "bulky/items.html", {"items": Item.objects.all()})


@never_cache
@access.require(MANAGE)
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = get_object_or_404(Item, pk=pk) if pk else None
    form = forms.ItemForm(request.POST or None, instance=item)
    if form_saved(
        request,
        form,
        lambda ctx: services.item_save(item=item, values=form.cleaned_data, ctx=ctx),
        success=_("品目を保存しました。"),
    ):
        return redirect("bulky:items")
    return render(request, "bulky/item_form.html", {"form": form, "item": item})


@never_cache
@access.require(MANAGE)
def areas(request: HttpRequest) -> HttpResponse:
    services.collection_areas_ensure()
    return render(request, "bulky/areas.html", {"areas": CollectionArea.objects.select_related("area")})


@never_cache
@access.require(MANAGE)
def area_edit(request: HttpRequest, pk: int) -> HttpResponse:
    collection_area = get_object_or_404(CollectionArea.objects.select_related("area"), pk=pk)
    form = forms.CollectionAreaForm.for_area(collection_area, request.POST or None)

    def save(ctx: AuditContext) -> object:
        return services.collection_area_update(
            collection_area=collection_area,
            weekdays="".join(form.cleaned_data["weekdays"]),
            capacity_points=form.cleaned_data["capacity_points"],
            is_active=form.cleaned_data["is_active"],
            ctx=ctx,
        )

    if form_saved(request, form, save, success=_("収集地域の設定を保存しました。")):
        return redirect("bulky:areas")
    return render(request, "bulky/area_form.html", {"form": form, "collection_area": collection_area})


@never_cache
@access.require(MANAGE)
def closures(request: HttpRequest) -> HttpResponse:
    form = forms.ClosureForm(request.POST or None)
    if form_saved(
        request, form, lambda ctx: services.closure_add(**form.cleaned_data, ctx=ctx), success=_("休止日を追加しました。")
    ):
        return redirect("bulky:closures")
    today = selectors.today()
    upcoming = Closure.objects.filter(date__gte=today - dt.timedelta(days=30)).select_related("area__area")
    return render(request, "bulky/closures.html", {"form": form, "closures": upcoming, "calendar_closures": _calendar_closures()})


@never_cache
@access.require(MANAGE)
@require_POST
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.closure_delete(closure=get_object_or_404(Closure, pk=pk), ctx=AuditContext.from_request(request))
    messages.success(request, _("休止日を削除しました。"))
    return redirect("bulky:closures")
