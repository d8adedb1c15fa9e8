"""Staff accounts, role policies and the append-only audit log."""

from typing import ClassVar

from django.contrib.auth.models import AbstractBaseUser, Group, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .managers import UserManager
from .roles import CAPABILITIES


class User(AbstractBaseUser, PermissionsMixin):
    """A city-hall staff member. Residents are not users (see portal.line.Resident)."""

    email = models.EmailField(_("メールアドレス"), unique=True)
    full_name = models.CharField(_("氏名"), max_length=100, blank=True)
    department = models.CharField(_("所属"), max_length=100, blank=True)
    # Django-admin access only (developers / superusers); portal roles are groups.
    is_staff = models.BooleanField(_("Django管理画面"), default=False)
    is_active = models.BooleanField(_("有効"), default=True)
    date_joined = models.DateTimeField(_("登録日時"), default=timezone.now)
    # The staff member's own LINE account for test sends of broadcasts (optional).
    line_test_user_id = models.CharField(_("テスト配信用LINEユーザーID"), max_length=64, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("職員")
        verbose_name_plural = _("職員")
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email

    @property
    def role_codes(self) -> list[str]:
        return [g.name for g in self.groups.all()]

    # The account's state as the staff pages name it (accounts/workflow.py holds the table).
    INVITED, ACTIVE, INACTIVE = "invited", "active", "inactive"

    @property
    def account_state(self) -> str:
        """招待中 (invited, no password set yet), 有効 or 無効."""
        if not self.is_active:
            return self.INACTIVE
        return self.ACTIVE if self.has_usable_password() else self.INVITED


class Capability(models.Model):
    """Holds the portal's custom permissions; it has no rows of its own."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = CAPABILITIES  # type: ignore[assignment]  # (codename, lazy label) pairs
        verbose_name = _("権限")


class RolePolicy(models.Model):
    """Per-role settings an admin can change (MFA is always required for admins)."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="policy")
    mfa_required = models.BooleanField(_("多要素認証を必須にする"), default=False)

    class Meta:
        verbose_name = _("ロール設定")


AUDIT_DETAIL_PURGED = {"purged": True}


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ANN003, ANN201
        raise PermissionError("the audit log is append-only")

    def purge_details(self) -> int:
        """The one change the log allows (also on PostgreSQL, migration 0002): ``detail``
        replaced by the purge marker, the entry itself kept. Used by the retention job only."""
        return models.QuerySet.update(self, detail=AUDIT_DETAIL_PURGED)

    def delete(self):  # noqa: ANN201
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    """One audited event. Append-only: never updated or deleted by the application.

    ``target_repr`` must not contain residents' personal data: use ids and reference
    numbers (e.g. ``R-2026-000123``), not names, LINE user IDs or addresses.
    """

    at = models.DateTimeField(_("日時"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name=_("実行者"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actor_label = models.CharField(_("実行者（記録時）"), max_length=254, blank=True)
    action = models.CharField(_("操作"), max_length=64, db_index=True)
    target_type = models.CharField(_("対象の種類"), max_length=64, blank=True)
    target_id = models.CharField(_("対象ID"), max_length=64, blank=True)
    target_repr = models.CharField(_("対象"), max_length=200, blank=True)
    ip = models.GenericIPAddressField(_("接続元IP"), null=True, blank=True)
    detail = models.JSONField(_("詳細"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("監査ログ")
        verbose_name_plural = _("監査ログ")
        ordering = ["-at", "-id"]
        default_permissions = ("view",)

    def save(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        if self.pk is not None and not self._state.adding:
            raise PermissionError("the audit log is append-only")
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        raise PermissionError("the audit log is append-only")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_label} {self.action} {self.target_repr}"
