"""受信設定's language question: quick replies with each language's own name (日本語,
やさしい日本語, English, 中文, 한국어, Tiếng Việt). It is offered with 受信設定's last message
and starts alone on a word like 「言語」 or "language" (``language.START_WORDS``); the answer
is a postback ``flow=lang&value=<code>`` stored in ``Resident.language``. It never owns a
conversation; a choice ends the one in progress (e.g. the Japanese consent question right
after following), so the resident's next message is answered in their language."""

from __future__ import annotations

from urllib.parse import urlencode

from . import chat
from .language import CODES, NAMES, START_WORDS, words
from .models import Resident

FLOW = "lang"


def question_items() -> list[dict]:
    """The quick replies of the language question (one per language, in its own name)."""
    return [chat.quick_postback(NAMES[code], urlencode({"flow": FLOW, "value": code}), NAMES[code]) for code in CODES]


def question_text() -> str:
    """The question in every language at once (the resident may read only one of them)."""
    return "\n".join(words(code, "question") for code in CODES if code != "ja-easy")


class LanguageFlow:
    name = "language"

    def matches(self, event: chat.ChatEvent) -> bool:
        if event.kind == "text":
            return " ".join(event.text.split()).casefold() in START_WORDS
        if event.kind == "postback":
            return event.postback.get("flow") == FLOW
        return False

    def start(self, ctx: chat.ChatContext) -> None:
        value = ctx.event.postback.get("value", "") if ctx.event.kind == "postback" else ""
        if value not in CODES:
            ctx.reply(chat.text_message(question_text(), question_items()))
            return
        # A conversation in progress (受信設定's consent, asked in Japanese) is left: the
        # resident's next message is theirs again; 「受信設定」 starts it anew.
        ctx.end()
        Resident.objects.filter(pk=ctx.resident.pk).update(language=value)
        ctx.resident.language = value
        note = words(value, "note")
        ctx.reply(chat.text_message(words(value, "chosen") + (f"\n{note}" if note else "")))

    def handle(self, ctx: chat.ChatContext) -> None:  # never owns a conversation
        ctx.end()
