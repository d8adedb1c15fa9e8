"""The broadcast workflow, as one table: every state, which staff action may start from
which state and where it leads, who may run it, the service it calls and what staff are
told. Pages and the API are generated from it (``urls.py``: ``page_urls`` / ``api_urls``),
services check it under the row lock (``WORKFLOW.require``) and the detail page's buttons
ask it (``WORKFLOW.can``).

Besides the staff actions, the fan-out moves a broadcast on its own (``AUTOMATIC``):
承認済/予約済 → 配信中 when sending starts, → 中止 when the snapshot finds fewer than 50,
配信中 → 配信完了 / 一部失敗 when the last batch is done (``broadcasts/fanout.py``).
"""

from __future__ import annotations

from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal import access
from portal.errors import DomainError
from portal.workflow import State, Workflow, keyword_rows
from portal.workflow import from_states as _from

from . import services
from .approval import draft_deleted
from .forms import ApproveForm, CommentForm, ScheduleForm
from .models import Broadcast
from .serializers import BroadcastSerializer

S = Broadcast.Status

# テスト配信 (and linking one's own LINE test account): PR staff, authors and approvers.
TEST_SEND: access.Permission = (Perm.COMPOSE_BROADCAST, Perm.APPROVE_BROADCAST)

STATES: dict[str, State] = {
    S.DRAFT: State(S.DRAFT.label, description="起案中。申請するまで承認者には見えない。"),
    S.RETURNED: State(S.RETURNED.label, description="承認者が理由を付けて戻した。直して申請し直す。"),
    S.PENDING: State(S.PENDING.label, description="承認を待っている。"),
    S.APPROVED: State(S.APPROVED.label, description="承認済で、今すぐ配信か予約を待っている。"),
    S.SCHEDULED: State(S.SCHEDULED.label, description="承認済で、予約日時に配信が始まる。"),
    S.SENDING: State(S.SENDING.label, description="配信先を確定し、バッチを送っている。"),
    S.DONE: State(S.DONE.label, final=True),
    S.PARTIAL: State(S.PARTIAL.label, description="一部のバッチが届かなかった。承認者が再送できる。"),
    S.CANCELLED: State(S.CANCELLED.label, final=True, description="職員が中止したか、50人未満で配信しなかった。"),
}

# Until sending starts, a broadcast may be edited (and its reach is an estimate).
EDITABLE = frozenset({S.DRAFT, S.RETURNED, S.PENDING, S.APPROVED, S.SCHEDULED})

# What the fan-out does on its own (no staff action): state → states it may lead to.
AUTOMATIC: dict[str, frozenset[str]] = {
    S.APPROVED: frozenset({S.SENDING, S.CANCELLED}),
    S.SCHEDULED: frozenset({S.SENDING, S.CANCELLED}),
    S.SENDING: frozenset({S.DONE, S.PARTIAL, S.CANCELLED}),
}

COMPOSE, APPROVE = Perm.COMPOSE_BROADCAST, Perm.APPROVE_BROADCAST

# One row of the table: the action, and the service it runs (with the broadcast as
# ``broadcast`` and the acting staff member as ``actor``, or ``approver`` for approvals).
_row = keyword_rows("broadcast")


def _approved(broadcast: Broadcast) -> str:
    if broadcast.status == S.SCHEDULED:
        when = formats.date_format(timezone.localtime(broadcast.scheduled_at), "DATETIME_FORMAT")
        return gettext("承認しました。%(when)sに配信します。") % {"when": when}
    if broadcast.is_emergency:
        return gettext("緊急配信を承認し、配信を開始しました。")
    return gettext("承認し、配信を開始しました。")


def _scheduled(broadcast: Broadcast) -> str:
    if broadcast.status == S.SCHEDULED:
        return gettext("予約日時は変わっていません。")
    return gettext("予約日時を変更しました。承認された内容が変わったため、承認待ちに戻りました（もう一度承認が必要です）。")


# The table: one row per staff action (name, button, permission, service; then what staff
# are told, the states it starts from and where it leads). Laid out by hand, as a table.
# fmt: off
ACTIONS = (
    # The compose page (GET and POST) and the API's PUT /api/drafts/<pk>/ edit; no button of its own.
    _row("edit", _("編集"), COMPOSE, services.broadcast_save, sources=EDITABLE, page=False, api_url_name="-",
         refused=_("配信を開始した後は編集できません。"),
         doc="Edit; a broadcast past 下書き returns to 下書き (差し戻し stays): approval is needed again."),
    _row("submit", _("承認を申請"), COMPOSE, services.broadcast_submit, success=_("承認を申請しました。"),
         sources=_from(S.DRAFT, S.RETURNED), target=S.PENDING, doc="承認申請 (refused below the 50-recipient minimum)."),
    # No fixed target: 予約済 (a future 予約日時) or 配信中 (承認後すぐに配信, every emergency).
    # Approved, the broadcast's page shows the send's progress live; a refused approval stays
    # on the page it came from (the review page's ``next``).
    _row("approve", _("承認する"), APPROVE, services.broadcast_approve, actor="approver", success=_approved,
         sources=_from(S.PENDING), params=ApproveForm, done_url="broadcasts:detail",
         doc="承認 of the reviewed `version` by an approver who neither created nor edited it (refused, 400, when "
         "the broadcast changed since). 承認後すぐに配信 (no future 予約日時) and every emergency broadcast start "
         "sending at once; a future 予約日時 makes it 予約済."),
    _row("return", _("差し戻す"), APPROVE, services.broadcast_return, actor="approver", success=_("差し戻しました。"),
         sources=_from(S.PENDING), target=S.RETURNED, params=CommentForm, doc="差し戻し with a comment."),
    # The same time again changes nothing (it stays 予約済).
    _row("schedule", _("予約する"), COMPOSE, services.broadcast_schedule, success=_scheduled,
         sources=_from(S.APPROVED, S.SCHEDULED), target=S.PENDING, params=ScheduleForm,
         doc="予約 (a new 予約日時) for an approved broadcast: the schedule is part of the approved version, so "
         "the broadcast returns to 申請中 (`pending`) and needs a new approval, by someone other than whoever "
         "changed it."),
    _row("cancel", _("配信を中止"), COMPOSE, services.broadcast_cancel, success=_("配信を中止しました。"),
         sources=_from(S.PENDING, S.APPROVED, S.SCHEDULED), target=S.CANCELLED, doc="中止, until sending starts."),
    # Gone (the audit log keeps its entry): no state to lead to, no API answer to give.
    _row("delete", _("削除"), COMPOSE, services.broadcast_delete, success=draft_deleted,
         sources=_from(S.DRAFT, S.RETURNED), api_url_name="-", done_url="broadcasts:list",
         refused=_("「%(status)s」の配信は削除できません（削除できるのは下書きと差し戻しだけです）。"),
         doc="削除 of a draft (下書き・差し戻し): gone from the list; the audit log keeps the entry."),
    _row("send", _("今すぐ配信"), COMPOSE, services.broadcast_send, success=_("配信を開始しました。"),
         sources=_from(S.APPROVED), target=S.SENDING,
         doc="今すぐ配信 an approved broadcast (re-checked against live data, then on the snapshot)."),
    _row("retry", _("届かなかった方に再送"), APPROVE, services.broadcast_retry_failed,
         success=_("届かなかった方への再送を始めました。"), sources=_from(S.PARTIAL), target=S.SENDING,
         doc="Send the failed batches again (same retry keys)."),
    # Any state: it changes nothing on the broadcast.
    _row("test_send", _("自分のLINEにテスト配信"), TEST_SEND, services.broadcast_test_send, api_url_name="-",
         success=_("テスト配信を送信しました。ご自分のLINEでご確認ください。"),
         doc="テスト配信 to the staff member's own linked LINE account only."),
)
# fmt: on


WORKFLOW = Workflow(
    name="broadcast",
    model=Broadcast,
    states=STATES,
    actions=ACTIONS,
    detail_url="broadcasts:detail",
    queryset=lambda: Broadcast.objects.select_related("author", "approver"),
    serializer=BroadcastSerializer,
    refused=_("「%(status)s」の配信にはこの操作はできません。"),
    # A refused transition answers 400, as the API always has (not Conflict's 409).
    conflict=DomainError,
    next_pages={"review": "broadcasts:review"},
)


def transitions() -> dict[str, set[str]]:
    """Every state → the states it may lead to: the staff actions' fixed targets, what the
    services decide (承認 → 予約済 or 配信中; 編集 → 下書き, or 差し戻し stays) and the fan-out's."""
    return WORKFLOW.graph(AUTOMATIC, decided={"approve": {S.SCHEDULED, S.SENDING}, "edit": {S.DRAFT, S.RETURNED}})


# Whether a user holds the permission of an action (whatever the state).
may = WORKFLOW.may
