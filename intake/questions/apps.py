"""The Q&A base, ごみ分別 and their chat answers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionsConfig(AppConfig):
    name = "intake.questions"
    label = "questions"
    verbose_name = _("よくある質問・ごみ分別")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from accounts.audit import register_actions
        from accounts.roles import Perm
        from portal import demo, navigation
        from portal.line import chat

        from . import audit
        from .chat import FaqFlow, faq_answerer, gomi_answerer
        from .demo import load_demo

        chat.register_flow(FaqFlow(), priority=60)
        chat.register_answerer("gomi", gomi_answerer, priority=40)
        chat.register_answerer("faq", faq_answerer, priority=50)
        register_actions(dict(audit.LABELS))
        readers = (Perm.VIEW_QUESTIONS, Perm.MANAGE_FAQ, Perm.MANAGE_GOMI)
        navigation.register(
            navigation.NavItem(_("よくある質問"), "questions:entries", readers, order=70),
            navigation.NavItem(_("ごみ分別辞書"), "questions:gomi", readers, order=71),
        )
        demo.register(70, "questions", load_demo)
