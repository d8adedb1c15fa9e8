"""Bulky-garbage (粗大ごみ) catalogue, collection areas and days, bookings and residents'
single-use booking links. ``__str__`` of every model carries no personal data."""

import secrets

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.line.models import Area, Resident
from portal.models import OrderedActive

WEEKDAY_LABELS = [_("月"), _("火"), _("水"), _("木"), _("金"), _("土"), _("日")]


class BulkySettings(models.Model):
    """The one settings row (pk=1), editable in the portal."""

    # What the waste desk edits (the set-up form) and what its audited diff covers.
    EDITABLE_FIELDS = [
        "earliest_days_ahead",
        "latest_days_ahead",
        "cancel_deadline_days",
        "max_items_per_booking",
        "max_per_item",
        "link_ttl_minutes",
        "session_minutes",
        "retention_days",
        "close_national_holidays",
        "close_year_end",
        "year_end_from_day",
        "year_end_to_day",
        "payment_note",
    ]

    earliest_days_ahead = models.PositiveSmallIntegerField(_("予約受付開始（何日後から）"), default=3)
    latest_days_ahead = models.PositiveSmallIntegerField(_("予約受付終了（何日後まで）"), default=60)
    cancel_deadline_days = models.PositiveSmallIntegerField(
        _("キャンセル期限（収集日の何日前まで）"), default=2, help_text=_("収集日のこの日数前の23:59まで取消できます。")
    )
    max_items_per_booking = models.PositiveSmallIntegerField(_("1回の申込の最大点数"), default=10)
    max_per_item = models.PositiveSmallIntegerField(_("同一品目の最大点数"), default=5)
    link_ttl_minutes = models.PositiveSmallIntegerField(_("予約リンクの有効期間（分）"), default=30)
    session_minutes = models.PositiveSmallIntegerField(_("予約ページの利用時間（分）"), default=30)
    retention_days = models.PositiveSmallIntegerField(
        _("個人情報の保存期間（収集日から何日）"),
        default=180,
        help_text=_("この日数を過ぎた申込の住所・電話番号を消去します。"),
    )
    close_national_holidays = models.BooleanField(
        _("国民の祝日は収集しない"),
        default=True,
        help_text=_("祝日・振替休日・国民の休日（内閣府の公表どおり）を休止日にします。元日はこの設定にかかわらず休止です。"),
    )
    close_year_end = models.BooleanField(_("年末年始は収集しない"), default=True)
    year_end_from_day = models.PositiveSmallIntegerField(
        _("年末年始の休止開始（12月の日）"), default=29, help_text=_("例：29 → 12月29日から休止")
    )
    year_end_to_day = models.PositiveSmallIntegerField(
        _("年末年始の休止終了（1月の日）"), default=3, help_text=_("例：3 → 1月3日まで休止")
    )
    payment_note = models.TextField(
        _("支払方法の案内"),
        default="コンビニ等で「粗大ごみ処理券」を手数料分お買い求めのうえ、品物ごとに見やすい所に貼ってください。",
    )

    class Meta:
        verbose_name = _("粗大ごみ設定")
        verbose_name_plural = _("粗大ごみ設定")
        constraints = [
            models.CheckConstraint(condition=Q(latest_days_ahead__gte=F("earliest_days_ahead")), name="bulky_window_order"),
            models.CheckConstraint(
                condition=Q(year_end_from_day__gte=1, year_end_from_day__lte=31, year_end_to_day__gte=1, year_end_to_day__lte=31),
                name="bulky_year_end_days",
            ),
        ]

    def __str__(self) -> str:
        return "粗大ごみ設定"

    @classmethod
    def load(cls) -> "BulkySettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


# The highest fee per item staff may set: with the per-booking item limit (at most 32,767)
# every booking's total stays within its column (2,147,483,647 yen).
MAX_ITEM_FEE_YEN = 50_000


class Item(OrderedActive):
    """A catalogue item; items the city refuses are listed with the reason."""

    name = models.CharField(_("品目名"), max_length=60, unique=True)
    category = models.CharField(_("分類"), max_length=40, blank=True)
    fee_yen = models.PositiveIntegerField(_("手数料（円）"), default=0)
    size_points = models.PositiveSmallIntegerField(_("サイズ点数"), default=1)
    accepted = models.BooleanField(_("収集対象"), default=True)
    refusal_reason = models.CharField(_("収集しない理由"), max_length=120, blank=True)

    class Meta(OrderedActive.Meta):
        verbose_name = _("品目")
        verbose_name_plural = _("品目")
        constraints = [
            models.CheckConstraint(condition=Q(accepted=True) | ~Q(refusal_reason=""), name="bulky_item_refusal_reason"),
            models.CheckConstraint(condition=Q(size_points__gte=1), name="bulky_item_points_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class CollectionArea(models.Model):
    """Collection set-up of one of the city's areas: weekdays and a daily capacity."""

    area = models.OneToOneField(Area, verbose_name=_("地域"), on_delete=models.CASCADE, related_name="bulky")
    # Weekdays as digits, Monday = 0 ("14" = Tuesday and Friday).
    weekdays = models.CharField(_("収集曜日"), max_length=7, default="")
    capacity_points = models.PositiveIntegerField(_("1日の収集能力（点）"), default=40)
    is_active = models.BooleanField(_("受付中"), default=True)

    class Meta:
        ordering = ["area__order", "area_id"]
        verbose_name = _("収集地域")
        verbose_name_plural = _("収集地域")

    def __str__(self) -> str:
        return str(self.area)

    @property
    def weekday_numbers(self) -> list[int]:
        return sorted({int(c) for c in self.weekdays if c.isdigit() and int(c) < 7})

    @property
    def weekday_display(self) -> str:
        return "・".join(str(WEEKDAY_LABELS[n]) for n in self.weekday_numbers)


class Closure(models.Model):
    """A holiday or closure: no collection on that date (in one area, or everywhere)."""

    date = models.DateField(_("日付"))
    area = models.ForeignKey(
        CollectionArea, verbose_name=_("地域"), null=True, blank=True, on_delete=models.CASCADE, help_text=_("空欄は全地域")
    )
    reason = models.CharField(_("理由"), max_length=80)

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("休止日")
        verbose_name_plural = _("休止日")

    def __str__(self) -> str:
        return f"休止日 {self.date}"


class CollectionDay(models.Model):
    """Capacity of one area on one date. Bookings take points with a conditional UPDATE
    (services.capacity_take); the check constraint makes an overbooking impossible."""

    area = models.ForeignKey(CollectionArea, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    capacity_points = models.PositiveIntegerField()
    used_points = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["date", "area_id"]
        constraints = [
            models.UniqueConstraint(fields=["area", "date"], name="bulky_day_unique"),
            models.CheckConstraint(condition=Q(used_points__lte=F("capacity_points")), name="bulky_day_not_overbooked"),
        ]

    def __str__(self) -> str:
        return f"収集日#{self.pk} {self.date}"

    @property
    def remaining_points(self) -> int:
        return max(self.capacity_points - self.used_points, 0)


class Booking(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("申込")
        CONFIRMED = "confirmed", _("確認済")
        COLLECTED = "collected", _("収集済")
        REJECTED = "rejected", _("却下")
        CANCELLED = "cancelled", _("キャンセル")

    ACTIVE_STATUSES = (Status.SUBMITTED, Status.CONFIRMED)

    number = models.CharField(_("受付番号"), max_length=20, unique=True, null=True, blank=True)
    # Unlinked (NULL) when the personal data is purged after the retention period.
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.PROTECT, related_name="bulky_bookings")
    area = models.ForeignKey(CollectionArea, verbose_name=_("地域"), on_delete=models.PROTECT, related_name="bookings")
    collection_date = models.DateField(_("収集日"), db_index=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    address = models.CharField(_("収集場所の住所"), max_length=200)
    phone = models.CharField(_("電話番号"), max_length=20)
    total_fee_yen = models.PositiveIntegerField(_("手数料合計（円）"), default=0)
    total_points = models.PositiveIntegerField(_("点数合計"), default=0)
    rejection_reason = models.CharField(_("却下理由"), max_length=200, blank=True)
    staff_notes = models.TextField(_("職員メモ"), blank=True)
    # The booking form's one-time token: a double submit finds this row instead of booking twice.
    idempotency_key = models.UUIDField(null=True, blank=True, unique=True)
    created_at = models.DateTimeField(_("申込日時"), default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    personal_data_purged_at = models.DateTimeField(_("個人情報消去日時"), null=True, blank=True)

    class Meta:
        ordering = ["collection_date", "id"]
        verbose_name = _("粗大ごみ申込")
        verbose_name_plural = _("粗大ごみ申込")
        indexes = [models.Index(fields=["area", "collection_date", "status"], name="bulky_booking_queue_idx")]

    def __str__(self) -> str:
        return self.number or f"申込#{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class BookingLine(models.Model):
    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, verbose_name=_("品目"), on_delete=models.PROTECT)
    quantity = models.PositiveSmallIntegerField(_("数量"))
    fee_yen = models.PositiveIntegerField(_("単価（円）"))  # as at booking time
    size_points = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(quantity__gte=1), name="bulky_line_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.item} × {self.quantity}"

    @property
    def subtotal_yen(self) -> int:
        return self.fee_yen * self.quantity


class BookingLink(models.Model):
    """A single-use link sent in the chat. The URL carries a signed random nonce, never the
    LINE user ID; the nonce row binds it to the resident and records its use."""

    nonce = models.CharField(max_length=64, unique=True)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="bulky_links")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"予約リンク#{self.pk}"


class BookingEvent(models.Model):
    """History of a booking (status changes, reschedules, notes)."""

    KIND_LABELS = {
        "created": _("申込"),
        "approved": _("確認済にした"),
        "rejected": _("却下"),
        "rescheduled": _("収集日の変更"),
        "cancelled": _("キャンセル"),
        "collected": _("収集済にした"),
        "noted": _("メモ追加"),
    }

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"申込履歴#{self.pk} {self.kind}"

    @property
    def kind_label(self) -> str:
        return str(self.KIND_LABELS.get(self.kind, self.kind))


def new_nonce() -> str:
    """256 random bits, as 64 hex characters."""
    return secrets.token_hex(32)
