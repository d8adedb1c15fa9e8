"""Writes for bulky-garbage bookings: links, booking, capacity, staff actions, reminders.

Capacity is one rule in one place: ``capacity_take`` / ``capacity_release``. Taking points
is a conditional UPDATE (``used + n <= capacity``) inside the booking's transaction, and
``CollectionDay`` has a check constraint, so two residents can never both get the last slot.
"""

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.context import AuditContext
from portal.errors import DomainError
from portal.line.models import Resident

from . import selectors
from .models import (
    Booking,
    BookingEvent,
    BookingLine,
    BookingLink,
    BulkySettings,
    Closure,
    CollectionArea,
    CollectionDay,
    Item,
    new_nonce,
)

LINK_SALT = "intake.bulky.link"


class BookingError(DomainError):
    """A booking request (or a staff action on a booking) the city cannot accept; ``message``
    is shown to the resident or staff. ``errors`` lists every problem by form field
    (``items``, ``area``, ``collection_date``, ``address``, ``phone``, ``form``) when the
    request was checked as a whole; ``next_dates`` are free days to offer instead.

    The API answers it with 409 and ``{"detail": message, "code", "details", "next_dates"}``
    (``detail`` one string, as the bulky API always answered)."""

    status_code = 409
    default_code = "booking_refused"

    def __init__(
        self,
        message: str,
        *,
        next_dates: list[dt.date] | None = None,
        errors: dict[str, list[str]] | None = None,
        code: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, code=code, details=details)
        self.next_dates = next_dates or []
        self.errors = errors or {"form": [self.message]}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"detail": self.message, "code": self.code, "details": self.details}
        if self.next_dates:
            body["next_dates"] = [d.isoformat() for d in self.next_dates]
        return body


class CapacityFull(BookingError):
    default_code = "capacity_full"


class DuplicateSubmission(Exception):
    """The same form was submitted twice; ``booking`` is the one the first submit made."""

    def __init__(self, booking: Booking) -> None:
        super().__init__("duplicate submission")
        self.booking = booking


class LinkInvalid(DomainError):
    """A resident's booking link that cannot be used (expired, used, revoked, forged)."""

    status_code = 403
    default_code = "link_invalid"


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
    return str(django_settings.PORTAL_BASE_URL).rstrip("/") + reverse("bulky:resident-link", args=[token])


def _link_messages() -> dict[str, str]:
    return {
        "expired": _("このリンクは有効期限が切れています。LINEで「粗大ごみ」と送ると、新しいリンクをお送りします。"),
        "used": _("このリンクはすでに使用されています。LINEで「粗大ごみ」と送ると、新しいリンクをお送りします。"),
        "bad": _("このリンクは正しくありません。LINEで「粗大ごみ」と送って、新しいリンクを受け取ってください。"),
        "revoked": _(
            "このリンクは無効になっています（新しいリンクが発行されたか、有効期限切れです）。LINEで「粗大ごみ」と送ってください。"
        ),
    }


def link_check(*, token: str) -> BookingLink:
    """The link ``token`` names if it can still be used (nothing is written: opening the
    link with GET or HEAD, e.g. by a chat app's link preview, must not use it up).
    Raises ``LinkInvalid`` with the reason."""
    config = BulkySettings.load()
    text = _link_messages()
    try:
        nonce = signing.TimestampSigner(salt=LINK_SALT).unsign(token, max_age=dt.timedelta(minutes=config.link_ttl_minutes))
    except signing.SignatureExpired:
        raise LinkInvalid(text["expired"]) from None
    except signing.BadSignature:
        raise LinkInvalid(text["bad"]) from None
    link = BookingLink.objects.filter(nonce=nonce).select_related("resident").first()
    if link is None:
        raise LinkInvalid(text["bad"])
    if link.used_at is not None:
        raise LinkInvalid(text["used"])
    if link.expires_at <= timezone.now():
        # Revoked by a newer link, or simply expired.
        raise LinkInvalid(text["revoked"])
    if link.resident.status != Resident.Status.ACTIVE:
        raise LinkInvalid(text["expired"])
    return link


def link_consume(*, token: str) -> Resident:
    """Use a link once (the resident pressed the button on the link's page, a POST);
    returns its resident or raises ``LinkInvalid`` with the reason."""
    link = link_check(token=token)
    now = timezone.now()
    claimed = BookingLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=now).update(used_at=now)
    if claimed != 1:
        raise LinkInvalid(_link_messages()["used"])
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
    return CapacityFull(message, next_dates=upcoming, errors={"collection_date": [message]})


# -- booking ---------------------------------------------------------------------------------
@dataclass
class BookingDraft:
    """A booking request that passed every check (what the 確認 step shows)."""

    area: CollectionArea
    collection_date: dt.date
    lines: list[tuple[Item, int]]
    address: str
    phone: str

    @property
    def total_fee_yen(self) -> int:
        return sum(item.fee_yen * qty for item, qty in self.lines)

    @property
    def total_points(self) -> int:
        return sum(item.size_points * qty for item, qty in self.lines)


def _line_problems(quantities: Mapping[Any, Any], config: BulkySettings) -> tuple[list[tuple[Item, int]], list[str]]:
    wanted: dict[int, int] = {}
    problems: list[str] = []
    for raw_id, raw_qty in quantities.items():
        try:
            item_id, qty = int(raw_id), int(str(raw_qty or 0).strip() or 0)
        except (TypeError, ValueError):
            problems.append(_("品目または数量の指定が正しくありません。数量は半角数字で入力してください。"))
            continue
        if qty < 0:
            problems.append(_("数量は0以上で入力してください。"))
            continue
        if not 0 < item_id < 2**63 or qty > 10**6:  # no such item (and never a database overflow)
            problems.append(_("選択された品目は品目一覧にありません。一覧から選び直してください。"))
            continue
        if qty:
            wanted[item_id] = wanted.get(item_id, 0) + qty
    if not wanted and not problems:
        return [], [_("出す品目を1点以上選んでください。")]
    items = {item.pk: item for item in Item.objects.filter(pk__in=wanted, is_active=True)}
    lines = []
    for item_id, qty in wanted.items():
        item = items.get(item_id)
        if item is None:
            problems.append(_("選択された品目は品目一覧にありません。一覧から選び直してください。"))
            continue
        if not item.accepted:
            problems.append(
                _("「%(name)s」は粗大ごみとして収集できません（%(reason)s）。")
                % {"name": item.name, "reason": item.refusal_reason}
            )
            continue
        if qty > config.max_per_item:
            problems.append(_("「%(name)s」は1回の申込で%(max)d点までです。") % {"name": item.name, "max": config.max_per_item})
        lines.append((item, qty))
    if sum(qty for _item, qty in lines) > config.max_items_per_booking:
        problems.append(_("1回の申込で出せるのは合計%(max)d点までです。") % {"max": config.max_items_per_booking})
    return lines, list(dict.fromkeys(problems))


def booking_validate(
    *,
    area: CollectionArea | None,
    collection_date: dt.date | None,
    quantities: Mapping[Any, Any],
    address: str,
    phone: str,
    config: BulkySettings | None = None,
) -> BookingDraft:
    """Check a whole booking request and return it, or raise ``BookingError`` whose
    ``errors`` name every problem at once (by field), not only the first."""
    config = config or BulkySettings.load()
    errors: dict[str, list[str]] = {}
    lines, item_problems = _line_problems(quantities, config)
    if item_problems:
        errors["items"] = item_problems
    if area is None:
        errors["area"] = [_("収集地域を選んでください。")]
    address, phone = (address or "").strip(), (phone or "").strip()
    if not address:
        errors["address"] = [_("収集場所の住所を入力してください。")]
    elif len(address) > Booking._meta.get_field("address").max_length:  # type: ignore[operator]  # a CharField: max_length is set
        errors["address"] = [_("住所は200文字以内で入力してください。")]
    digits = "".join(c for c in phone if c.isdigit())
    if not phone:
        errors["phone"] = [_("電話番号を入力してください（例：092-123-4567）。")]
    elif not (10 <= len(digits) <= 11) or any(c not in "0123456789-() " for c in phone) or len(phone) > 20:
        errors["phone"] = [_("電話番号を正しく入力してください（例：092-123-4567）。")]
    if collection_date is None:
        errors["collection_date"] = [_("収集日を選んでください。")]
    elif area is not None:
        problem = selectors.date_problem(area=area, date=collection_date, settings=config)
        if problem:
            errors["collection_date"] = [problem]
    if not errors and area is not None and collection_date is not None:
        # Read only (the booking takes the points with its conditional UPDATE): a day that
        # filled up since the form was shown is named at the 確認 step already.
        points = sum(item.size_points * qty for item, qty in lines)
        day = CollectionDay.objects.filter(area=area, date=collection_date).first()
        remaining = (day.capacity_points - day.used_points) if day else area.capacity_points
        if remaining < points:
            raise _full_error(area, points, collection_date)
    if errors:
        first = next(iter(errors.values()))[0]
        raise BookingError(first, errors=errors)
    assert area is not None and collection_date is not None
    return BookingDraft(area=area, collection_date=collection_date, lines=lines, address=address, phone=phone)


def booking_create(
    *,
    resident: Resident,
    area: CollectionArea | None,
    collection_date: dt.date | None,
    quantities: Mapping[Any, Any],
    address: str,
    phone: str,
    idempotency_key: uuid.UUID | str | None = None,
) -> Booking:
    """Book a collection: validates items, limits and the date, takes capacity, numbers the
    booking (G-YYYY-NNNNNN) and pushes the summary. Raises BookingError (nothing changed;
    every problem in ``errors``), CapacityFull (with the next free dates) or DuplicateSubmission."""
    config = BulkySettings.load()
    if idempotency_key:
        existing = Booking.objects.filter(idempotency_key=idempotency_key).first()
        if existing is not None:
            raise DuplicateSubmission(existing)
    draft = booking_validate(
        area=area, collection_date=collection_date, quantities=quantities, address=address, phone=phone, config=config
    )
    area, collection_date, lines = draft.area, draft.collection_date, draft.lines
    points = draft.total_points
    collection_day_get(area=area, date=collection_date)
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                resident=resident,
                area=area,
                collection_date=collection_date,
                address=draft.address,
                phone=draft.phone,
                total_fee_yen=draft.total_fee_yen,
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
    from portal.line.sender import push_to_resident

    if booking.resident is None:  # personal data purged: nobody to tell
        return

    push_to_resident(resident=booking.resident, messages=[{"type": "text", "text": text}], purpose=purpose, dedupe_key=dedupe_key)


def _locked(booking: Booking, action: str | None = None) -> Booking:
    """The booking, its row locked, checked against the booking table (workflow.py): it
    decides which states ``action`` may start from, and what a refusal says."""
    from .workflow import WORKFLOW

    booking = Booking.objects.select_for_update(of=("self",)).select_related("resident", "area").get(pk=booking.pk)
    if action is not None:
        WORKFLOW.require(action, booking)
    return booking


def _given(text: str, missing: str) -> str:
    """``text`` stripped, or a refusal saying what is missing."""
    text = (text or "").strip()
    if not text:
        raise BookingError(missing)
    return text


def _move(
    booking: Booking,
    action: str,
    *,
    ctx: AuditContext,
    kind: str,
    text: str = "",
    detail: dict[str, Any] | None = None,
    release: bool = False,
    fields: tuple[str, ...] = (),
) -> None:
    """The locked ``booking`` goes to the table's target of ``action``: saved (with
    ``fields``), its points given back (``release``), its history written and, with
    ``text``, the resident told (once: the push's dedupe key is the booking's)."""
    from .workflow import WORKFLOW

    target = WORKFLOW.action(action).target
    assert target is not None
    booking.status = target
    booking.save(update_fields=["status", *fields, "updated_at"])
    if release:
        capacity_release(area_id=booking.area_id, date=booking.collection_date, points=booking.total_points)
    BookingEvent.objects.create(booking=booking, kind=kind, actor=ctx.actor, detail=detail or {})
    if text:
        _push(booking, text, f"bulky.{kind}", f"bulky-{kind}:{booking.pk}")


def booking_cancel(booking: Booking, *, ctx: AuditContext, by_resident: bool = True) -> Booking:
    """Cancel and give the capacity back. Residents may cancel only until the deadline."""
    with transaction.atomic():
        booking = _locked(booking, "cancel")
        if by_resident and not selectors.resident_can_cancel(booking=booking):
            raise BookingError(
                _("取消の期限（%(date)s）を過ぎています。取消は清掃事務所にお電話ください。")
                % {"date": selectors.format_date(selectors.cancel_deadline(booking=booking))}
            )
        text = _("粗大ごみの申込（受付番号：%(number)s、収集日：%(date)s）を取り消しました。") % {
            "number": booking.number,
            "date": selectors.format_date(booking.collection_date),
        }
        _move(booking, "cancel", ctx=ctx, kind="cancelled", text=text, detail={"by_resident": by_resident}, release=True)
    return booking


def booking_approve(booking: Booking, *, ctx: AuditContext) -> Booking:
    with transaction.atomic():
        booking = _locked(booking, "approve")
        text = _(
            "粗大ごみの申込（受付番号：%(number)s）を確認しました。収集日：%(date)s。朝8時までに処理券を貼って出してください。"
        ) % {"number": booking.number, "date": selectors.format_date(booking.collection_date)}
        _move(booking, "approve", ctx=ctx, kind="approved", text=text)
    return booking


def booking_reject(booking: Booking, *, ctx: AuditContext, reason: str) -> Booking:
    reason = _given(reason, _("却下の理由を入力してください。"))
    with transaction.atomic():
        booking = _locked(booking, "reject")
        if booking.personal_data_purged_at:
            raise BookingError(_("この申込はすでに取消または処理済みです。"))
        booking.rejection_reason = reason[:200]
        text = _("申し訳ありません。粗大ごみの申込（受付番号：%(number)s）はお受けできませんでした。\n理由：%(reason)s") % {
            "number": booking.number,
            "reason": reason[:200],
        }
        _move(
            booking,
            "reject",
            ctx=ctx,
            kind="rejected",
            text=text,
            detail={"reason": reason[:200]},
            release=True,
            fields=("rejection_reason",),
        )
    return booking


def booking_reschedule(booking: Booking, *, ctx: AuditContext, new_date: dt.date) -> Booking:
    """Move to another date of the same area: takes capacity there, releases the old day,
    in one transaction."""
    with transaction.atomic():
        booking = _locked(booking, "reschedule")
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
            booking=booking,
            kind="rescheduled",
            actor=ctx.actor,
            detail={"from": old_date.isoformat(), "to": new_date.isoformat()},
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


def booking_mark_collected(booking: Booking, *, ctx: AuditContext) -> Booking:
    """収集済: only a 確認済 booking (the desk reviews a 申込 first; see workflow.py)."""
    with transaction.atomic():
        booking = _locked(booking, "collect")
        _move(booking, "collect", ctx=ctx, kind="collected")
    return booking


def booking_add_note(booking: Booking, *, ctx: AuditContext, note: str) -> Booking:
    note = _given(note, _("メモを入力してください。"))
    with transaction.atomic():
        booking = _locked(booking)
        if booking.personal_data_purged_at:
            raise BookingError(_("保存期間を過ぎて個人情報を消去した申込には、メモを追加できません。"))
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        booking.staff_notes = (booking.staff_notes + "\n" if booking.staff_notes else "") + f"[{stamp}] {note}"
        booking.save(update_fields=["staff_notes", "updated_at"])
        BookingEvent.objects.create(booking=booking, kind="noted", actor=ctx.actor)
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


# -- set-up (every change audited as a field diff) ---------------------------------------------
SETTINGS_FIELDS = BulkySettings.EDITABLE_FIELDS
ITEM_FIELDS = ["name", "category", "fee_yen", "size_points", "accepted", "refusal_reason", "order", "is_active"]
AREA_FIELDS = ["weekdays", "capacity_points", "is_active"]


def bulky_settings_update(*, values: Mapping[str, Any], ctx: AuditContext) -> BulkySettings:
    """Save the waste desk's settings (the retention period included), audited as a diff."""
    from accounts.services import audit_changes, snapshot

    from .audit import AUDIT_SETTINGS_CHANGED

    with transaction.atomic():
        config = BulkySettings.objects.select_for_update().get(pk=BulkySettings.load().pk)
        before = snapshot(config, SETTINGS_FIELDS)
        for name in SETTINGS_FIELDS:
            if name in values:
                setattr(config, name, values[name])
        config.save()
        audit_changes(
            action=AUDIT_SETTINGS_CHANGED, before=before, after=snapshot(config, SETTINGS_FIELDS), ctx=ctx, target=config
        )
    return config


def item_save(*, item: Item | None, values: Mapping[str, Any], ctx: AuditContext) -> Item:
    """Create (``item=None``) or change a catalogue item, audited as a diff."""
    from accounts.services import audit_changes, snapshot

    from .audit import AUDIT_ITEM_CHANGED, AUDIT_ITEM_CREATED

    with transaction.atomic():
        # From the database: a ModelForm's validation has already changed ``item`` in memory.
        stored = Item.objects.select_for_update().filter(pk=item.pk).first() if item is not None and item.pk else None
        before = snapshot(stored, ITEM_FIELDS) if stored is not None else {}
        item = item or Item()
        for name in ITEM_FIELDS:
            if name in values:
                setattr(item, name, values[name])
        item.save()
        audit_changes(
            action=AUDIT_ITEM_CHANGED if before else AUDIT_ITEM_CREATED,
            before=before,
            after=snapshot(item, ITEM_FIELDS),
            ctx=ctx,
            target=item,
        )
    return item


def item_delete(*, item: Item, ctx: AuditContext) -> bool:
    """Delete an item no booking uses; an item in use is deactivated instead (it leaves the
    residents' form, its bookings keep it). Returns True when deleted, False when deactivated."""
    from accounts.services import audit_changes, snapshot

    from .audit import AUDIT_ITEM_DELETED

    with transaction.atomic():
        if not BookingLine.objects.filter(item=item).exists():
            before = snapshot(item, ITEM_FIELDS)
            item_id = item.pk
            item.delete()
            item.pk = item_id
            audit_changes(action=AUDIT_ITEM_DELETED, before=before, after={}, ctx=ctx, target=item)
            return True
    item_save(item=item, values={"is_active": False}, ctx=ctx)
    return False


def collection_area_update(
    *,
    collection_area: CollectionArea,
    weekdays: str,
    capacity_points: int,
    is_active: bool,
    ctx: AuditContext,
) -> CollectionArea:
    """Save an area's set-up, audited as a diff; future days get the new capacity, never
    below what is booked."""
    from django.db.models.functions import Greatest

    from accounts.services import audit_changes, snapshot

    from .audit import AUDIT_AREA_CHANGED

    with transaction.atomic():
        before = snapshot(collection_area, AREA_FIELDS)
        collection_area.weekdays = "".join(sorted(set(weekdays)))
        collection_area.capacity_points = capacity_points
        collection_area.is_active = is_active
        collection_area.save()
        CollectionDay.objects.filter(area=collection_area, date__gte=selectors.today()).update(
            capacity_points=Greatest(F("used_points"), capacity_points)
        )
        audit_changes(
            action=AUDIT_AREA_CHANGED,
            before=before,
            after=snapshot(collection_area, AREA_FIELDS),
            ctx=ctx,
            target=collection_area,
        )
    return collection_area


def _closure_values(closure: Closure) -> dict[str, Any]:
    return {
        "date": closure.date.isoformat(),
        "area": str(closure.area) if closure.area else _("全地域"),
        "reason": closure.reason,
    }


def closure_add(*, date: dt.date, area: CollectionArea | None, reason: str, ctx: AuditContext) -> Closure:
    from accounts.services import audit_changes

    from .audit import AUDIT_CLOSURE_ADDED

    with transaction.atomic():
        closure = Closure.objects.create(date=date, area=area, reason=reason)
        audit_changes(action=AUDIT_CLOSURE_ADDED, before={}, after=_closure_values(closure), ctx=ctx, target=closure)
    return closure


def closure_delete(*, closure: Closure, ctx: AuditContext) -> None:
    from accounts.services import audit_changes

    from .audit import AUDIT_CLOSURE_DELETED

    with transaction.atomic():
        before = _closure_values(closure)
        closure_id = closure.pk
        closure.delete()
        closure.pk = closure_id
        audit_changes(action=AUDIT_CLOSURE_DELETED, before=before, after={}, ctx=ctx, target=closure)


def collection_areas_ensure() -> None:
    """Every area of the city gets its collection set-up row (no collection days until set)."""
    from portal.line.models import Area

    for area in Area.objects.filter(bulky__isnull=True):
        CollectionArea.objects.get_or_create(area=area)


PURGE_BATCH = 1000


def bookings_purge_personal_data(*, cutoff: dt.datetime | dt.date | None = None) -> dict[str, int]:
    """Past the retention period counted from the collection date, whatever the booking's
    status: blank the address, phone, staff notes and rejection reason, unlink the
    resident, and empty the booking's history details; delete booking links that expired
    before the cut-off. Set-based, in batches, idempotent. Numbers, items and fees stay."""
    if cutoff is None:
        cutoff = timezone.now() - dt.timedelta(days=BulkySettings.load().retention_days)
    if isinstance(cutoff, dt.datetime):
        link_cutoff = cutoff
        cutoff = timezone.localdate(cutoff)
    else:
        link_cutoff = timezone.make_aware(dt.datetime.combine(cutoff, dt.time.min))
    now = timezone.now()
    due = Booking.objects.filter(collection_date__lt=cutoff, personal_data_purged_at__isnull=True)
    bookings = events = 0
    while True:
        with transaction.atomic():
            pks = list(due.order_by("pk").values_list("pk", flat=True)[:PURGE_BATCH])
            if not pks:
                break
            bookings += Booking.objects.filter(pk__in=pks).update(
                address="", phone="", staff_notes="", rejection_reason="", resident=None, personal_data_purged_at=now
            )
            events += BookingEvent.objects.filter(booking_id__in=pks).exclude(detail={}).update(detail={})
    links = 0
    while True:
        pks = list(BookingLink.objects.filter(expires_at__lt=link_cutoff).values_list("pk", flat=True)[:PURGE_BATCH])
        if not pks:
            break
        links += BookingLink.objects.filter(pk__in=pks).delete()[0]
    return {"bookings": bookings, "events": events, "links": links}
