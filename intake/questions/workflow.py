"""The Q&A base's tables: an entry's states in the draft, the base's state, and the staff
actions that move them (permission, service, what staff are told).

An entry, as the entry list shows it::

    未公開 ──公開──▶ 公開中 ──編集──▶ 公開中（変更あり） ──公開──▶ 公開中
      │               │                 │
      │取り下げる       └──取り下げる──────┴──▶ 取り下げ予定 ──公開──▶ 非公開
      ▼                                        │元に戻す           │元に戻す
    非公開 ◀───────────────────────────────────┘(→ 変更あり)      └──▶ 未公開

The base: 未公開 / 未公開の変更あり ──公開する──▶ 公開済み; any change to the draft (an edit,
取り下げ, 元に戻す, a CSV import) makes it 未公開の変更あり again. 公開 publishes the draft's entries
as a new version (models.FaqVersion) the chat answers from; 試してみる answers from the draft.
Services ask these tables (``require``) under the row lock; the action URLs come from them.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.workflow import State, Workflow, shared_rows

from . import services
from .models import FaqBase, FaqEntry
from .serializers import FaqBaseSerializer, FaqEntrySerializer

S = FaqEntry.Status
B = FaqBase.Status
MANAGE = Perm.MANAGE_FAQ
# Every action needs Q&A管理: an entry's buttons (URLs named entry-<action>) and the API
# (api-entry-<action>; the base's: api-publish).
_action = shared_rows(MANAGE, url_name="entry-{name}", api_url_name="api-entry-{name}")

IN_DRAFT = frozenset({S.NEW, S.PUBLISHED, S.CHANGED})

ENTRY_STATES: dict[str, State] = {
    S.NEW: State(S.NEW.label, description="まだ公開していない項目（チャットは答えない）"),
    S.PUBLISHED: State(S.PUBLISHED.label, description="公開版と同じ内容でチャットが答える"),
    S.CHANGED: State(S.CHANGED.label, description="下書きに変更があり、次の公開で反映される"),
    S.WITHDRAWN: State(S.WITHDRAWN.label, description="次の公開でチャットが答えなくなる"),
    S.RETIRED: State(S.RETIRED.label, final=True, description="チャットは答えない（元に戻せる）"),
}


ENTRY_WORKFLOW = Workflow(
    name="entry",
    model=FaqEntry,
    states=ENTRY_STATES,
    actions=(
        # The edit form (views.entry_edit), not a button.
        _action(
            "edit",
            _("編集"),
            services.entry_update,
            sources=IN_DRAFT,
            page=False,
            url_name="",
            api_url_name="-",  # the edit form
            refused=_("取り下げた項目は、元に戻してから編集してください。"),
        ),
        _action(
            "withdraw",
            _("取り下げる"),
            services.entry_withdraw,
            _("取り下げました。次の公開でチャットが答えなくなります。"),
            sources=IN_DRAFT,
        ),
        _action(
            "restore",
            _("元に戻す"),
            services.entry_restore,
            _("元に戻しました。次の公開でチャットに反映されます。"),
            sources=frozenset({S.WITHDRAWN, S.RETIRED}),
        ),
    ),
    detail_url="questions:entry-edit",
    serializer=FaqEntrySerializer,
    refused=_("今の状態（%(state)s）ではこの操作はできません。"),
)

BASE_STATES: dict[str, State] = {
    B.EMPTY: State(B.EMPTY.label, description="まだ一度も公開していない"),
    B.PUBLISHED: State(B.PUBLISHED.label, description="チャットは最新の下書きと同じ内容で答える"),
    B.CHANGED: State(B.CHANGED.label, description="下書きに、まだチャットに反映していない変更がある"),
}

BASE_WORKFLOW = Workflow(
    name="base",
    model=FaqBase,
    states=BASE_STATES,
    actions=(
        _action(
            "publish",
            _("公開する"),
            services.base_publish,
            lambda version: (
                _("第%(n)d版を公開しました（%(count)d項目）。チャットはこの版で答えます。")
                % {"n": version.number, "count": version.entry_count}
            ),
            sources=frozenset({B.EMPTY, B.CHANGED}),
            target=B.PUBLISHED,
            url_name="publish",
            api_url_name="api-publish",
            refused=_("公開していない変更はありません。"),
        ),
    ),
    detail_url="questions:base",
    serializer=FaqBaseSerializer,
)
