"""Residents (the city's LINE friends), their 受信設定, webhook events, chat state and
outbound pushes. Features (broadcasts, intake) read these; the LINE layer imports no feature.

``__str__`` of every model here carries no personal data: audit entries and logs use it.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.models import OrderedActive

from .language import Language

# Bits of ``Resident.answer_bits`` (a signed 64-bit integer: bits 0–62), one per option.
ANSWER_BITS = 63


class AgeBand(models.TextChoices):
    """LINE's age bands, as in LINE Official Account Manager."""

    UNDER_15 = "0-14", _("〜14歳")
    AGE_15_19 = "15-19", _("15〜19歳")
    AGE_20_24 = "20-24", _("20〜24歳")
    AGE_25_29 = "25-29", _("25〜29歳")
    AGE_30_34 = "30-34", _("30〜34歳")
    AGE_35_39 = "35-39", _("35〜39歳")
    AGE_40_44 = "40-44", _("40〜44歳")
    AGE_45_49 = "45-49", _("45〜49歳")
    OVER_50 = "50+", _("50歳〜")


class Area(OrderedActive):
    """An area of the city (demo: Fukuoka's 7 wards). Editable by admins."""

    code = models.SlugField(_("コード"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)

    class Meta(OrderedActive.Meta):
        verbose_name = _("地域")
        verbose_name_plural = _("地域")

    def __str__(self) -> str:
        return self.name


class AreaBoundary(models.Model):
    """An area's optional boundary: a GeoJSON (Multi)Polygon in WGS 84 (``portal.geo``).
    It places road reports in the area where the damage is and draws the maps' base layer.
    Kept apart from Area so that the many pages listing areas never load the polygons."""

    area = models.OneToOneField(Area, primary_key=True, on_delete=models.CASCADE, related_name="boundary")
    geometry = models.JSONField(_("境界（GeoJSON）"))
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("地域の境界")
        verbose_name_plural = _("地域の境界")

    def __str__(self) -> str:
        return f"{self.area.name}"


class Interest(OrderedActive):
    """An interest segment (子育て, 防災 …). Residents' interests are a bit set
    (``Resident.interest_bits``), so each interest owns one bit (0–62)."""

    code = models.SlugField(_("コード"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    bit = models.PositiveSmallIntegerField(_("ビット番号"), unique=True)

    class Meta(OrderedActive.Meta):
        verbose_name = _("関心分野")
        verbose_name_plural = _("関心分野")
        constraints = [models.CheckConstraint(condition=models.Q(bit__lte=62), name="interest_bit_range")]

    def __str__(self) -> str:
        return self.name

    @property
    def mask(self) -> int:
        return 1 << self.bit


class Resident(models.Model):
    """A resident who is (or was) a friend of the city's LINE account."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("友だち")
        BLOCKED = "blocked", _("ブロック")

    line_user_id = models.CharField(_("LINEユーザーID"), max_length=64, unique=True)
    display_name = models.CharField(_("表示名"), max_length=100, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    # 配信停止: the resident asked to stop segment deliveries (emergency broadcasts still go).
    segment_opt_out = models.BooleanField(_("配信停止"), default=False)
    age_band = models.CharField(_("年代"), max_length=8, choices=AgeBand.choices, blank=True)
    area = models.ForeignKey(Area, verbose_name=_("地域"), null=True, blank=True, on_delete=models.SET_NULL)
    interest_bits = models.BigIntegerField(_("関心分野"), default=0)
    # The bits (``DimensionOption.bit``) of the options the resident chose (``ResidentAnswer``),
    # kept by database triggers on the answers (migration 0004), never written by code: the
    # exact counts with admin-defined dimensions are kept per cell of it (``AnswerCount``).
    answer_bits = models.BigIntegerField(default=0, db_default=0, editable=False)
    consented_at = models.DateTimeField(_("属性登録の同意日時"), null=True, blank=True)
    # Chosen in 受信設定 (blank: not chosen; answers then follow each message's language). The
    # database keeps the default too: rows written by raw SQL (seed_demo's COPY, the bench, the
    # resident-count tests) name no language.
    language = models.CharField(_("言語"), max_length=8, choices=Language.choices, blank=True, default="", db_default="")
    followed_at = models.DateTimeField(_("友だち追加日時"), default=timezone.now)
    blocked_at = models.DateTimeField(_("ブロック日時"), null=True, blank=True)
    purged_at = models.DateTimeField(_("個人情報削除日時"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("住民")
        verbose_name_plural = _("住民")
        indexes = [
            models.Index(fields=["status", "segment_opt_out", "area", "age_band"], name="resident_segment_idx"),
        ]

    def __str__(self) -> str:
        return f"住民#{self.pk}"

    @property
    def is_reachable(self) -> bool:
        return self.status == self.Status.ACTIVE


class WebhookEvent(models.Model):
    """A webhook event, stored before the webhook answers 200; processed by Celery."""

    class State(models.TextChoices):
        PENDING = "pending", _("未処理")
        DONE = "done", _("処理済")
        FAILED = "failed", _("失敗")

    webhook_event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=32)
    payload = models.JSONField()
    is_redelivery = models.BooleanField(default=False)
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # A worker claims the event with one conditional UPDATE setting this lease, so an event
    # enqueued twice is processed once; a crashed worker's lease expires.
    locked_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"webhook-event#{self.pk} {self.event_type}"


class Conversation(models.Model):
    """A resident's current chat flow (受信設定, 通報, 粗大ごみ …); expires after 30 minutes."""

    resident = models.OneToOneField(Resident, on_delete=models.CASCADE, related_name="conversation")
    flow = models.CharField(max_length=32)
    step = models.CharField(max_length=32)
    data = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"conversation#{self.pk} {self.flow}:{self.step}"


class OutboundMessage(models.Model):
    """One push to one resident through the shared sender. The retry key is saved before
    the first attempt, so every retry of this push carries the same ``X-Line-Retry-Key``."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("送信待ち")
        SENT = "sent", _("送信済")
        FAILED = "failed", _("失敗")
        SKIPPED = "skipped", _("送信対象外")

    retry_key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Callers pass a dedupe key (e.g. "bulky-reminder:42") so a job that runs twice pushes once.
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="outbound_messages")
    messages = models.JSONField()
    purpose = models.CharField(max_length=64)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED, db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    line_request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"outbound#{self.pk} {self.purpose} {self.status}"


# -- the LINE layer's own state -------------------------------------------------------------
class RateLimitBucket(models.Model):
    """A token bucket shared by every process (used when no Redis is configured)."""

    name = models.CharField(max_length=64, unique=True)
    tokens = models.FloatField(default=0)
    updated = models.FloatField(default=0)  # UNIX time of the last refill

    def __str__(self) -> str:
        return f"bucket {self.name}"


class LineSettings(models.Model):
    """Settings of the LINE layer an admin edits in the portal (one row)."""

    blocked_retention_days = models.PositiveIntegerField(
        _("ブロック後の個人情報保持期間（日）"),
        default=90,
        help_text=_("ブロックした住民の表示名・属性を、この日数の経過後に削除します。"),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("LINE連携の設定")
        verbose_name_plural = _("LINE連携の設定")

    def __str__(self) -> str:
        # Shown as the audit log's 対象 (after the model's name).
        return "個人情報の保持期間"

    @classmethod
    def current(cls) -> "LineSettings":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


# -- for the staff inbox ---------------------------------------------------------------------
class ChatLogEntry(models.Model):
    """One line of a resident's free conversation with the bot, kept so staff can read it
    (the staff inbox): a message no flow expected (or one a flow asked to keep) and each
    of the bot's answers to it. Flow steps (通報, 受信設定 …) are not logged. An inbound
    line keeps the tokens LINE gave with it: ``markAsReadToken`` (mark it read when staff
    open it) and the reply token (a staff answer may use it while it is valid, once)."""

    class Direction(models.TextChoices):
        RESIDENT = "in", _("住民")
        BOT = "out", _("自動応答")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="chat_log")
    direction = models.CharField(max_length=3, choices=Direction.choices)
    kind = models.CharField(max_length=16)  # text | image | sticker | location | postback | flex …
    text = models.TextField(blank=True)
    choices = models.JSONField(default=list, blank=True)  # quick-reply labels the bot offered
    mark_as_read_token = models.CharField(max_length=256, blank=True)
    reply_token = models.CharField(max_length=256, blank=True)
    reply_token_spent = models.BooleanField(default=False)
    # The key of the one answer that used this line's reply token (an answer sent once).
    reply_dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["resident", "created_at"], name="chatlog_resident_time_idx"),
            models.Index(fields=["created_at"], name="chatlog_time_idx"),
        ]

    def __str__(self) -> str:
        return f"chat-log#{self.pk} {self.direction}:{self.kind}"


class ResidentCount(models.Model):
    """Reachable residents (friends, not 配信停止) per age band × area × interests, exact at
    every moment: database triggers on ``line_resident`` (migration 0002) add one signed row
    per cell a write changes, in the writing transaction; ``residents.counts_compact`` (beat,
    every minute) sums the rows into one per cell. The 50-recipient check counts from here
    (``residents.count_in_segment``: a sum over a few thousand rows instead of a scan of the
    residents). Never shown: every count shown comes from broadcasts' privacy release."""

    age_band = models.CharField(max_length=8, blank=True)
    area_id = models.BigIntegerField(null=True)
    interest_bits = models.BigIntegerField(default=0)
    residents = models.BigIntegerField()  # signed: a change's +n / -n until compacted

    def __str__(self) -> str:
        return f"resident-count#{self.pk}"


class AnswerCount(models.Model):
    """Reachable residents who chose at least one option that has a bit, per age band × area
    × interests × ``answer_bits``, exact at every moment: the same triggers as
    ``ResidentCount`` (migration 0004) add signed rows (``generation`` 0);
    ``residents.counts_compact`` sums them into one row per cell, all of one new
    ``generation`` (named in ``AnswerCountBase``, in the same transaction), which then never
    changes until the next compaction replaces it. The 50-recipient check with admin-defined
    dimensions counts from here (``residents.count_in_segment``: the compacted rows, kept in
    memory by generation, plus the rows added since); a resident without such answers can
    match no dimension filter, so they are not counted here. Never shown."""

    age_band = models.CharField(max_length=8, blank=True)
    area_id = models.BigIntegerField(null=True)
    interest_bits = models.BigIntegerField(default=0)
    answer_bits = models.BigIntegerField()
    residents = models.BigIntegerField()  # signed: a change's +n / -n until compacted
    generation = models.BigIntegerField(default=0, db_default=0)  # 0: added by a change since

    class Meta:
        indexes = [models.Index(fields=["generation"], name="answer_count_generation_idx")]

    def __str__(self) -> str:
        return f"answer-count#{self.pk}"


class AnswerCountBase(models.Model):
    """Which generation of compacted ``AnswerCount`` rows is current and how many rows it has
    (one row, written by ``residents.counts_compact`` in the transaction that wrote them)."""

    generation = models.BigIntegerField()
    cells = models.BigIntegerField()

    def __str__(self) -> str:
        return f"answer-count-base#{self.pk}"


# -- segment dimensions as data ------------------------------------------------------------
class Dimension(models.Model):
    """An attribute residents may declare in 受信設定 (性別, 子どもの年代, 校区 …), defined by
    admins: adding one, or an option, needs no migration and no code. 年代, 地域 and 関心分野
    are dimensions too (``builtin``): they keep their own storage (``Resident.age_band``,
    ``area``, ``interest_bits``; options in ``AgeBand``, ``Area``, ``Interest``), but share
    the list, the order they are asked in and the 有効 switch."""

    class Kind(models.TextChoices):
        SINGLE = "single", _("1つだけ選ぶ")
        MULTIPLE = "multiple", _("複数選べる")

    class Builtin(models.TextChoices):
        AGE = "age", _("年代")
        AREA = "area", _("地域")
        INTEREST = "interest", _("関心分野")

    name = models.CharField(_("名称"), max_length=50)
    question = models.CharField(
        _("チャットでの質問"),
        max_length=200,
        blank=True,
        help_text=_("受信設定で住民に表示する文です。空欄のときは「（名称）を選んでください。」と表示します。"),
    )
    kind = models.CharField(_("選び方"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    builtin = models.CharField(max_length=16, choices=Builtin.choices, blank=True, editable=False)
    order = models.PositiveSmallIntegerField(_("質問する順番"), default=100)
    is_active = models.BooleanField(
        _("有効"), default=True, help_text=_("外すと受信設定で質問せず、配信の条件にも表示しません（住民の回答は残ります）。")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("属性")
        verbose_name_plural = _("属性")
        constraints = [
            models.UniqueConstraint(fields=["builtin"], condition=~models.Q(builtin=""), name="dimension_builtin_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_multiple(self) -> bool:
        return self.kind == self.Kind.MULTIPLE


class DimensionOption(OrderedActive):
    """One choice of an admin-defined dimension (女性, 0〜2歳, 〇〇小学校区 …)."""

    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="options", verbose_name=_("属性"))
    label = models.CharField(_("選択肢"), max_length=20, help_text=_("チャットのボタンに表示します（20文字まで）。"))
    is_active = models.BooleanField(_("有効"), default=True, help_text=_("外すと住民の選択肢に表示しません。"))
    # The option's bit in ``Resident.answer_bits`` (0–62, one option each), given when the
    # option is created (``save``); none when all are taken: answers to such an option are
    # counted on the residents (``residents.count_in_segment`` falls back to a scan).
    bit = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)

    class Meta(OrderedActive.Meta):
        verbose_name = _("属性の選択肢")
        verbose_name_plural = _("属性の選択肢")
        constraints = [
            models.UniqueConstraint(fields=["bit"], condition=models.Q(bit__isnull=False), name="dimension_option_bit_unique"),
            models.CheckConstraint(condition=models.Q(bit__lte=ANSWER_BITS - 1), name="dimension_option_bit_range"),
        ]

    def __str__(self) -> str:
        return self.label


class ResidentAnswer(models.Model):
    """A resident's answer to an admin-defined dimension: one row per chosen option (a
    multiple-choice dimension may have several). Indexed by option, so selecting a
    segment's residents is one index-backed semi-join per dimension (``residents.matching``);
    triggers keep ``Resident.answer_bits`` from these rows for the exact counts (migration 0004)."""

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="answers", db_index=False)
    dimension = models.ForeignKey(Dimension, on_delete=models.CASCADE, related_name="+", db_index=False)
    option = models.ForeignKey(DimensionOption, on_delete=models.CASCADE, related_name="+", db_index=False)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["resident", "option"], name="resident_answer_unique")]
        indexes = [
            models.Index(fields=["option", "resident"], name="resident_answer_option_idx"),
            models.Index(fields=["dimension", "resident"], name="resident_answer_dim_idx"),
        ]

    def __str__(self) -> str:
        return f"resident-answer#{self.pk}"
