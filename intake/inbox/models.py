"""The staff inbox: a conversation opened when a resident's message reaches staff (no flow or
FAQ entry answered it, or the resident asked for staff), its staff replies and internal
notes, and the reply templates. What the resident wrote and what the bot answered are read
from the LINE layer's chat log (``portal.line.chatroom``); ``__str__`` carries no personal data."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.line.models import Resident
from portal.models import OrderedActive


class Team(models.TextChoices):
    """Who answers: the desk every conversation starts with, or a section's team."""

    GENERAL = "general", _("総合窓口")
    ROADS = "roads", _("道路")
    WASTE = "waste", _("ごみ")
    PR = "pr", _("広報")


class Inquiry(models.Model):
    """One hand-off of a resident to staff (a conversation in the inbox)."""

    class Status(models.TextChoices):
        NEW = "new", _("未対応")
        OPEN = "open", _("対応中")
        DONE = "done", _("完了")

    resident = models.ForeignKey(Resident, on_delete=models.CASCADE, related_name="inquiries")
    status = models.CharField(_("状態"), max_length=8, choices=Status.choices, default=Status.NEW)
    team = models.CharField(_("担当チーム"), max_length=16, choices=Team.choices, default=Team.GENERAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("担当者"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_inquiries",
    )
    opened_at = models.DateTimeField(_("受付日時"), default=timezone.now)
    last_message_at = models.DateTimeField(_("住民の最新メッセージ"), default=timezone.now)
    # Resident messages staff have not opened yet (cleared when a handler opens the page).
    unread = models.BooleanField(_("未読"), default=True)
    closed_at = models.DateTimeField(_("完了日時"), null=True, blank=True)
    # Last activity of any kind (message, reply, note, status): the retention clock.
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("問い合わせ")
        verbose_name_plural = _("問い合わせ")
        constraints = [
            models.UniqueConstraint(fields=["resident"], condition=~Q(status="done"), name="inbox_one_open_per_resident"),
        ]
        indexes = [
            models.Index(fields=["status", "last_message_at"], name="inbox_status_time_idx"),
            models.Index(fields=["updated_at"], name="inbox_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"問い合わせ#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status != self.Status.DONE


class ReplyTemplate(OrderedActive):
    """A reply staff pick instead of typing (e.g. one that moves a confidential matter to the
    phone or the desk, as the 2021 guideline asks)."""

    title = models.CharField(_("名前"), max_length=60)
    text = models.TextField(_("文面"), max_length=2000)
    moves_offline = models.BooleanField(_("電話・窓口へご案内"), default=False)
    is_active = models.BooleanField(_("使用する"), default=True)

    class Meta(OrderedActive.Meta):
        verbose_name = _("返信テンプレート")
        verbose_name_plural = _("返信テンプレート")

    def __str__(self) -> str:
        return self.title


class InquiryEntry(models.Model):
    """A staff reply (sent to the resident once) or an internal note (never sent)."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("返信")
        NOTE = "note", _("職員メモ")

    class Delivery(models.TextChoices):
        PENDING = "", _("送信待ち")
        REPLY = "reply", _("応答メッセージで送信")
        PUSH = "push", _("プッシュメッセージで送信")
        UNKNOWN = "unknown", _("送信結果不明（LINEから応答がなく、届いたか確認できません。住民とのトークで確かめてください）")

    inquiry = models.ForeignKey(Inquiry, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    text = models.TextField(max_length=5000)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    template = models.ForeignKey(ReplyTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # One key per submitted form: a double submit (or a retried request) adds nothing.
    submission_key = models.UUIDField(unique=True, default=uuid.uuid4)
    delivery = models.CharField(max_length=8, choices=Delivery.choices, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["inquiry", "created_at"], name="inbox_entry_time_idx")]

    def __str__(self) -> str:
        return f"問い合わせ#{self.inquiry_id} {self.kind}#{self.pk}"

    @property
    def dedupe_key(self) -> str:
        """The LINE layer's key for this reply: sent once, whatever happens after."""
        return f"inbox-reply:{self.submission_key}"
