"""Writes for bulky-garbage bookings: links, booking, capacity, staff actions, reminders.

Capacity is one rule in one place: ``capacity_take`` / ``capacity_release``. Taking points
is a conditional UPDATE (``used + n <= capacity``) inside the booking's transaction, and
``CollectionDay`` has a check constraint, so two residents can never both get the last slot.
"""

import datetime as dt
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings as django_settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.line.models import Resident

from . import selectors
from .models import (
    Booking,
    BookingEvent,
    BookingLine,
    BookingLink,
    BulkySettings,
    CollectionArea,
    CollectionDay,
    Item,
    new_nonce,
)

LINK_SALT = "intake.bulky.link"


class BookingError(Exception):
    """A booking request the city cannot accept; ``message`` is shown to the resident."""

    def __init__(self, message: str, *, next_dates: list[dt.date] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.next_dates = next_dates or []


class CapacityFull(BookingError):
    pass


class DuplicateSubmission(Exception):
    """The same form was submitted twice; ``booking`` is the one the first submit made."""

    def __init__(self, booking: Booking) -> None:
        super().__init__("duplicate submission")
        self.booking = booking


class LinkInvalid(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- residents' single-use links ----------------------------------------------------------
def link_issue(*, resident: Resident) -> str:
    """A new single-use booking link for ``resident`` (earlier unused links are revoked).
    The token is a signed random nonce: it carries neither the LINE user ID nor the pk."""
    config = BulkySettings.load()
    now = timezone.now()
    with transaction.atomic():
        BookingLink.objects.filter(resident=resident, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        link = BookingLink.objects.create(
            nonce=new_nonce(), resident=resident, expires_at=now + dt.timedelta(minutes=config.link_ttl_minutes)
        )
    token = signing.TimestampSigner(salt=LINK_SALT).sign(link.nonce)
    return django_settings.PORTAL_BASE_URL.rstrip("/") + reverse("bulky:resident-link", args=[token])


def link_consume(*, token: str) -> Resident:
    """Use a link once; returns its resident or raises ``LinkInvalid`` with the reason."""
    config = BulkySettings.load()
    expired = _("このリンクは有効期限が切れています。LINEで「粗大ごみ」と送ると、新しいリンクをお送りします。")
    used = _("このリンクはすでに使用されています。LINEで「粗大ごみ」と送ると、新しいリンクをお送りします。")
    bad = _("このリンクは正しくありません。LINEで「粗大ごみ」と送って、新しいリンクを受け取ってください。")
    try:
        nonce = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=dt.timedelta(minutes=config.link_ttl_minutes))
    except signing.SignatureExpired:
        raise LinkInvalid(expired) from None
    except signing.BadSignature:
        raise LinkInvalid(bad) from None
    now = timezone.now()
    link = BookingLink.objects.filter(nonce=nonce).select_related("resident").first()
    if link is None:
        raise LinkInvalid(bad)
    if link.used_at is not None:
        raise LinkInvalid(used)
    if link.expires_at <= now:
        # Revoked by a newer link, or simply expired.
        raise LinkInvalid(
            _(
                "このリンクは無効になっています（新しいリンクが発行されたか、有効期限切れです）。LINEで「粗大ごみ」と送ってください。"
            )
        )
    claimed = BookingLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        raise LinkInvalid(used)
    if link.resident.status != Resident.Status.ACTIVE:
        raise LinkInvalid(expired)
    return link.resident


# -- capacity --------------------------------------------------------------------------------
def collection_day_get(*, area: CollectionArea, date: dt.date) -> CollectionDay:
    """The day's capacity row, created on first use with the area's capacity."""
    day, _created = CollectionDay.objects.get_or_create(area=area, date=date, defaults={"capacity_points": area.capacity_points})
    return day


def capacity_take(*, area: CollectionArea, date: dt.date, points: int) -> bool:
    """Take ``points`` on that day if they are free. Call inside the booking's transaction."""
    day = collection_day_get(area=area, date=date)
    taken = CollectionDay.objects.filter(pk=day.pk, used_points__lte=F("capacity_points") - points).update(
        used_points=F("used_points") + points
    )
    return taken == 1


def capacity_release(*, area_id: int, date: dt.date, points: int) -> None:
    CollectionDay.objects.filter(area_id=area_id, date=date, used_points__gte=points).update(
        used_points=F("used_points") - points
    )


def _full_error(area: CollectionArea, points: int, date: dt.date) -> CapacityFull:
    upcoming = [d for d, _free in selectors.available_dates(area=area, points=points, limit=5, exclude=[date])]
    if upcoming:
        message = _("申し訳ありません。%(date)sは予約がいっぱいになりました。次の空いている日：%(dates)s") % {
            "date": selectors.format_date(date),
            "dates": "、".join(selectors.format_date(d) for d in upcoming),
        }
    else:
        message = _("申し訳ありません。%(date)sは予約がいっぱいになりました。受付期間内に空いている日がありません。") % {
            "date": selectors.format_date(date)
        }
    return CapacityFull(message, next_dates=upcoming)


# -- booking ---------------------------------------------------------------------------------
def _validated_lines(quantities: Mapping[Any, Any], config: BulkySettings) -> list[tuple[Item, int]]:
    wanted: dict[int, int] = {}
    for raw_id, raw_qty in quantities.items():
        try:
            item_id, qty = int(raw_id), int(raw_qty or 0)
        except (TypeError, ValueError):
            raise BookingError(_("品目または数量の指定が正しくありません。")) from None
        if qty < 0:
            raise BookingError(_("数量は0以上で入力してください。"))
        if qty:
            wanted[item_id] = wanted.get(item_id, 0) + qty
    if not wanted:
        raise BookingError(_("出す品目を1点以上選んでください。"))
    items = {item.pk: item for item in Item.objects.filter(pk__in=wanted, is_active=True)}
    lines = []
    for item_id, qty in wanted.items():
        item = items.get(item_id)
        if item is None:
            raise BookingError(_("選択された品目は品目一覧にありません。一覧から選び直してください。"))
        if not item.accepted:
            raise BookingError(
                _("「%(name)s」は粗大ごみとして収集できません（%(reason)s）。")
                % {"name": item.name, "reason": item.refusal_reason}
            )
        if qty > config.max_per_item:
            raise BookingError(
                _("「%(name)s」は1回の申込で%(max)d点までです。") % {"name": item.name, "max": config.max_per_item}
            )
        lines.append((item, qty))
    if sum(qty for _item, qty in lines) > config.max_items_per_booking:
        raise BookingError(_("1回の申込で出せるのは合計%(max)d点までです。") % {"max": config.max_items_per_booking})
    return lines


def booking_create(
    *,
    resident: Resident,
    area: CollectionArea,
    collection_date: dt.date,
    quantities: Mapping[Any, Any],
    address: str,
    phone: str,
    idempotency_key: uuid.UUID | str | None = None,
) -> Booking:
    """Book a collection: validates items, limits and the date, takes capacity, numbers the
    booking (G-YYYY-NNNNNN) and pushes the summary. Raises BookingError (nothing changed),
    CapacityFull (with the next free dates) or DuplicateSubmission."""
    config = BulkySettings.load()
    if idempotency_key:
        existing = Booking.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            raise DuplicateSubmission(existing)
    lines = _validated_lines(quantities, config)
    address, phone = (address or "").strip(), (phone or "").strip()
    if not address:
        raise BookingError(_("収集場所の住所を入力してください。"))
    digits = "".join(c for c in phone if c.isdigit())
    if not (10 <= len(digits) <= 11) or any(c not in "0123456789-() " for c in phone):
        raise BookingError(_("電話番号を正しく入力してください（例：092-123-4567）。"))
    problem = selectors.date_problem(area=area, date=collection_date, settings=config)
    if problem:
        raise BookingError(problem)
    points = sum(item.size_points * qty for item, qty in lines)
    collection_day_get(area=area, date=collection_date)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                resident=resident,
                area=area,
                collection_date=collection_date,
                address=address,
                phone=phone,
                total_fee_yen=sum(item.fee_yen * qty for item, qty in lines),
                total_points=points,
                idempotency_key=idempotency_key or None,
            )
            booking.number = f"G-{timezone.localtime(booking.created_at).year}-{booking.pk:06d}"
            booking.save(update_fields=["number"])
            BookingLine.objects.bulk_create(
                [
                    BookingLine(booking=booking, item=item, quantity=qty, fee_yen=item.fee_yen, size_points=item.size_points)
                    for item, qty in lines
                ]
            )
            BookingEvent.objects.create(booking=booking, kind="created")
            _push(booking, _confirmation_text(booking, config), "bulky.booked", f"bulky-booked:{booking.pk}")
            # Last, so the day's row stays locked only until the commit that follows.
            if not capacity_take(area=area, date=collection_date, points=points):
                raise _full_error(area, points, collection_date)
    except IntegrityError:
        if idempotency_key:
            existing = Booking.objects.filter(idempotency_key=idempotency_key).first()
            if existing is not None:
                raise DuplicateSubmission(existing) from None
        raise
    return booking


def _items_text(booking: Booking) -> str:
    return "、".join(f"{line.item.name}×{line.quantity}" for line in booking.lines.select_related("item"))


def _confirmation_text(booking: Booking, config: BulkySettings) -> str:
    return _(
        "粗大ごみの収集を受け付けました。\n"
        "受付番号：%(number)s\n収集日：%(date)s\n品目：%(items)s\n手数料合計：%(fee)s円\n\n"
        "【お支払い方法】%(payment)s\n"
        "収集日の朝8時までに、処理券を貼って申込の場所に出してください。"
        "取消は収集日の%(days)d日前まで、LINEで「予約確認」と送ってください。"
    ) % {
        "number": booking.number,
        "date": selectors.format_date(booking.collection_date),
        "items": _items_text(booking),
        "fee": f"{booking.total_fee_yen:,}",
        "payment": config.payment_note,
        "days": config.cancel_deadline_days,
    }


def _push(booking: Booking, text: str, purpose: str, dedupe_key: str) -> None:
    """Through the LINE layer's shared sender (dedupe key: a job run twice pushes once)."""
    from portal.line.services import push_to_resident

    push_to_resident(resident=booking.resident, messages=[{"type": "text", "text": text}], purpose=purpose, dedupe_key=dedupe_key)


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().select_related("resident", "area").get(pk=booking.pk)


def booking_cancel(*, booking: Booking, by_resident: bool = True, actor: Any = None) -> Booking:
    """Cancel and give the capacity back. Residents may cancel only until the deadline."""
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.is_active:
            raise BookingError(_("この申込はすでに取消または処理済みのため、取り消せません。"))
        if by_resident and not selectors.resident_can_cancel(booking=booking):
            raise BookingError(
                _("取消の期限（%(date)s）を過ぎています。取消は清掃事務所にお電話ください。")
                % {"date": selectors.format_date(selectors.cancel_deadline(booking=booking))}
            )
        booking.status = Booking.Status.CANCELLED
        booking.save(update_fields=["status", "updated_at"])
        capacity_release(area_id=booking.area_id, date=booking.collection_date, points=booking.total_points)
        BookingEvent.objects.create(booking=booking, kind="cancelled", actor=actor, detail={"by_resident": by_resident})
        _push(
            booking,
            _("粗大ごみの申込（受付番号：%(number)s、収集日：%(date)s）を取り消しました。")
            % {"number": booking.number, "date": selectors.format_date(booking.collection_date)},
            "bulky.cancelled",
            f"bulky-cancelled:{booking.pk}",
        )
    return booking


def booking_approve(*, booking: Booking, actor: Any) -> Booking:
    with transaction.atomic():
        booking = _locked(booking)
        if booking.status != Booking.Status.SUBMITTED:
            raise BookingError(_("申込状態の申込だけ確認済にできます。"))
        booking.status = Booking.Status.CONFIRMED
        booking.save(update_fields=["status", "updated_at"])
        BookingEvent.objects.create(booking=booking, kind="approved", actor=actor)
        _push(
            booking,
            _("粗大ごみの申込（受付番号：%(number)s）を確認しました。収集日：%(date)s。朝8時までに処理券を貼って出してください。")
            % {"number": booking.number, "date": selectors.format_date(booking.collection_date)},
            "bulky.approved",
            f"bulky-approved:{booking.pk}",
        )
    return booking


def booking_reject(*, booking: Booking, actor: Any, reason: str) -> Booking:
    reason = (reason or "").strip()
    if not reason:
        raise BookingError(_("却下の理由を入力してください。"))
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.is_active:
            raise BookingError(_("この申込はすでに取消または処理済みです。"))
        booking.status = Booking.Status.REJECTED
        booking.rejection_reason = reason[:200]
        booking.save(update_fields=["status", "rejection_reason", "updated_at"])
        capacity_release(area_id=booking.area_id, date=booking.collection_date, points=booking.total_points)
        BookingEvent.objects.create(booking=booking, kind="rejected", actor=actor, detail={"reason": reason[:200]})
        _push(
            booking,
            _("申し訳ありません。粗大ごみの申込（受付番号：%(number)s）はお受けできませんでした。\n理由：%(reason)s")
            % {"number": booking.number, "reason": reason[:200]},
            "bulky.rejected",
            f"bulky-rejected:{booking.pk}",
        )
    return booking


def booking_reschedule(*, booking: Booking, actor: Any, new_date: dt.date) -> Booking:
    """Move to another date of the same area: takes capacity there, releases the old day,
    in one transaction."""
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.is_active:
            raise BookingError(_("この申込はすでに取消または処理済みです。"))
        if new_date == booking.collection_date:
            raise BookingError(_("現在と同じ収集日です。別の日を選んでください。"))
        problem = selectors.date_problem(area=booking.area, date=new_date)
        if problem:
            raise BookingError(problem)
        collection_day_get(area=booking.area, date=new_date)
        if not capacity_take(area=booking.area, date=new_date, points=booking.total_points):
            raise _full_error(booking.area, booking.total_points, new_date)
        old_date = booking.collection_date
        capacity_release(area_id=booking.area_id, date=old_date, points=booking.total_points)
        booking.collection_date = new_date
        booking.save(update_fields=["collection_date", "updated_at"])
        moves = BookingEvent.objects.filter(booking=booking, kind="rescheduled").count()
        BookingEvent.objects.create(
            booking=booking, kind="rescheduled", actor=actor, detail={"from": old_date.isoformat(), "to": new_date.isoformat()}
        )
        _push(
            booking,
            _("粗大ごみの収集日が変更になりました（受付番号：%(number)s）。\n変更前：%(old)s\n変更後：%(new)s")
            % {
                "number": booking.number,
                "old": selectors.format_date(old_date),
                "new": selectors.format_date(new_date),
            },
            "bulky.rescheduled",
            f"bulky-rescheduled:{booking.pk}:{moves + 1}",
        )
    return booking


def booking_mark_collected(*, booking: Booking, actor: Any) -> Booking:
    with transaction.atomic():
        booking = _locked(booking)
        if not booking.is_active:
            raise BookingError(_("この申込はすでに取消または処理済みです。"))
        booking.status = Booking.Status.COLLECTED
        booking.save(update_fields=["status", "updated_at"])
        BookingEvent.objects.create(booking=booking, kind="collected", actor=actor)
    return booking


def booking_add_note(*, booking: Booking, actor: Any, note: str) -> Booking:
    note = (note or "").strip()
    if not note:
        raise BookingError(_("メモを入力してください。"))
    with transaction.atomic():
        booking = _locked(booking)
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        booking.staff_notes = (booking.staff_notes + "\n" if booking.staff_notes else "") + f"[{stamp}] {note}"
        booking.save(update_fields=["staff_notes", "updated_at"])
        BookingEvent.objects.create(booking=booking, kind="noted", actor=actor)
    return booking


def reminders_send(*, for_date: dt.date) -> int:
    """Push 「明日は粗大ごみの収集日です」 to every active booking on ``for_date``. Each push has
    a dedupe key per booking and date, so running the job twice pushes once."""
    count = 0
    for booking in selectors.bookings_due_for_reminder(on=for_date):
        _push(
            booking,
            _(
                "明日は粗大ごみの収集日です。朝8時までに、処理券を貼った品物を申込の場所に出してください。\n"
                "受付番号：%(number)s\n品目：%(items)s"
            )
            % {"number": booking.number, "items": _items_text(booking)},
            "bulky.reminder",
            f"bulky-reminder:{booking.pk}:{for_date.isoformat()}",
        )
        count += 1
    return count


# -- set-up ----------------------------------------------------------------------------------
def collection_area_update(
    *, collection_area: CollectionArea, weekdays: str, capacity_points: int, is_active: bool
) -> CollectionArea:
    """Save an area's set-up; future days get the new capacity, never below what is booked."""
    from django.db.models.functions import Greatest

    with transaction.atomic():
        collection_area.weekdays = "".join(sorted(set(weekdays)))
        collection_area.capacity_points = capacity_points
        collection_area.is_active = is_active
        collection_area.save()
        CollectionDay.objects.filter(area=collection_area, date__gte=selectors.today()).update(
            capacity_points=Greatest(F("used_points"), capacity_points)
        )
    return collection_area


def collection_areas_ensure() -> None:
    """Every area of the city gets its collection set-up row (no collection days until set)."""
    from portal.line.models import Area

    for area in Area.objects.filter(bulky__isnull=True):
        CollectionArea.objects.get_or_create(area=area)


def bookings_purge_personal_data(*, on: dt.date | None = None) -> int:
    """Blank the address and phone of bookings whose collection date is older than the
    retention period (and that are no longer active). Numbers, items and fees stay."""
    config = BulkySettings.load()
    cutoff = (on or selectors.today()) - dt.timedelta(days=config.retention_days)
    return (
        Booking.objects.filter(collection_date__lt=cutoff, personal_data_purged_at__isnull=True)
        .exclude(status__in=Booking.ACTIVE_STATUSES)
        .update(address="", phone="", personal_data_purged_at=timezone.now())
    )
