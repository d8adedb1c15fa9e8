"""The inbox in the LINE chat: the last answerer (a message nothing else answered goes to
staff) and the flow that keeps the resident's next messages with staff while they talk.

``inbox_answerer(ctx)`` is registered as the answerer ``"inbox"`` (priority 1000, after the
FAQ and ごみ分別 answerers) and takes every text that reaches it (photos, stickers and
locations only while a conversation is open; postbacks never); the FAQ's 「職員に聞く」
calls it by name (``chat.answerer_named("inbox")(ctx)``). It opens a conversation for staff
(or adds to the resident's open one), tells the resident once, when it opens, that staff will
answer and that LINE takes no personal or confidential matters; later messages get no
automatic answer (their reply token stays fresh for staff) and, while a staff member is
handling the conversation (対応中), the loading animation.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from portal.line import chat

from . import services
from .models import Inquiry

FLOW = "inbox"
LOADING_SECONDS = 60


def received_text() -> str:
    return _(
        "お問い合わせを受け付けました。職員が内容を確認し、このトークでお返事します"
        "（受付は24時間、お返事は開庁日の8時30分〜17時15分）。\n"
        "LINEでは個人情報や機微な相談は受け付けていません。お名前・住所・電話番号や、"
        "健康・家庭・お金に関するご相談は、電話または窓口でお願いします。"
    )


def inbox_answerer(ctx: chat.ChatContext) -> bool:
    """Hand the message to staff. A text opens a conversation (or joins the open one); a
    photo, sticker or location only joins an open one; a postback (a button of a flow that
    ended) is no message for staff. False leaves it to the generic reply."""
    kind = ctx.event.kind
    if kind == "postback" or (kind != "text" and not services.inquiry_is_open(resident=ctx.resident)):
        return False
    if kind == "text" and not ctx.event.text:
        return False
    ctx.keep_in_chat_log()
    # Who of the batch has an open conversation: read once per batch, kept up to date with
    # what this batch opens (a stale answer only means the usual per-event path).
    with_open = ctx.batch.memo(
        "inbox.open", lambda: services.residents_with_open_inquiry(resident_ids=ctx.batch.resident_ids | {ctx.resident.pk})
    )
    inquiry, opened = services.inquiry_receive(resident=ctx.resident, known_open=ctx.resident.pk in with_open)
    with_open.add(ctx.resident.pk)
    if opened:
        ctx.reply(chat.text_message(received_text()))
    elif inquiry.status == Inquiry.Status.OPEN:
        ctx.show_loading(LOADING_SECONDS)
    ctx.start(FLOW, "with-staff", inquiry=inquiry.pk)
    return True


class InboxFlow:
    """Holds the chat while the resident talks with staff (the conversation's 30 minutes):
    their messages go to the conversation, not to the automatic answers. A keyword of
    another flow (通報, 受信設定 …) still starts that flow."""

    name = FLOW

    def matches(self, event: chat.ChatEvent) -> bool:
        return False

    def start(self, ctx: chat.ChatContext) -> None:
        self.handle(ctx)

    def handle(self, ctx: chat.ChatContext) -> None:
        if ctx.event.kind != "postback" and services.inquiry_is_open(resident=ctx.resident):
            inbox_answerer(ctx)
            return
        # The conversation was closed by staff (or a stale button): the message is a new
        # one, offered to the answerers in their order as if no conversation held the chat.
        ctx.end()
        for _name, answerer in chat.answerers():
            if answerer(ctx):
                return
        ctx.reply(chat.text_message(_("メニューから選ぶか、ご用件を文章で送ってください。")))
