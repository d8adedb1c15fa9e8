"""Residents' booking pages (phone-first). Reached only through a single-use signed link
sent in the LINE chat; the link opens a short session bound to the resident."""

import datetime as dt
import time
import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from portal import access
from portal.line.models import Resident

from . import selectors, services
from .models import Booking, BulkySettings, CollectionArea

SESSION_RESIDENT = "bulky_resident_id"
SESSION_UNTIL = "bulky_session_until"


def _session_resident(request: HttpRequest) -> Resident | None:
    resident_id = request.session.get(SESSION_RESIDENT)
    until = request.session.get(SESSION_UNTIL, 0)
    if not resident_id or time.time() > until:
        return None
    return Resident.objects.filter(pk=resident_id, status=Resident.Status.ACTIVE).first()


def _no_session(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "bulky/resident/message.html",
        {
            "heading": _("ページの有効期限が切れました"),
            "message": _("お手数ですが、LINEで「粗大ごみ」と送って、新しいリンクを受け取ってください。"),
        },
        status=403,
    )


@never_cache
@access.require(access.PUBLIC)
def link(request: HttpRequest, token: str) -> HttpResponse:
    """Use a single-use link: opens the resident's short booking session."""
    try:
        resident = services.link_consume(token=token)
    except services.LinkInvalid as error:
        return render(
            request,
            "bulky/resident/message.html",
            {"heading": _("このリンクは使えません"), "message": error.message},
            status=403,
        )
    request.session.cycle_key()
    request.session[SESSION_RESIDENT] = resident.pk
    request.session[SESSION_UNTIL] = time.time() + BulkySettings.load().session_minutes * 60
    return redirect("bulky:resident-book")


def _book_context(resident: Resident, post: dict | None = None) -> dict:
    config = BulkySettings.load()
    areas = list(CollectionArea.objects.filter(is_active=True, area__is_active=True).select_related("area"))
    previous = selectors.resident_previous_booking(resident=resident)
    default_area = previous.area_id if previous else None
    if default_area is None and resident.area_id:
        default_area = next((a.pk for a in areas if a.area_id == resident.area_id), None)
    free = selectors.available_dates_for_areas(areas=areas, settings=config)
    area_dates = [
        {
            "area": area,
            "dates": [{"value": d.isoformat(), "label": selectors.format_date(d)} for d, _free in free[area.pk]],
        }
        for area in areas
    ]
    post = post or {}
    return {
        "item_rows": [{"item": item, "qty": post.get(f"qty_{item.pk}", "0")} for item in selectors.catalogue(accepted=True)],
        "refused": selectors.catalogue(accepted=False),
        "area_dates": area_dates,
        "selected_area": int(post.get("area") or 0) or default_area,
        "selected_date": post.get("collection_date", ""),
        "address": post.get("address", previous.address if previous else ""),
        "phone": post.get("phone", previous.phone if previous else ""),
        "form_token": post.get("form_token") or uuid.uuid4().hex,
        "config": config,
    }


@never_cache
@access.require(access.PUBLIC)
def book(request: HttpRequest) -> HttpResponse:
    resident = _session_resident(request)
    if resident is None:
        return _no_session(request)
    if request.method != "POST":
        return render(request, "bulky/resident/book.html", _book_context(resident))
    post = request.POST
    error = None
    next_dates: list = []
    try:
        area = CollectionArea.objects.filter(pk=int(post.get("area") or 0), is_active=True).first()
        if area is None:
            raise services.BookingError(_("収集地域を選んでください。"))
        try:
            date = dt.date.fromisoformat(post.get("collection_date", ""))
        except ValueError:
            raise services.BookingError(_("収集日を選んでください。")) from None
        try:
            key = uuid.UUID(post.get("form_token", ""))
        except ValueError:
            raise services.BookingError(_("画面の有効期限が切れました。もう一度入力してください。")) from None
        quantities = {k[4:]: v for k, v in post.items() if k.startswith("qty_")}
        booking = services.booking_create(
            resident=resident,
            area=area,
            collection_date=date,
            quantities=quantities,
            address=post.get("address", ""),
            phone=post.get("phone", ""),
            idempotency_key=key,
        )
    except services.DuplicateSubmission as duplicate:
        if duplicate.booking.resident_id != resident.pk:
            raise Http404 from None
        request.session["bulky_flash"] = _("この申込はすでに受け付けています（二重送信は無視しました）。")
        return redirect("bulky:resident-booking", pk=duplicate.booking.pk)
    except services.BookingError as exc:
        error, next_dates = exc.message, exc.next_dates
    else:
        request.session["bulky_flash"] = _("申込を受け付けました。LINEにも受付内容をお送りしました。")
        return redirect("bulky:resident-booking", pk=booking.pk)
    context = _book_context(resident, post.dict())
    context.update({"error": error, "next_dates": [selectors.format_date(d) for d in next_dates]})
    return render(request, "bulky/resident/book.html", context, status=400)


@never_cache
@access.require(access.PUBLIC)
def my_bookings(request: HttpRequest) -> HttpResponse:
    resident = _session_resident(request)
    if resident is None:
        return _no_session(request)
    bookings = list(selectors.resident_bookings(resident=resident))
    config = BulkySettings.load()
    for booking in bookings:
        booking.can_cancel = selectors.resident_can_cancel(booking=booking, settings=config)
        booking.date_label = selectors.format_date(booking.collection_date)
    return render(request, "bulky/resident/bookings.html", {"bookings": bookings})


def _own_booking(resident: Resident, pk: int) -> Booking:
    booking = selectors.resident_bookings(resident=resident).filter(pk=pk).first()
    if booking is None:
        raise Http404
    return booking


@never_cache
@access.require(access.PUBLIC)
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _session_resident(request)
    if resident is None:
        return _no_session(request)
    booking = _own_booking(resident, pk)
    config = BulkySettings.load()
    return render(
        request,
        "bulky/resident/booking.html",
        {
            "booking": booking,
            "date_label": selectors.format_date(booking.collection_date),
            "can_cancel": selectors.resident_can_cancel(booking=booking, settings=config),
            "deadline": selectors.format_date(selectors.cancel_deadline(booking=booking, settings=config)),
            "config": config,
            "flash": request.session.pop("bulky_flash", None),
        },
    )


@never_cache
@access.require(access.PUBLIC)
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    resident = _session_resident(request)
    if resident is None:
        return _no_session(request)
    booking = _own_booking(resident, pk)
    try:
        services.booking_cancel(booking=booking, by_resident=True)
    except services.BookingError as error:
        request.session["bulky_flash"] = error.message
    else:
        request.session["bulky_flash"] = _("申込を取り消しました。")
    return redirect("bulky:resident-booking", pk=booking.pk)
