"""The recurring-series workflow, as one table: every state, which staff action may start
from which state and where it leads, who may run it (declared only here), the service it
calls and what staff are told. The action pages are generated from it (``urls.py``:
``page_urls``), services check it under the series' row lock (``WORKFLOW.require``) and the
detail page's buttons ask it (``WORKFLOW.can``).

Besides the staff actions, the beat job moves a series on its own (``AUTOMATIC``): 有効 /
一時停止 → 終了 when its rule has no date left (``services.occurrences_run``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from broadcasts.approval import draft_deleted
from portal import access
from portal.errors import DomainError
from portal.workflow import State, Workflow, keyword_rows
from portal.workflow import from_states as _from

from . import selectors, services
from .forms import ApproveForm, CommentForm, SkipForm
from .models import Series
from .serializers import SeriesSerializer

S = Series.Status

COMPOSE, APPROVE = Perm.COMPOSE_BROADCAST, Perm.APPROVE_BROADCAST
# Stopping or skipping sends: whoever writes or approves them (an approver may stop one at once).
OPERATE: access.Permission = (COMPOSE, APPROVE)

STATES: dict[str, State] = {
    S.DRAFT: State(S.DRAFT.label, description="起案中。申請するまで承認者には見えない。"),
    S.RETURNED: State(S.RETURNED.label, description="承認者が理由を付けて戻した。直して申請し直す。"),
    S.PENDING: State(S.PENDING.label, description="承認を待っている。承認されるまで何も送らない。"),
    S.ACTIVE: State(S.ACTIVE.label, description="承認済。配信日ごとに各地域へ送る。"),
    S.PAUSED: State(S.PAUSED.label, description="承認済だが、再開するまで送らない（その間の配信日は見送り）。"),
    S.ENDED: State(S.ENDED.label, final=True, description="終了日・回数に達したか、職員が終了した。"),
}

# Editing is possible until it ends; an approved series then needs approval again.
EDITABLE = frozenset({S.DRAFT, S.RETURNED, S.PENDING, S.ACTIVE, S.PAUSED})

# What the beat job does on its own.
AUTOMATIC: dict[str, frozenset[str]] = {
    S.ACTIVE: frozenset({S.ENDED}),
    S.PAUSED: frozenset({S.ENDED}),
}

# One row: the action, and the service it runs (with the series as ``series`` and the
# acting staff member as ``actor``, or ``approver`` for approvals).
_row = keyword_rows("series")


# fmt: off
ACTIONS = (
    # The edit page (GET and POST); no button of its own.
    _row("edit", _("編集"), COMPOSE, services.series_save, sources=EDITABLE, page=False, api_url_name="-",
         refused=_("終了した定期配信は編集できません。"),
         doc="Edit; an approved series (有効・一時停止) returns to 承認待ち: nothing is sent until it is approved again."),
    _row("submit", _("承認を申請"), COMPOSE, services.series_submit, success=_("承認を申請しました。"),
         sources=_from(S.DRAFT, S.RETURNED), target=S.PENDING, doc="承認申請."),
    _row("approve", _("承認する"), APPROVE, services.series_approve, actor="approver",
         success=_("承認しました。配信日ごとに各地域へ送ります。"), sources=_from(S.PENDING), target=S.ACTIVE,
         params=ApproveForm,
         doc="承認 of the reviewed version by an approver who neither created nor edited it."),
    _row("return", _("差し戻す"), APPROVE, services.series_return, actor="approver", success=_("差し戻しました。"),
         sources=_from(S.PENDING), target=S.RETURNED, params=CommentForm, doc="差し戻し with a comment."),
    _row("pause", _("一時停止する"), OPERATE, services.series_pause,
         success=_("一時停止しました。再開するまで配信しません。"), sources=_from(S.ACTIVE), target=S.PAUSED,
         doc="一時停止: due dates are not sent (recorded as 見送り) until resumed."),
    _row("resume", _("再開"), OPERATE, services.series_resume,
         success=_("再開しました。次の配信日から送ります。"), sources=_from(S.PAUSED), target=S.ACTIVE,
         doc="再開 (the approved version; no new approval)."),
    # No fixed target: the series stays as it is, one date is recorded as skipped.
    _row("skip", _("1回見送る"), OPERATE, services.series_skip, sources=_from(S.ACTIVE, S.PAUSED),
         params=SkipForm, doc="1回見送り of one future date (one area, or all)."),
    _row("end", _("終了する"), OPERATE, services.series_end, success=_("定期配信を終了しました。"),
         sources=_from(S.PENDING, S.ACTIVE, S.PAUSED, S.RETURNED), target=S.ENDED,
         doc="終了: nothing more is sent; the history stays."),
    _row("delete", _("削除"), COMPOSE, services.series_delete, success=draft_deleted, sources=_from(S.DRAFT, S.RETURNED),
         done_url="recurring:list",
         refused=_("「%(status)s」の定期配信は削除できません（削除できるのは下書きと差し戻しだけです）。"),
         doc="削除 of a series that never sent."),
)
# fmt: on


WORKFLOW = Workflow(
    name="series",
    model=Series,
    states=STATES,
    actions=ACTIONS,
    detail_url="recurring:detail",
    queryset=selectors.series_list,
    serializer=SeriesSerializer,
    refused=_("「%(status)s」の定期配信にはこの操作はできません。"),
    conflict=DomainError,
)


def transitions() -> dict[str, set[str]]:
    """Every state → the states it may lead to (staff actions, edits and the beat job)."""
    editing_approved = {S.ACTIVE: {S.PENDING}, S.PAUSED: {S.PENDING}}  # approval is needed again
    return WORKFLOW.graph(editing_approved, AUTOMATIC)


# Whether a user holds the permission of an action (whatever the state).
may = WORKFLOW.may
