"""Residents' booking pages (phone-first). Reached only through a single-use signed link
sent in the LINE chat; the link opens a short session bound to the resident."""

import datetime as dt
import time
import uuid
from collections.abc import Sequence

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from portal import access
from portal.context import AuditContext
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


def _link_refused(request: HttpRequest, error: services.LinkInvalid) -> HttpResponse:
    return render(
        request,
        "bulky/resident/message.html",
        {"heading": _("このリンクは使えません"), "message": error.message},
        status=403,
    )


@never_cache
@access.require(access.PUBLIC)
@require_http_methods(["GET", "HEAD", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """The single-use link from the chat. GET and HEAD only show a page with a button (a
    chat app's link preview or a prefetch must not use the link up); the button's POST
    uses it and opens the resident's short booking session."""
    if request.method != "POST":
        try:
            services.link_check(token=token)
        except services.LinkInvalid as error:
            return _link_refused(request, error)
        return render(request, "bulky/resident/link.html", {"minutes": BulkySettings.load().session_minutes, "token": token})
    try:
        resident = services.link_consume(token=token)
    except services.LinkInvalid as error:
        return _link_refused(request, error)
    request.session.cycle_key()
    request.session[SESSION_RESIDENT] = resident.pk
    request.session[SESSION_UNTIL] = time.time() + BulkySettings.load().session_minutes * 60
    return redirect("bulky:resident-book")


FIELD_ORDER = ["items", "area", "address", "phone", "collection_date", "form"]


def _previous_choices(resident: Resident) -> dict:
    """The resident's last booking, offered only masked: nothing personal is prefilled."""
    previous = selectors.resident_previous_booking(resident=resident)
    if previous is None or not previous.address:
        return {"previous": None}
    return {
        "previous": previous,
        "previous_address": selectors.mask_address(previous.address),
        "previous_phone": selectors.mask_phone(previous.phone) if previous.phone else "",
    }


def _book_context(resident: Resident, post: dict | None = None, errors: dict | None = None) -> dict:
    config = BulkySettings.load()
    areas = list(CollectionArea.objects.filter(is_active=True, area__is_active=True).select_related("area"))
    choices = _previous_choices(resident)
    previous = choices["previous"]
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
    errors = errors or {}
    raw_area = str(post.get("area") or "")
    selected_area = int(raw_area) if raw_area.isdigit() and len(raw_area) <= 18 else default_area
    summary = []
    for field in FIELD_ORDER:
        for message in errors.get(field, []):
            summary.append({"field": field, "message": message, "anchor": _anchor(field, post)})
    return {
        "item_rows": [{"item": item, "qty": post.get(f"qty_{item.pk}", "0")} for item in selectors.catalogue(accepted=True)],
        "refused": selectors.catalogue(accepted=False),
        "area_dates": area_dates,
        "selected_area": selected_area,
        "selected_date": post.get("collection_date", ""),
        "address": post.get("address", ""),
        "phone": post.get("phone", ""),
        "address_choice": post.get("address_choice", ""),
        "phone_choice": post.get("phone_choice", ""),
        "form_token": post.get("form_token") or uuid.uuid4().hex,
        "config": config,
        "errors": errors,
        "error_summary": summary,
        **choices,
    }


def _anchor(field: str, post: dict) -> str:
    if field == "items":
        first = next((item.pk for item in selectors.catalogue(accepted=True)), None)
        return f"qty_{first}" if first else "items"
    if field in ("address", "phone") and post.get(f"{field}_choice") == "previous":
        return f"{field}_choice_previous"
    return {"form": "booking-form"}.get(field, field)


def _read_request(resident: Resident, post: dict) -> tuple[dict, dict, dict[str, list[str]]]:
    """The booking request from the form: (arguments for the service, values as shown, problems
    found while reading). The previous booking's address or phone is used only when the
    resident chose it, and is never sent to the browser."""
    problems: dict[str, list[str]] = {}
    raw_area = (post.get("area") or "").strip()
    area = None
    if raw_area.isdigit() and len(raw_area) <= 18:  # a database integer, never an overflow
        area = CollectionArea.objects.filter(pk=int(raw_area), is_active=True).first()
    try:
        date = dt.date.fromisoformat(post.get("collection_date", ""))
    except ValueError:
        date = None
    previous = _previous_choices(resident)["previous"]
    shown = {}
    values = {}
    for field in ("address", "phone"):
        choice = post.get(f"{field}_choice", "")
        typed = post.get(field, "")
        if choice == "previous" and previous is not None:
            values[field] = getattr(previous, field)
            shown[field] = (
                selectors.mask_address(previous.address) if field == "address" else selectors.mask_phone(previous.phone)
            )
        else:
            values[field] = typed
            shown[field] = typed.strip()
    quantities = {k[4:]: v for k, v in post.items() if k.startswith("qty_")}
    return (
        {"area": area, "collection_date": date, "quantities": quantities, **values},
        shown,
        problems,
    )


def _input_page(
    request: HttpRequest, resident: Resident, post: dict, errors: dict, status: int, next_dates: Sequence[dt.date] = ()
) -> HttpResponse:
    context = _book_context(resident, post, errors)
    context["next_dates"] = [selectors.format_date(d) for d in next_dates]
    return render(request, "bulky/resident/book.html", context, status=status)


@never_cache
@access.require(access.PUBLIC)
@require_http_methods(["GET", "HEAD", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """入力 → 確認 → 完了. The input form's button asks for 確認 (every problem listed at
    once); the confirmation page's 申し込む books; 修正する goes back with the values."""
    resident = _session_resident(request)
    if resident is None:
        return _no_session(request)
    if request.method != "POST":
        return render(request, "bulky/resident/book.html", _book_context(resident))
    post = request.POST.dict()
    step = post.get("step", "confirm")
    if step == "edit":
        return _input_page(request, resident, post, {}, 200)
    arguments, shown, errors = _read_request(resident, post)
    try:
        key = uuid.UUID(post.get("form_token", ""))
    except ValueError:
        errors.setdefault("form", []).append(_("画面の有効期限が切れました。もう一度入力してください。"))
        key = None
    next_dates: list[dt.date] = []
    try:
        draft = services.booking_validate(**arguments)
    except services.BookingError as exc:
        next_dates = exc.next_dates
        for field, messages in exc.errors.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        return _input_page(request, resident, post, errors, 400, next_dates)
    if step != "submit":
        hidden = [(k, v) for k, v in post.items() if k not in ("csrfmiddlewaretoken", "step")]
        return render(
            request,
            "bulky/resident/confirm.html",
            {
                "draft": draft,
                "date_label": selectors.format_date(draft.collection_date),
                "lines": [{"item": item, "qty": qty, "subtotal": item.fee_yen * qty} for item, qty in draft.lines],
                "shown": shown,
                "hidden": hidden,
                "config": BulkySettings.load(),
            },
        )
    try:
        booking = services.booking_create(resident=resident, idempotency_key=key, **arguments)
    except services.DuplicateSubmission as duplicate:
        if duplicate.booking.resident_id != resident.pk:
            raise Http404 from None
        request.session["bulky_flash"] = _("この申込はすでに受け付けています（二重送信は無視しました）。")
        return redirect("bulky:resident-booking", pk=duplicate.booking.pk)
    except services.BookingError as exc:
        return _input_page(request, resident, post, exc.errors, 400, exc.next_dates)
    request.session["bulky_flash"] = _("申込を受け付けました。LINEにも受付内容をお送りしました。")
    request.session["bulky_completed"] = booking.pk
    return redirect("bulky:resident-booking", pk=booking.pk)


@never_cache
@access.require(access.PUBLIC)
def my_bookings(request: HttpRequest) -> HttpResponse:
    resident = _session_resident(request)
    if resident is None:
        return _no_session(request)
    bookings = list(selectors.resident_bookings(resident=resident))
    config = BulkySettings.load()
    for booking in bookings:
        booking.can_cancel = selectors.resident_can_cancel(booking=booking, settings=config)  # type: ignore[attr-defined]  # for the template
        booking.date_label = selectors.format_date(booking.collection_date)  # type: ignore[attr-defined]
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
            "address_shown": selectors.mask_address(booking.address) if booking.address else "",
            "flash": request.session.pop("bulky_flash", None),
            "completed": request.session.pop("bulky_completed", None) == booking.pk,
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
        services.booking_cancel(booking, ctx=AuditContext.system(), by_resident=True)
    except services.BookingError as error:
        request.session["bulky_flash"] = error.message
    else:
        request.session["bulky_flash"] = _("申込を取り消しました。")
    return redirect("bulky:resident-booking", pk=booking.pk)
