"""テスト配信 accounts (staff_line): a staff member links their own LINE account to their staff profile,
and テスト配信 goes to that account only.

Linking proves the LINE account is the staff member's: the portal shows a one-time code
(``職員連携 ABCD-2345``, valid ``CODE_TTL`` seconds, 8 characters from 31 = 40 bits, so a
resident guessing codes gets nowhere), and the staff member sends it from their LINE to the
official account. The chat flow below finds the code and stores the sender's LINE user id on
the staff profile. Codes live in the shared cache (database or Redis: every web process and
worker sees them), keyed by an HMAC of the code, never the code itself. The LINE user id is
never shown, logged or audited; the audit entry says only that the account was linked.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

from accounts.services import audit_record
from portal.context import AuditContext
from portal.line import chat

from . import audit as actions

if TYPE_CHECKING:
    from accounts.models import User

KEYWORD = "職員連携"
CODE_TTL = 600
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ2345679"  # no 0/O, 1/I, 8/B look-alikes
_CODE = re.compile(r"^\s*" + KEYWORD + r"[\s　]*([A-Za-z0-9]{4})[-‐－ー\s]?([A-Za-z0-9]{4})\s*$")


def _key(code: str) -> str:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"test-link:{code}".encode(), hashlib.sha256).hexdigest()
    return f"broadcasts:test-link:{digest}"


def _user_key(user_id: int) -> str:
    return f"broadcasts:test-link-user:{user_id}"


def staff_line_code_issue(*, user: User, ctx: AuditContext | None = None) -> str:
    """A new one-time code for ``user`` (any earlier one stops working); the message to send."""
    previous = cache.get(_user_key(user.pk))
    if previous:
        cache.delete(previous)
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    key = _key(code)
    cache.set(key, user.pk, CODE_TTL)
    cache.set(_user_key(user.pk), key, CODE_TTL)
    audit_record(action=actions.TEST_ACCOUNT_CODE, actor=user, ctx=ctx, target=user)
    return f"{KEYWORD} {code[:4]}-{code[4:]}"


def staff_line_link(*, line_user_id: str, text: str) -> bool:
    """Link the LINE account that sent ``text`` (``職員連携 XXXX-XXXX``) to the staff member
    the code was issued to. False when the code is wrong or expired (nothing changes)."""
    from accounts.models import User

    match = _CODE.match(text or "")
    if not match:
        return False
    code = (match.group(1) + match.group(2)).upper()
    key = _key(code)
    user_id = cache.get(key)
    if user_id is None:
        return False
    cache.delete(key)
    cache.delete(_user_key(user_id))
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return False
    # One staff member per LINE account: a LINE account linked before to someone else moves.
    User.objects.filter(line_test_user_id=line_user_id).exclude(pk=user.pk).update(line_test_user_id="")
    User.objects.filter(pk=user.pk).update(line_test_user_id=line_user_id)
    audit_record(action=actions.TEST_ACCOUNT_LINKED, actor=user, target=user)
    return True


def staff_line_unlink(*, user: User, ctx: AuditContext | None = None) -> None:
    from accounts.models import User

    User.objects.filter(pk=user.pk).update(line_test_user_id="")
    user.line_test_user_id = ""
    audit_record(action=actions.TEST_ACCOUNT_UNLINKED, actor=user, ctx=ctx, target=user)


def account_status(*, user: User) -> dict[str, Any]:
    """Whether ``user`` has a linked test account that still follows the official account."""
    from portal.line.models import Resident

    line_user_id = (getattr(user, "line_test_user_id", "") or "").strip()
    following = bool(line_user_id) and Resident.objects.filter(line_user_id=line_user_id, status=Resident.Status.ACTIVE).exists()
    return {"linked": bool(line_user_id), "following": following, "keyword": KEYWORD, "minutes": CODE_TTL // 60}


class StaffLineLinkFlow:
    """The chat side: 「職員連携 XXXX-XXXX」 links the sender; anything else starting with
    職員連携 gets a short explanation (a resident who typed it by chance is not confused)."""

    name = "broadcasts-test-account"

    def matches(self, event: chat.ChatEvent) -> bool:
        return event.kind == "text" and event.text.strip().startswith(KEYWORD)

    def start(self, ctx: chat.ChatContext) -> None:
        if staff_line_link(line_user_id=ctx.resident.line_user_id, text=ctx.event.text):
            ctx.reply(
                chat.text_message(
                    _("職員ポータルのテスト配信用アカウントとして登録しました。ポータルの「テスト配信」がこのLINEに届きます。")
                )
            )
        else:
            ctx.reply(
                chat.text_message(
                    _(
                        "連携コードが正しくないか、有効期限（%(minutes)s分）が切れています。"
                        "職員ポータルで新しいコードを発行して、もう一度送ってください。"
                    )
                    % {"minutes": CODE_TTL // 60}
                )
            )

    def handle(self, ctx: chat.ChatContext) -> None:  # never owns a conversation
        ctx.end()
