"""The Q&A base, ごみ分別 and their chat answers."""

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.contributions import Answerer, Demo, Flow, PortalAppConfig
from portal.navigation import NavItem

READERS = (Perm.VIEW_QUESTIONS, Perm.MANAGE_FAQ, Perm.MANAGE_GOMI)


class QuestionsConfig(PortalAppConfig):
    name = "intake.questions"
    label = "questions"
    verbose_name = _("よくある質問・ごみ分別")
    nav = (
        NavItem(_("よくある質問"), "questions:entries", READERS, order=70),
        NavItem(_("ごみ分別辞書"), "questions:gomi", READERS, order=71),
    )
    demo = (Demo(70, "questions", ".demo.load_demo"),)
    audit_labels = ".audit.LABELS"
    chat_flows = (Flow(".chat.FaqFlow", priority=60),)
    answerers = (
        Answerer("gomi", ".chat.gomi_answerer", priority=40),
        Answerer("faq", ".chat.faq_answerer", priority=50, warm_up=".chat.answerers_warm_up"),
    )
