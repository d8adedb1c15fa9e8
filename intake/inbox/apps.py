"""The staff inbox: residents' messages that no flow or FAQ entry answers, handed to staff."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "intake.inbox"
    label = "inbox"
    verbose_name = _("問い合わせ（職員対応）")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import navigation
        from portal.line import chat

        from . import audit
        from .chat import InboxFlow, inbox_answerer

        # Takes everything that reaches it (the last answerer); the flow keeps the
        # resident's next messages with staff for the conversation's 30 minutes.
        chat.register_answerer("inbox", inbox_answerer, priority=1000)
        chat.register_flow(InboxFlow(), priority=1000)
        register_actions(audit.LABELS)
        navigation.register(
            navigation.NavItem(_("問い合わせ"), "inbox:list", (Perm.HANDLE_INQUIRIES, Perm.VIEW_INQUIRIES), order=40),
        )
        _register_retention()
        _register_demo()


def _register_retention() -> None:
    from django.conf import settings

    from portal import retention

    from . import services

    retention.register(
        retention.Store(
            key="inbox.inquiries",
            label=_("問い合わせ（職員対応）"),
            holds=_("住民との紐付け、職員の返信の文面、職員メモ、担当・状態"),
            action=_(
                "最後のやり取り（住民のメッセージ、返信、メモ、状態の変更）から期間を過ぎた問い合わせを、"
                "状態にかかわらず返信・メモごと削除します。個人情報を消去した住民（ブロック後）の問い合わせも削除します。"
            ),
            period_days=lambda: settings.RETENTION_INBOX_DAYS,
            purge=lambda cutoff: services.inquiries_purge(cutoff=cutoff),
        )
    )


def _register_demo() -> None:
    from portal import demo

    from .demo import load_demo

    demo.register(70, "inbox", load_demo)
