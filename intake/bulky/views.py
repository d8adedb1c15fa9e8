"""Staff pages of intake.bulky: review queue, booking detail and actions, capacity calendar,
crew route lists, and the set-up pages (catalogue, areas, closures, settings)."""

import datetime as dt

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.roles import Perm
from accounts.services import audit_record
from portal import access
from portal.csv import csv_response

from . import forms, selectors, services
from .audit import AUDIT_BOOKING_VIEWED, AUDIT_ROUTE_EXPORTED, AUDIT_ROUTE_VIEWED, record_booking_action
from .models import Booking, BulkySettings, Closure, CollectionArea, Item

REVIEW = Perm.REVIEW_BULKY_BOOKINGS
MANAGE = Perm.MANAGE_BULKY_CATALOGUE


# -- review ----------------------------------------------------------------------------------
@never_cache
@access.require(REVIEW)
def queue(request: HttpRequest) -> HttpResponse:
    form = forms.QueueFilterForm(request.GET or None)
    filters: dict = {}
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
    audit_record(action=AUDIT_BOOKING_VIEWED, request=request, target=booking)
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
            "upcoming": [{"value": d.isoformat(), "label": selectors.format_date(d), "free": free} for d, free in upcoming],
            "date_label": selectors.format_date(booking.collection_date),
        },
    )


def _act(request: HttpRequest, pk: int, name: str, action) -> HttpResponse:
    booking = get_object_or_404(Booking, pk=pk)
    detail: dict = {}
    try:
        message = action(booking, detail)
    except services.BookingError as error:
        record_booking_action(request=request, booking=booking, action=name, via="page", done=False, detail=detail)
        messages.error(request, error.message)
    else:
        record_booking_action(request=request, booking=booking, action=name, via="page", done=True, detail=detail)
        messages.success(request, message)
    return redirect("bulky:booking", pk=pk)


@never_cache
@access.require(REVIEW)
@require_POST
def booking_approve(request: HttpRequest, pk: int) -> HttpResponse:
    def run(booking: Booking, detail: dict) -> str:
        services.booking_approve(booking=booking, actor=request.user)
        return _("確認済にし、住民にLINEで通知しました。")

    return _act(request, pk, "approve", run)


@never_cache
@access.require(REVIEW)
@require_POST
def booking_reject(request: HttpRequest, pk: int) -> HttpResponse:
    def run(booking: Booking, detail: dict) -> str:
        form = forms.RejectForm(request.POST)
        if not form.is_valid():
            raise services.BookingError(_("却下の理由を入力してください。"))
        services.booking_reject(booking=booking, actor=request.user, reason=form.cleaned_data["reason"])
        return _("却下し、住民にLINEで通知しました。")

    return _act(request, pk, "reject", run)


@never_cache
@access.require(REVIEW)
@require_POST
def booking_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    def run(booking: Booking, detail: dict) -> str:
        form = forms.RescheduleForm(request.POST)
        if not form.is_valid():
            raise services.BookingError(_("新しい収集日を選んでください。"))
        detail.update({"from": booking.collection_date.isoformat(), "to": form.cleaned_data["new_date"].isoformat()})
        services.booking_reschedule(booking=booking, actor=request.user, new_date=form.cleaned_data["new_date"])
        return _("収集日を変更し、住民にLINEで通知しました。")

    return _act(request, pk, "reschedule", run)


@never_cache
@access.require(REVIEW)
@require_POST
def booking_collect(request: HttpRequest, pk: int) -> HttpResponse:
    def run(booking: Booking, detail: dict) -> str:
        services.booking_mark_collected(booking=booking, actor=request.user)
        return _("収集済にしました。")

    return _act(request, pk, "collect", run)


@never_cache
@access.require(REVIEW)
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    def run(booking: Booking, detail: dict) -> str:
        services.booking_cancel(booking=booking, by_resident=False, actor=request.user)
        return _("申込を取り消し、住民にLINEで通知しました。")

    return _act(request, pk, "cancel", run)


@never_cache
@access.require(REVIEW)
@require_POST
def booking_note(request: HttpRequest, pk: int) -> HttpResponse:
    def run(booking: Booking, detail: dict) -> str:
        form = forms.NoteForm(request.POST)
        if not form.is_valid():
            raise services.BookingError(_("メモを入力してください。"))
        services.booking_add_note(booking=booking, actor=request.user, note=form.cleaned_data["note"])
        return _("メモを追加しました。")

    return _act(request, pk, "note", run)


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


def _route_request(request: HttpRequest) -> tuple[forms.RouteFilterForm, list[Booking] | None]:
    form = forms.RouteFilterForm(request.GET or None)
    if not form.is_valid():
        return form, None
    return form, list(selectors.route_list(area=form.cleaned_data["area"], date=form.cleaned_data["date"]))


@never_cache
@access.require(REVIEW)
def routes(request: HttpRequest) -> HttpResponse:
    form, bookings = _route_request(request)
    if bookings is not None:
        audit_record(
            action=AUDIT_ROUTE_VIEWED,
            request=request,
            target=form.cleaned_data["area"],
            detail={"date": form.cleaned_data["date"].isoformat(), "bookings": len(bookings)},
        )
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
def routes_csv(request: HttpRequest) -> HttpResponse:
    form, bookings = _route_request(request)
    if bookings is None:
        return HttpResponse(_("地域と収集日を指定してください。"), status=400, content_type="text/plain; charset=utf-8")
    area, date = form.cleaned_data["area"], form.cleaned_data["date"]
    audit_record(
        action=AUDIT_ROUTE_EXPORTED, request=request, target=area, detail={"date": date.isoformat(), "bookings": len(bookings)}
    )
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
    if request.method == "POST" and form.is_valid():
        services.bulky_settings_update(values=form.cleaned_data, actor=request.user, request=request)
        messages.success(request, _("設定を保存しました。"))
        return redirect("bulky:setup")
    config = BulkySettings.load()  # the saved settings: a refused form has written its values onto its instance
    today = selectors.today()
    upcoming = selectors.calendar_closures(start=today, end=today + dt.timedelta(days=config.latest_days_ahead), settings=config)
    return render(
        request,
        "bulky/setup.html",
        {"form": form, "calendar_closures": [{"date": d, "label": selectors.format_date(d), "reason": r} for d, r in upcoming]},
    )


@never_cache
@access.require(MANAGE)
def items(request: HttpRequest) -> HttpResponse:
    return render(request, "bulky/items.html", {"items": Item.objects.all()})


@never_cache
@access.require(MANAGE)
def item_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    item = get_object_or_404(Item, pk=pk) if pk else None
    form = forms.ItemForm(request.POST or None, instance=item)
    if request.method == "POST" and form.is_valid():
        services.item_save(item=item, values=form.cleaned_data, actor=request.user, request=request)
        messages.success(request, _("品目を保存しました。"))
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
    if request.method == "POST" and form.is_valid():
        services.collection_area_update(
            collection_area=collection_area,
            weekdays="".join(form.cleaned_data["weekdays"]),
            capacity_points=form.cleaned_data["capacity_points"],
            is_active=form.cleaned_data["is_active"],
            actor=request.user,
            request=request,
        )
        messages.success(request, _("収集地域の設定を保存しました。"))
        return redirect("bulky:areas")
    return render(request, "bulky/area_form.html", {"form": form, "collection_area": collection_area})


@never_cache
@access.require(MANAGE)
def closures(request: HttpRequest) -> HttpResponse:
    form = forms.ClosureForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.closure_add(**form.cleaned_data, actor=request.user, request=request)
        messages.success(request, _("休止日を追加しました。"))
        return redirect("bulky:closures")
    today = selectors.today()
    upcoming = Closure.objects.filter(date__gte=today - dt.timedelta(days=30)).select_related("area__area")
    config = BulkySettings.load()
    automatic = selectors.calendar_closures(start=today, end=today + dt.timedelta(days=config.latest_days_ahead), settings=config)
    return render(
        request,
        "bulky/closures.html",
        {
            "form": form,
            "closures": upcoming,
            "calendar_closures": [{"date": d, "label": selectors.format_date(d), "reason": r} for d, r in automatic],
        },
    )


@never_cache
@access.require(MANAGE)
@require_POST
def closure_delete(request: HttpRequest, pk: int) -> HttpResponse:
    services.closure_delete(closure=get_object_or_404(Closure, pk=pk), actor=request.user, request=request)
    messages.success(request, _("休止日を削除しました。"))
    return redirect("bulky:closures")
