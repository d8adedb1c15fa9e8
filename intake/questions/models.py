"""The Q&A base staff maintain (entries in a draft, published versions the chat answers from,
feedback counts) and the ごみ分別 dictionary. No model holds residents' personal data:
feedback is a count of button presses per entry, never who pressed."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Languages an entry may carry a translation in (besides Japanese), as the chat names them.
LANGUAGES = [
    ("en", "English"),
    ("zh", "中文"),
    ("ko", "한국어"),
    ("vi", "Tiếng Việt"),
    ("ja-easy", "やさしい日本語"),
]
LANGUAGE_CODES = tuple(code for code, _label in LANGUAGES)


def new_token() -> str:
    return uuid.uuid4().hex


class FaqBase(models.Model):
    """The one row (pk=1) saying where the base stands: whether the draft has changes not
    yet published, and the tokens the matching indexes are cached under."""

    class Status(models.TextChoices):
        EMPTY = "empty", _("未公開")
        PUBLISHED = "published", _("公開済み")
        CHANGED = "changed", _("未公開の変更あり")

    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.EMPTY)
    # A new token on every change to the draft (試してみる's index is cached under it) …
    draft_token = models.CharField(max_length=32, default=new_token)
    # … and on every change to the ごみ分別 dictionary (the chat's dictionary index).
    gomi_token = models.CharField(max_length=32, default=new_token)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)

    class Meta:
        verbose_name = _("Q&Aの状態")

    def __str__(self) -> str:
        return "Q&A"

    @classmethod
    def load(cls) -> FaqBase:
        base, _created = cls.objects.get_or_create(pk=1)
        return base


class FaqEntry(models.Model):
    """One entry of the draft: what staff edit. Its ``status`` says how it relates to the
    published version (workflow.py)."""

    class Status(models.TextChoices):
        NEW = "new", _("未公開")
        PUBLISHED = "published", _("公開中")
        CHANGED = "changed", _("公開中（変更あり）")
        WITHDRAWN = "withdrawn", _("取り下げ予定")
        RETIRED = "retired", _("非公開")

    key = models.CharField(_("ID"), max_length=40, unique=True)  # FAQ-0001: stable, never reused
    question = models.CharField(_("問い合わせ文"), max_length=400)
    variants = models.JSONField(_("言い換え"), default=list, blank=True)  # list[str]
    keywords = models.JSONField(_("キーワード"), default=list, blank=True)  # list[str]
    answer = models.TextField(_("応答文"))
    link = models.CharField(_("リンク"), max_length=500, blank=True)
    quick_replies = models.JSONField(_("クイックリプライ"), default=list, blank=True)  # list[str]
    category = models.CharField(_("カテゴリ"), max_length=50, blank=True)
    # {"en": {"question": "...", "answer": "..."}, ...}
    translations = models.JSONField(_("翻訳"), default=dict, blank=True)
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.NEW)
    helpful = models.PositiveIntegerField(_("役に立った"), default=0)
    not_helpful = models.PositiveIntegerField(_("役に立たなかった"), default=0)
    updated_at = models.DateTimeField(_("更新日時"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("更新者"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # What an edit may change (and what its audited diff covers).
    CONTENT_FIELDS = ["question", "variants", "keywords", "answer", "link", "quick_replies", "category", "translations"]

    class Meta:
        verbose_name = _("Q&A項目")
        verbose_name_plural = _("Q&A項目")
        ordering = ["key"]
        indexes = [models.Index(fields=["category", "key"], name="faq_entry_category_idx")]

    def __str__(self) -> str:
        return self.key

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.CONTENT_FIELDS}

    @property
    def in_draft(self) -> bool:
        """Part of the base the next 公開 publishes (試してみる answers from these)."""
        return self.status not in (self.Status.WITHDRAWN, self.Status.RETIRED)


class FaqVersion(models.Model):
    """A published version: a snapshot of the draft's entries at 公開 (the chat answers from
    the newest one; its index is cached per version)."""

    number = models.PositiveIntegerField(_("版"), unique=True)
    token = models.CharField(max_length=32, default=new_token)
    entries = models.JSONField(default=list)  # [FaqEntry.content() + {"key": ...}, ...]
    entry_count = models.PositiveIntegerField(_("項目数"), default=0)
    published_at = models.DateTimeField(_("公開日時"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("公開者"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("Q&Aの公開版")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Q&A 第{self.number}版"

    @property
    def cache_key(self) -> str:
        return f"published:{self.number}:{self.token}"


class GomiItem(models.Model):
    """One item of the ごみ分別 dictionary, in the 5374.jp format (種別, 品目, 注意, ふりがな)."""

    kind = models.CharField(_("種別"), max_length=100)
    name = models.CharField(_("品目"), max_length=200)
    note = models.TextField(_("注意"), blank=True)
    kana = models.CharField(_("ふりがな"), max_length=200, blank=True)
    order = models.PositiveIntegerField(_("順番"), default=0)

    class Meta:
        verbose_name = _("ごみ分別の品目")
        verbose_name_plural = _("ごみ分別の品目")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.name
