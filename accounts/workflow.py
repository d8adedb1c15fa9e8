"""The staff-account table: an account's states, the transitions between them and the
admins' actions on an account (permission, service, what the admin is told).

States as the staff pages show them::

    (招待する) ──▶ 招待中 ──パスワード設定（招待リンク）──▶ 有効
                    │  └─招待メールを再送                  │
                    └────────────無効化─────────────────┴──▶ 無効 ──有効化──▶ 有効（または招待中）

Inviting creates the account in 招待中 (``services.staff_invite``, the invite form); the
invited person leaves 招待中 by setting a password through the link. 多要素認証をリセット and
職員情報の編集 (name, department, sign-in address, roles) keep the state. The services ask
this table (``WORKFLOW.require``); the buttons' URLs come from it (``page_urls`` in urls.py).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal import access
from portal.workflow import Action, State, Workflow, shared_rows

from . import services
from .models import User
from .roles import Perm

INVITED, ACTIVE, INACTIVE = User.INVITED, User.ACTIVE, User.INACTIVE

STATES = {
    INVITED: State(_("招待中"), description=_("招待メールを送り、まだパスワードが設定されていない")),
    ACTIVE: State(_("有効")),
    INACTIVE: State(_("無効"), description=_("サインインできない（有効化で戻せる）")),
}

MANAGE = Perm.MANAGE_STAFF


# An admin's action on a staff member (a button on the staff page unless ``page=False``).
_admin = shared_rows(MANAGE, api_url_name="-")


WORKFLOW = Workflow(
    name="staff",
    model=User,
    states=STATES,
    state_field="account_state",
    actions=(
        _admin(
            "deactivate",
            _("無効化"),
            services.staff_deactivate,
            lambda staff: _("%(name)s を無効化しました。") % {"name": staff},
            url_name="staff_deactivate",
            sources=frozenset({INVITED, ACTIVE}),
            target=INACTIVE,
            refused=_("この職員はすでに無効です。"),
        ),
        _admin(
            "reactivate",
            _("有効化"),
            services.staff_reactivate,
            lambda staff: _("%(name)s を有効化しました。") % {"name": staff},
            url_name="staff_reactivate",
            sources=frozenset({INACTIVE}),
            refused=_("この職員はすでに有効です。"),
        ),
        _admin(
            "reset_mfa",
            _("多要素認証をリセット"),
            services.staff_mfa_reset,
            lambda staff: _("%(name)s の多要素認証をリセットしました。") % {"name": staff},
            url_name="staff_mfa_reset",
        ),
        _admin(
            "resend_invitation",
            _("招待メールを再送"),
            services.staff_invitation_resend,
            lambda staff: _("%(email)s に招待メールを再送しました。") % {"email": staff.email},
            url_name="staff_invitation_resend",
            sources=frozenset({INVITED}),
            refused=_("この職員は既にパスワードを設定済みです。"),
        ),
        # Run by the staff page's form (staff_edit view), not a button of its own.
        _admin("edit", _("職員情報を更新"), services.staff_edit, _("職員情報を更新しました。"), page=False),
        # The invited person's own step, through the signed link (the token is the check).
        Action(
            name="accept_invitation",
            label=_("パスワードを設定"),
            permission=access.PUBLIC,
            service=services.invitation_accept,
            success=_("パスワードを設定しました。メールアドレスと新しいパスワードでサインインしてください。"),
            sources=frozenset({INVITED}),
            target=ACTIVE,
            page=False,
            api_url_name="-",
        ),
    ),
    detail_url="accounts:staff_edit",
    queryset=lambda: User.objects.prefetch_related("groups"),
)
