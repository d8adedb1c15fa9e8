"""The rich menu's workflow, as one table: its states, which staff action may start from
which state and where it leads, who may run it and the service it calls. Pages and the API
are generated from it (``urls.py``); services check it (``WORKFLOW.require``).

Who: PR authors (広報担当) build, register and delete menus; PR approvers (広報承認者) decide
what residents see (既定, 災害時用, segments). 災害時モード (not a state of one menu, see
``services.disaster_mode_on``) is for admins and PR approvers: ``DISASTER_MODE``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal import access
from portal.workflow import Action, State, Workflow

from . import services
from .forms import SegmentForm
from .models import RichMenu
from .serializers import RichMenuSerializer

S = RichMenu.Status
COMPOSE, APPROVE = Perm.COMPOSE_BROADCAST, Perm.APPROVE_BROADCAST
VIEW = Perm.VIEW_BROADCASTS
DISASTER_MODE: access.Permission = (Perm.MANAGE_SETTINGS, Perm.APPROVE_BROADCAST)

STATES = {
    S.DRAFT: State(S.DRAFT.label, description="作成中。画像とタップ領域を直せる。住民には見えない。"),
    S.REGISTERED: State(
        S.REGISTERED.label, description="LINEに登録済（内容は変えられない）。既定やセグメントに設定すると住民に見える。"
    ),
    S.DEFAULT: State(S.DEFAULT.label, description="住民別のメニューがない全員に表示される。"),
    S.DISASTER: State(S.DISASTER.label, description="災害時モードで全員に表示されるメニュー。"),
    S.DELETED: State(S.DELETED.label, final=True, description="LINEから削除した。"),
}


def _from(*states: str) -> frozenset[str]:
    return frozenset(states)


# fmt: off
ACTIONS = (
    Action("edit", _("編集"), COMPOSE, services.richmenu_update, sources=_from(S.DRAFT), page=False, api_url_name="-",
           refused=_("LINEに登録したメニューは変えられません。新しいメニューを作ってください。")),
    Action("register", _("LINEに登録"), COMPOSE, services.richmenu_register, success=_("LINEに登録しました。"),
           sources=_from(S.DRAFT), target=S.REGISTERED, doc="Register the draft on LINE (validate, create, image, alias)."),
    Action("set_default", _("既定にする"), APPROVE, services.richmenu_set_default,
           success=_("既定のメニューにしました。住民別のメニューがない全員に表示されます。"),
           sources=_from(S.REGISTERED), target=S.DEFAULT, doc="LINE's default rich menu."),
    Action("mark_disaster", _("災害時用にする"), APPROVE, services.richmenu_mark_disaster,
           success=_("災害時用のメニューにしました。"), sources=_from(S.REGISTERED), target=S.DISASTER,
           doc="The menu 災害時モード shows every resident."),
    Action("unmark_disaster", _("災害時用をやめる"), APPROVE, services.richmenu_unmark_disaster,
           success=_("災害時用の指定をやめました。"), sources=_from(S.DISASTER), target=S.REGISTERED),
    Action("link_segment", _("セグメントに表示"), APPROVE, services.segment_link_create, params=SegmentForm,
           success=_("セグメントの住民にこのメニューを表示する処理を始めました。"), sources=_from(S.REGISTERED, S.DEFAULT),
           doc="Link the menu to a segment's residents (bulk link, 500 a request, by a Celery task)."),
    Action("delete", _("削除"), COMPOSE, services.richmenu_delete, success=_("メニューを削除しました。"),
           sources=_from(S.DRAFT, S.REGISTERED), target=S.DELETED, done_url="richmenus:list",
           refused=_("既定・災害時用のメニューは削除できません。")),
)
# fmt: on

WORKFLOW = Workflow(
    name="richmenu",
    model=RichMenu,
    states=STATES,
    actions=ACTIONS,
    detail_url="richmenus:detail",
    queryset=lambda: RichMenu.objects.select_related("created_by"),
    serializer=RichMenuSerializer,
    refused=_("「%(state)s」のメニューにはこの操作はできません。"),
)
