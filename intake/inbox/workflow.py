"""The inbox table: a conversation's states, the transitions between them and staff's actions
on it (permission, service, what staff are told).

States as the staff pages show them::

    未対応 ──対応を始める──▶ 対応中 ──完了にする──▶ 完了
      └──────────完了にする─────────────────────▲   │
                       ▲────────対応を再開──────────┘

担当を変更, 返信する and メモを追加 keep the state (staff may reply without changing it);
返信する and 担当を変更 are for open conversations, メモを追加 for any. Every action needs
問い合わせ対応 (``Perm.HANDLE_INQUIRIES``); auditors read (``Perm.VIEW_INQUIRIES``) and act on
nothing. The services ask this table (``WORKFLOW.require``) under the row lock; the page
buttons and the API come from ``page_urls`` and ``api_urls`` (urls.py, api.py).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.context import AuditContext
from portal.workflow import Action, State, Workflow, shared_rows

from . import forms, services
from .models import Inquiry
from .serializers import InquirySerializer

S = Inquiry.Status
OPEN = frozenset({S.NEW, S.OPEN})
HANDLE = Perm.HANDLE_INQUIRIES
# Every action needs 問い合わせ対応: pages (URLs named inquiry-<action>) and the API (api_<action>).
_action = shared_rows(HANDLE, url_name="inquiry-{name}")

STATES = {
    S.NEW: State(S.NEW.label, description=_("まだ誰も対応していない")),
    S.OPEN: State(S.OPEN.label, description=_("職員が対応している")),
    S.DONE: State(S.DONE.label, final=True, description=_("対応を終えた（住民の次のメッセージは新しい問い合わせになる）")),
}


def _audit(action: Action, inquiry: Inquiry, ctx: AuditContext, params: dict[str, Any], *, via: str, done: bool) -> None:
    from .audit import record_action

    detail: dict[str, Any] = {}
    if action.name == "assign":
        assignee = params.get("assignee")
        detail = {"team": params.get("team", ""), "assignee": assignee.pk if assignee is not None else None}
    if action.name == "reply" and params.get("template") is not None:
        detail = {"template": params["template"].pk}
    record_action(ctx=ctx, inquiry=inquiry, action=action.name, via=via, done=done, detail=detail)


WORKFLOW = Workflow(
    name="inquiry",
    model=Inquiry,
    states=STATES,
    actions=(
        _action(
            "start", _("対応を始める"), services.inquiry_start, _("対応中にしました。"), sources=frozenset({S.NEW}), target=S.OPEN
        ),
        _action(
            "assign", _("担当を変更"), services.inquiry_assign, _("担当を変更しました。"), sources=OPEN, params=forms.AssignForm
        ),
        _action("close", _("完了にする"), services.inquiry_close, _("完了にしました。"), sources=OPEN, target=S.DONE),
        _action(
            "reopen",
            _("対応を再開"),
            services.inquiry_reopen,
            _("対応を再開しました。"),
            sources=frozenset({S.DONE}),
            target=S.OPEN,
        ),
        _action(
            "reply",
            _("返信する"),
            services.inquiry_reply,
            _("返信しました。住民のLINEに届きます。"),
            sources=OPEN,
            params=forms.ReplyForm,
            refused=_("完了した問い合わせには返信できません。対応を再開してから返信してください。"),
        ),
        _action(
            "note",
            _("メモを追加"),
            services.inquiry_note,
            _("メモを追加しました（住民には送られません）。"),
            params=forms.NoteForm,
        ),
    ),
    detail_url="inbox:detail",
    queryset=lambda: Inquiry.objects.select_related("resident"),
    serializer=InquirySerializer,
    refused=_("「%(state)s」の問い合わせではこの操作はできません。"),
    audit=_audit,
)
