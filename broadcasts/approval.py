"""The four-eyes approval a broadcast and a recurring series share (``models.Approvable``):
who may approve (the table's 承認 permission, neither the author nor an editor), the version
the approver reviewed, 承認申請, the approval thread's comments and 差し戻し. Each service
module declares its :class:`Approval` once; the words staff read stay each one's own."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from accounts.services import audit_record
from portal.context import AuditContext
from portal.errors import DomainError, NotAllowed

if TYPE_CHECKING:
    from accounts.models import User
    from portal.workflow import Workflow

    from .models import Approvable

A = TypeVar("A", bound="Approvable")


@dataclass(frozen=True)
class Approval:
    model: type[Approvable]
    field: str  # the foreign key of its comments and editors ("broadcast", "series")
    comments: type[models.Model]
    editors: type[models.Model]
    workflow_module: str  # where its WORKFLOW is (imported when used: the table imports the services)
    # What an approver is told when refused: no 承認 permission, their own draft, one they edited;
    # no version given, a version that is no longer the current one.
    not_allowed: str | Promise
    own_draft: str | Promise
    edited: str | Promise
    no_version: str | Promise
    changed: str | Promise

    @property
    def workflow(self) -> Workflow:
        workflow: Workflow = import_module(self.workflow_module).WORKFLOW
        return workflow

    def lock(self, obj: A) -> A:
        locked: A = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        return locked

    def check_approver(self, obj: Approvable, approver: User) -> None:
        if not self.workflow.may("approve", approver):
            raise NotAllowed(str(self.not_allowed))
        if obj.author_id == approver.pk:
            raise NotAllowed(str(self.own_draft))
        if self.editors._default_manager.filter(**{self.field: obj, "user": approver}).exists():
            raise NotAllowed(str(self.edited))

    def check_version(self, version: str, current: str) -> None:
        """The approver approves the version they reviewed, and only while it is the current one."""
        if not version:
            raise DomainError(str(self.no_version), code="version_required")
        if str(version) != current:
            raise DomainError(str(self.changed), code="version_changed")

    def comment(self, obj: Approvable, *, author: User, action: str, body: str) -> None:
        self.comments._default_manager.create(**{self.field: obj}, author=author, action=action, body=body.strip()[:2000])

    def submitted(self, obj: A, *, actor: User, ctx: AuditContext | None, audit_action: str) -> A:
        """承認申請 (the caller checked what its own kind needs first): 承認待ち from now."""
        obj.status = obj.Status.PENDING  # type: ignore[attr-defined]
        obj.submitted_at = timezone.now()
        obj.save(update_fields=["status", "submitted_at", "updated_at"])
        audit_record(action=audit_action, actor=actor, ctx=ctx, target=obj, detail={})
        return obj

    def returned(self, obj: A, *, approver: User, comment: str, ctx: AuditContext | None, audit_action: str) -> A:
        """差し戻し with a comment for the author (call it inside the service's transaction)."""
        obj = self.lock(obj)
        self.check_approver(obj, approver)
        self.workflow.require("return", obj)
        if not comment.strip():
            raise DomainError(_("差し戻しの理由を入力してください。"), code="comment_required")
        obj.status = obj.Status.RETURNED  # type: ignore[attr-defined]
        obj.save(update_fields=["status", "updated_at"])
        self.comment(obj, author=approver, action="returned", body=comment)
        audit_record(action=audit_action, actor=approver, ctx=ctx, target=obj, detail={})
        return obj


def draft_deleted(title: str) -> str:
    """What staff are told when a draft (下書き・差し戻し) was deleted: the services return its title."""
    return _("下書き「%(title)s」を削除しました。") % {"title": title}


__all__ = ["Approval", "draft_deleted"]
