"""The staff inbox: residents' messages that no flow or FAQ entry answers, handed to staff."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Answerer, Demo, Flow, PortalAppConfig
from portal.navigation import NavItem


class InboxConfig(PortalAppConfig):
    name = "intake.inbox"
    label = "inbox"
    verbose_name = _("問い合わせ（職員対応）")
    nav = (NavItem(_("問い合わせ"), "inbox:list", (Perm.HANDLE_INQUIRIES, Perm.VIEW_INQUIRIES), order=40),)
    demo = (Demo(70, "inbox", ".demo.load_demo"),)
    audit_labels = ".audit.LABELS"
    # Takes everything that reaches it (the last answerer); the flow keeps the resident's
    # next messages with staff for the conversation's 30 minutes.
    chat_flows = (Flow(".chat.InboxFlow", priority=1000),)
    answerers = (Answerer("inbox", ".chat.inbox_answerer", priority=1000),)
    retention = ".retention.STORES"
