"""Rich menus: the menu (image, tap areas, its state on LINE), the segments it is linked to,
the bulk link/unlink jobs (500 residents a batch, stored before the first request) and the
switches of 災害時モード. ``__str__`` never holds personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RichMenu(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("下書き")
        REGISTERED = "registered", _("LINEに登録済")
        DEFAULT = "default", _("既定")
        DISASTER = "disaster", _("災害時用")
        DELETED = "deleted", _("削除済")

    name = models.CharField(_("名前"), max_length=300)
    chat_bar_text = models.CharField(_("メニューバーの文字"), max_length=14)
    image = models.BinaryField(_("画像"))  # re-encoded on upload (no metadata), ≤ 1 MB
    image_type = models.CharField(max_length=16)  # image/png | image/jpeg
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    # [{"x", "y", "width", "height", "label", "kind": message|flow|uri|switch, "text" | "flow" | "uri" | "menu"}]
    areas = models.JSONField(default=list, blank=True)
    alias_id = models.CharField(max_length=32, unique=True)  # what other menus' tab areas switch to
    line_id = models.CharField(max_length=64, blank=True, default="")
    status = models.CharField(_("状態"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    registered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("リッチメニュー")
        verbose_name_plural = _("リッチメニュー")
        constraints = [
            # One default and one disaster menu at most.
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="default"), name="richmenu_one_default"),
            models.UniqueConstraint(fields=["status"], condition=models.Q(status="disaster"), name="richmenu_one_disaster"),
        ]

    def __str__(self) -> str:
        return f"richmenu#{self.pk} {self.name}"

    @property
    def on_line(self) -> bool:
        return bool(self.line_id) and self.status != self.Status.DELETED


class SegmentLink(models.Model):
    """Residents of a segment (areas × age bands, as the LINE layer selects them) see ``menu``."""

    menu = models.ForeignKey(RichMenu, on_delete=models.CASCADE, related_name="segment_links")
    area_ids = models.JSONField(default=list, blank=True)
    age_bands = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("セグメント別メニュー")
        verbose_name_plural = _("セグメント別メニュー")

    def __str__(self) -> str:
        return f"segmentlink#{self.pk} menu#{self.menu_id}"


class ResidentMenu(models.Model):
    """The menu LINE shows a resident through a per-user link (the rest see the default)."""

    resident = models.OneToOneField("line.Resident", on_delete=models.CASCADE, primary_key=True, related_name="+")
    menu = models.ForeignKey(RichMenu, on_delete=models.CASCADE, related_name="+")

    class Meta:
        verbose_name = _("住民別メニュー")
        verbose_name_plural = _("住民別メニュー")

    def __str__(self) -> str:
        return f"residentmenu menu#{self.menu_id}"


class PendingFollow(models.Model):
    """A resident whose menu must be put right (their segment may have changed): written
    before the follow task is queued, removed when it has run. A task the broker lost is
    queued again from here by the beat job (``services.follows_resume``)."""

    resident = models.OneToOneField("line.Resident", on_delete=models.CASCADE, primary_key=True, related_name="+")
    refollowed = models.BooleanField(default=False)
    since = models.DateTimeField()

    class Meta:
        verbose_name = _("メニューの付け替え待ち")
        verbose_name_plural = _("メニューの付け替え待ち")

    def __str__(self) -> str:
        return f"pendingfollow#{self.pk}"


class DisasterSwitch(models.Model):
    """One 災害時モード switch (on or back to normal), as the operator confirmed it."""

    class Direction(models.TextChoices):
        ON = "on", _("災害時モードに切り替え")
        OFF = "off", _("通常モードに戻す")

    class Status(models.TextChoices):
        RUNNING = "running", _("切り替え中")
        DONE = "done", _("完了")
        FAILED = "failed", _("一部失敗")

    direction = models.CharField(max_length=8, choices=Direction.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    menu = models.ForeignKey(RichMenu, on_delete=models.PROTECT, related_name="+")  # the default it sets
    estimate_seconds = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        get_latest_by = "id"
        verbose_name = _("災害時モードの切り替え")
        verbose_name_plural = _("災害時モードの切り替え")

    def __str__(self) -> str:
        return f"disasterswitch#{self.pk} {self.direction}"


class LinkJob(models.Model):
    """Bulk link / unlink requests for many residents, in batches of at most 500."""

    class Kind(models.TextChoices):
        LINK = "link", _("セグメントにメニューを表示")
        UNLINK = "unlink", _("住民別メニューの解除")

    class Status(models.TextChoices):
        RUNNING = "running", _("実行中")
        DONE = "done", _("完了")
        FAILED = "failed", _("一部失敗")

    kind = models.CharField(max_length=8, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING, db_index=True)
    segment_link = models.ForeignKey(SegmentLink, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    switch = models.ForeignKey(DisasterSwitch, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs")
    batches_total = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"linkjob#{self.pk} {self.kind} {self.status}"


class LinkBatch(models.Model):
    """≤ 500 residents of a job: one bulk request, sent once (claimed by lease, marked done)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("未送信")
        DONE = "done", _("完了")
        FAILED = "failed", _("失敗")

    job = models.ForeignKey(LinkJob, on_delete=models.CASCADE, related_name="batches")
    seq = models.PositiveIntegerField()
    menu = models.ForeignKey(RichMenu, null=True, blank=True, on_delete=models.CASCADE, related_name="+")  # link: the menu
    resident_ids = models.JSONField(default=list)  # emptied once sent
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True, default="")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["job_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["job", "seq"], name="richmenu_linkbatch_seq")]

    def __str__(self) -> str:
        return f"linkbatch#{self.pk} job#{self.job_id}/{self.seq} {self.status}"
