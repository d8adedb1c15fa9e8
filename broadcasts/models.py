"""Broadcasts: what is sent (bubbles, images), to whom (segment), its approval state, and
the delivery batches (the recipient snapshot, ≤ 500 LINE user ids per batch)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

MIN_RECIPIENTS = 50
MAX_BUBBLES = 5
TEXT_MAX = 5000
BATCH_SIZE = 500


class Approvable(models.Model):
    """What a broadcast and a recurring series share as a thing one staff member drafts and
    another approves (four-eyes): who wrote and approved it, and when."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("起案者"), on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承認者"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class ApprovalComment(models.Model):
    """A note on an approval thread (差し戻し理由, 承認コメント …); the thread's owner is the
    concrete model's foreign key."""

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=32, blank=True)
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "id"]


class Editor(models.Model):
    """Someone who created or edited the content or targeting of the concrete model's
    foreign key: none of them may approve it (four-eyes)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    first_edit_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Broadcast(Approvable):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        PENDING = "pending", _("承認待ち")
        APPROVED = "approved", _("承認済")
        SCHEDULED = "scheduled", _("予約済")
        SENDING = "sending", _("配信中")
        DONE = "done", _("配信完了")
        PARTIAL = "partial", _("一部失敗")
        CANCELLED = "cancelled", _("中止")
        RETURNED = "returned", _("差し戻し")

    class Kind(models.TextChoices):
        NORMAL = "normal", _("通常配信")
        EMERGENCY = "emergency", _("緊急配信（災害時）")

    class Audience(models.TextChoices):
        ALL = "all", _("友だち全員")
        SEGMENT = "segment", _("属性で絞り込み")

    class HaltReason(models.TextChoices):
        NONE = "", ""
        BELOW_MINIMUM = "below_minimum", _("配信対象者が最低配信人数（50人）を下回ったため配信しませんでした。")
        CANCELLED_BY_STAFF = "cancelled", _("職員が配信を中止しました。")

    title = models.CharField(_("管理用タイトル"), max_length=100)
    kind = models.CharField(_("種別"), max_length=16, choices=Kind.choices, default=Kind.NORMAL)
    audience = models.CharField(_("配信範囲"), max_length=16, choices=Audience.choices, default=Audience.ALL)
    # Segment: OR inside one dimension, AND across dimensions; an empty list = no condition.
    age_bands = models.JSONField(_("年代"), default=list, blank=True)
    area_ids = models.JSONField(_("地域"), default=list, blank=True)
    interest_ids = models.JSONField(_("関心分野"), default=list, blank=True)
    # The admin-defined dimensions (性別, 子どもの年代, 校区 …): {"<dimension id>": [option ids]}.
    dimension_filters = models.JSONField(_("その他の属性"), default=dict, blank=True)
    exclude_broadcast = models.ForeignKey(
        "self",
        verbose_name=_("除外する過去の配信"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    halt_reason = models.CharField(_("中止理由"), max_length=32, choices=HaltReason.choices, blank=True, default="")
    scheduled_at = models.DateTimeField(_("予約日時"), null=True, blank=True, db_index=True)
    # The Messaging API payload, frozen when sending starts (every batch sends the same).
    line_payload = models.JSONField(default=list, blank=True, editable=False)
    # The translated variants frozen with line_payload: {language code: messages}.
    line_payloads = models.JSONField(default=dict, blank=True, editable=False)
    # PostgreSQL snapshots in steps (sending begins after the first): the last resident id
    # frozen so far, so a redelivered start task resumes where the killed one stopped.
    snapshot_position = models.BigIntegerField(null=True, blank=True, editable=False)
    # Exact snapshot size (≥ 50 unless 友だち全員): never shown. What pages, the API and
    # CSVs show is ``recipients_noisy`` (drawn once from a discrete Gaussian when the
    # snapshot is complete, see privacy.py), rounded by privacy.figure().
    recipients_total = models.PositiveIntegerField(_("配信対象者数"), default=0)
    recipients_noisy = models.IntegerField(null=True, blank=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta(Approvable.Meta):
        verbose_name = _("配信")
        verbose_name_plural = _("配信")

    def __str__(self) -> str:
        # What the audit log's 対象 column shows after 「配信」: the title staff know it by
        # (a staff-written 管理用タイトル, never shown to residents), and its number.
        return f"「{self.title}」（#{self.pk}）" if self.title else f"#{self.pk}"

    @property
    def is_editable(self) -> bool:
        """Until sending starts (the workflow table's 編集 sources)."""
        from .workflow import EDITABLE

        return self.status in EDITABLE

    @property
    def is_segment(self) -> bool:
        return self.audience == self.Audience.SEGMENT

    @property
    def is_emergency(self) -> bool:
        return self.kind == self.Kind.EMERGENCY


class BroadcastImage(models.Model):
    """An uploaded image, re-encoded as JPEG (EXIF dropped) in the two sizes LINE takes.
    Served publicly (LINE's servers fetch it) under an unguessable token."""

    token = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    original = models.FileField(upload_to="broadcasts/images/")
    preview = models.FileField(upload_to="broadcasts/images/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"配信画像#{self.pk}"


class Bubble(models.Model):
    """One message bubble: text or image, in order (≤ 5 per broadcast)."""

    class Type(models.TextChoices):
        TEXT = "text", _("テキスト")
        IMAGE = "image", _("画像")

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="bubbles")
    position = models.PositiveSmallIntegerField(default=0)
    type = models.CharField(max_length=8, choices=Type.choices, default=Type.TEXT)
    text = models.TextField(blank=True, max_length=TEXT_MAX)
    image = models.ForeignKey(BroadcastImage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A text bubble's translations: {language code (portal.line.language): text}; residents
    # who chose that language get it instead of ``text`` (broadcasts/fanout.py).
    translations = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"吹き出し#{self.pk}"

    @property
    def translation_list(self) -> list[dict[str, str]]:
        """[{code, name, text}] in the order of the languages (for the pages)."""
        from portal.line.language import NAMES, TRANSLATION_LANGUAGES

        found = self.translations or {}
        return [{"code": c, "name": NAMES[c], "text": found[c]} for c in TRANSLATION_LANGUAGES if found.get(c)]


class Comment(ApprovalComment):
    """A note on a broadcast's approval thread."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="comments")

    def __str__(self) -> str:
        return f"コメント#{self.pk}"


class Batch(models.Model):
    """One LINE request: a multicast to ≤ 500 recipients (the snapshot lives here, as a
    compact list of LINE user ids), or the single broadcast-endpoint call of an emergency
    broadcast. The retry key is saved with the row, before the first attempt."""

    class Status(models.TextChoices):
        PENDING = "pending", _("送信待ち")
        SENDING = "sending", _("送信中")
        DONE = "done", _("送信済")
        FAILED = "failed", _("失敗")

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    retry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.CharField(max_length=16, default="multicast")
    # The recipients' language when the broadcast has a translation in it ("" = Japanese):
    # every recipient of a batch gets the same variant (broadcasts/fanout.py).
    language = models.CharField(max_length=8, blank=True, default="")
    line_user_ids = models.JSONField(default=list)
    size = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    line_request_id = models.CharField(max_length=64, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, null=True)
    # The lease of the task sending it (broadcasts/fanout.py): until then no other task
    # sends it; ``locked_by`` is that task's id (its own retry may take the lease back).
    locked_until = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["broadcast", "number"], name="batch_number_unique")]
        indexes = [models.Index(fields=["broadcast", "status"], name="batch_progress_idx")]

    def __str__(self) -> str:
        return f"配信バッチ#{self.pk}"


class ReachCell(models.Model):
    """How many reachable residents (friends, not 配信停止) share one combination of age
    band × area × interest bits. Rebuilt every minute (beat) so that a reach *estimate* sums
    a few thousand cells instead of counting a million residents; the 50-recipient rule
    never uses these, it counts live residents."""

    age_band = models.CharField(max_length=8, blank=True)
    area_id = models.BigIntegerField(null=True, blank=True)
    interest_bits = models.BigIntegerField(default=0)
    residents = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reach-cell#{self.pk}"


class BroadcastEditor(Editor):
    """Someone who created or edited a broadcast's content or targeting."""

    broadcast = models.ForeignKey(Broadcast, on_delete=models.CASCADE, related_name="editors")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["broadcast", "user"], name="broadcast_editor_unique")]

    def __str__(self) -> str:
        return f"配信編集者#{self.pk}"


class ReachNoiseEpoch(models.Model):
    """The persistent half of the release noise (one discrete-Gaussian draw per cell of
    every level, for one epoch, on one domain of cells). Secret: never shown. Every
    release of the epoch adds it to fresh noise, so averaging releases converges to
    (count + this noise), not to the count (privacy.py, PRIVACY.md)."""

    domain_key = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    noise = models.JSONField(default=dict)

    def __str__(self) -> str:
        return f"reach-noise-epoch#{self.pk}"


class ReachRelease(models.Model):
    """One differentially private release of the reach cells (every level noised), the
    only source of resident counts shown anywhere. Published on a schedule
    (``BROADCAST_PRIVACY_RELEASE_HOURS``); every figure is post-processing of it."""

    created_at = models.DateTimeField(db_index=True)
    epoch = models.ForeignKey(ReachNoiseEpoch, on_delete=models.PROTECT, related_name="releases")
    domain = models.JSONField(default=dict)
    levels = models.JSONField(default=dict)
    sigmas = models.JSONField(default=dict)
    rho = models.FloatField()
    epsilon = models.FloatField()
    delta = models.FloatField()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"reach-release#{self.pk}"


class EstimateUsage(models.Model):
    """How many reach estimates a staff member asked for on one day (audited in aggregate
    by the daily job ``broadcasts.audit_estimate_usage``)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    questions = models.PositiveIntegerField(default=0)
    audited = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="estimate_usage_unique")]

    def __str__(self) -> str:
        return f"estimate-usage#{self.pk}"


class BroadcastResult(models.Model):
    """What LINE counted for a sent broadcast (broadcasts/results.py fetches it): LINE's exact
    aggregates, shown only through privacy.figure() (under 50: 「50人未満」)."""

    class State(models.TextChoices):
        WAITING = "waiting", _("集計待ち")
        READY = "ready", _("集計済み")
        FINAL = "final", _("確定")

    broadcast = models.OneToOneField(Broadcast, on_delete=models.CASCADE, related_name="result")
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    delivered = models.PositiveIntegerField(null=True, blank=True)  # broadcast endpoint only (LINE's count)
    opened = models.PositiveIntegerField(null=True, blank=True)  # unique impressions
    clicked = models.PositiveIntegerField(null=True, blank=True)  # unique clicks
    per_bubble = models.JSONField(default=list, blank=True)  # [{"seq", "opened"}]
    per_url = models.JSONField(default=list, blank=True)  # [{"seq", "url", "clicked"}]
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=200, blank=True)
    fetched_at = models.DateTimeField(null=True, blank=True)
    next_fetch_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("配信結果")
        verbose_name_plural = _("配信結果")

    def __str__(self) -> str:
        return f"result of broadcast {self.broadcast_id}"


class FriendsDay(models.Model):
    """LINE's friend figures of one day (insight followers): exact aggregates, shown rounded."""

    day = models.DateField(unique=True)
    followers = models.PositiveIntegerField(null=True, blank=True)
    targeted_reaches = models.PositiveIntegerField(null=True, blank=True)
    blocks = models.PositiveIntegerField(null=True, blank=True)
    fetched_at = models.DateTimeField()

    class Meta:
        ordering = ["day"]
        verbose_name = _("友だち数（日別）")
        verbose_name_plural = _("友だち数（日別）")

    def __str__(self) -> str:
        return f"friends on {self.day}"
