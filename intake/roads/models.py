"""Road-damage reports: categories and teams, reports, photos, timeline, notes, reply
templates and Open311 API keys.

``__str__`` of every model here carries no personal data (audit entries use it).
"""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.line.models import Area, Resident
from portal.models import OrderedActive


class Team(models.Model):
    """A maintenance team (道路維持課 東部 …) to which categories route reports."""

    code = models.SlugField(_("コード"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=80)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("担当班")
        verbose_name_plural = _("担当班")

    def __str__(self) -> str:
        return self.name


class Category(OrderedActive):
    """A kind of damage; residents pick one in the chat. Routed to a team."""

    code = models.SlugField(_("コード"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    team = models.ForeignKey(Team, verbose_name=_("担当班"), null=True, blank=True, on_delete=models.SET_NULL)
    emergency_phone = models.CharField(_("緊急連絡先電話番号"), max_length=20)
    description = models.CharField(_("説明"), max_length=200, blank=True)

    class Meta(OrderedActive.Meta):
        verbose_name = _("通報種別")
        verbose_name_plural = _("通報種別")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    RECEIVED = "received", _("受付")
    CHECKING = "checking", _("確認中")
    PLANNED = "planned", _("対応予定")
    IN_PROGRESS = "in_progress", _("対応中")
    DONE = "done", _("完了")
    REJECTED = "rejected", _("対応不可")
    DUPLICATE = "duplicate", _("重複")


class Priority(models.IntegerChoices):
    LOW = 1, _("低")
    NORMAL = 2, _("通常")
    HIGH = 3, _("高")
    URGENT = 4, _("緊急")


class ReferenceCounter(models.Model):
    """The last reference number handed out in a year (R-YYYY-NNNNNN)."""

    year = models.PositiveIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"reference-counter {self.year}"


class RoadReport(models.Model):
    # Set on the rows a page lists, for its template (views.py, selectors.with_photo_counts).
    detail_url: str
    pinned: bool

    class Source(models.TextChoices):
        LINE = "line", _("LINE")
        OPEN311 = "open311", _("Open311")

    class LocationSource(models.TextChoices):
        NONE = "", _("なし")
        LINE = "line", _("位置情報")
        EXIF = "exif", _("写真の位置情報")
        ADDRESS = "address", _("住所・目印")
        API = "api", _("API")

    reference = models.CharField(_("受付番号"), max_length=16, unique=True)
    source = models.CharField(_("受付経路"), max_length=16, choices=Source.choices, default=Source.LINE)
    resident = models.ForeignKey(
        Resident, verbose_name=_("住民"), null=True, blank=True, on_delete=models.SET_NULL, related_name="road_reports"
    )
    category = models.ForeignKey(Category, verbose_name=_("種別"), on_delete=models.PROTECT)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    priority = models.PositiveSmallIntegerField(_("優先度"), choices=Priority.choices, default=Priority.NORMAL)
    team = models.ForeignKey(Team, verbose_name=_("担当班"), null=True, blank=True, on_delete=models.SET_NULL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("担当者"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    area = models.ForeignKey(Area, verbose_name=_("地域"), null=True, blank=True, on_delete=models.SET_NULL)
    latitude = models.FloatField(_("緯度"), null=True, blank=True)
    longitude = models.FloatField(_("経度"), null=True, blank=True)
    location_source = models.CharField(_("位置の出典"), max_length=8, choices=LocationSource.choices, blank=True)
    address_text = models.CharField(_("住所・目印"), max_length=200, blank=True)
    # A GPS position read from a photo's EXIF, offered to staff when no location was sent.
    hint_latitude = models.FloatField(null=True, blank=True)
    hint_longitude = models.FloatField(null=True, blank=True)
    comment = models.TextField(_("コメント"), blank=True, max_length=1000)
    is_private = models.BooleanField(_("非公開（Open311に出さない）"), default=False)
    # Open311 shows a report once staff triaged it (left 受付) or published it here, and only
    # what staff wrote for the public: never the resident's address or comment.
    is_published = models.BooleanField(_("公開（受付中でもOpen311に出す）"), default=False)
    public_description = models.CharField(_("公開用の説明"), max_length=500, blank=True)
    public_address = models.CharField(_("公開用の住所"), max_length=200, blank=True)
    # The resident answered 「はい、危険です」 in the chat (filed with 優先度 緊急).
    is_dangerous = models.BooleanField(_("危険"), default=False)
    personal_data_purged_at = models.DateTimeField(_("個人情報の削除日時"), null=True, blank=True)
    possible_duplicate_of = models.ForeignKey(
        "self", verbose_name=_("重複の可能性"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    duplicate_of = models.ForeignKey(
        "self", verbose_name=_("統合先"), null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_reports"
    )
    # A resident wrote about this report after it was closed: staff should look.
    needs_attention = models.BooleanField(_("住民から追加連絡あり"), default=False)
    created_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新日時"), default=timezone.now)
    closed_at = models.DateTimeField(_("完了・終了日時"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("道路損傷通報")
        verbose_name_plural = _("道路損傷通報")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="roadreport_status_created"),
            models.Index(fields=["-created_at", "-id"], name="roadreport_created"),
            models.Index(fields=["category", "status", "latitude"], name="roadreport_dup_lookup"),
            models.Index(fields=["team", "status"], name="roadreport_team_status"),
            models.Index(fields=["assignee", "status"], name="roadreport_assignee_status"),
            models.Index(fields=["-updated_at", "-id"], name="roadreport_updated"),
            models.Index(fields=["-priority", "-created_at", "-id"], name="roadreport_priority"),
            models.Index(fields=["closed_at"], name="roadreport_closed"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def has_location(self) -> bool:
        return self.latitude is not None and self.longitude is not None


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class ReportPhoto(models.Model):
    """A photo of a report. The original stays in PRIVATE_MEDIA_ROOT; staff see a derived,
    orientation-corrected copy with no EXIF (``display_path``) and a thumbnail."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("住民の写真")
        AFTER = "after", _("補修後の写真")

    class State(models.TextChoices):
        PENDING = "pending", _("取得待ち")
        READY = "ready", _("取得済")
        REJECTED = "rejected", _("不適合")

    report = models.ForeignKey(RoadReport, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    # Before the report exists (the resident is still in the chat) the photo hangs on them.
    resident = models.ForeignKey(Resident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.RESIDENT)
    line_message_id = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    reject_reason = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    original_path = models.CharField(max_length=200, blank=True)
    display_path = models.CharField(max_length=200, blank=True)
    thumb_path = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=40, blank=True)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    gps_latitude = models.FloatField(null=True, blank=True)
    gps_longitude = models.FloatField(null=True, blank=True)
    hidden = models.BooleanField(_("非表示"), default=False)
    redactions = models.JSONField(default=list, blank=True)  # [[x, y, w, h], …] in fractions of the image
    publishable = models.BooleanField(_("公開可"), default=False)
    public_token = models.CharField(max_length=64, unique=True, default=new_public_token)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"road-photo#{self.pk}"

    @property
    def is_public(self) -> bool:
        return self.publishable and not self.hidden and self.state == self.State.READY


class TimelineEntry(models.Model):
    """What the resident sees (or said): status changes, messages sent, follow-ups."""

    class Kind(models.TextChoices):
        STATUS = "status", _("状態の変更")
        MESSAGE = "message", _("住民への連絡")
        RESIDENT = "resident", _("住民からの連絡")
        MERGED = "merged", _("統合")

    report = models.ForeignKey(RoadReport, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status_from = models.CharField(max_length=16, choices=Status.choices, blank=True)
    status_to = models.CharField(max_length=16, choices=Status.choices, blank=True)
    text = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    photo = models.ForeignKey(ReportPhoto, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"road-timeline#{self.pk} {self.kind}"


class InternalNote(models.Model):
    """Staff-only notes: never shown or sent to residents."""

    report = models.ForeignKey(RoadReport, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("内部メモ"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"road-note#{self.pk}"


class ResponseTemplate(models.Model):
    """An editable Japanese reply to residents for a status (and optionally a category)."""

    name = models.CharField(_("名称"), max_length=60)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("種別"), null=True, blank=True, on_delete=models.CASCADE, help_text=_("空欄: すべての種別")
    )
    text = models.TextField(_("本文"), max_length=1000)
    is_active = models.BooleanField(_("有効"), default=True)

    class Meta:
        ordering = ["status", "category_id", "id"]
        verbose_name = _("返信テンプレート")
        verbose_name_plural = _("返信テンプレート")

    def __str__(self) -> str:
        return self.name


class ApiKey(models.Model):
    """An Open311 API key issued by an admin; only its hash is stored."""

    name = models.CharField(_("名称（利用者）"), max_length=80)
    prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    is_active = models.BooleanField(_("有効"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Open311 APIキー")
        verbose_name_plural = _("Open311 APIキー")

    def __str__(self) -> str:
        # The audit log's 対象 (after 「Open311 APIキー」): the user's name and the key's start.
        return f"{self.name}（{self.prefix}…）"
