"""The 粗大ごみ chat flow: 「粗大ごみ」 (or the rich-menu postback) replies with a single-use
link to the booking page; 「予約確認」 lists the resident's bookings with cancel buttons."""

from django.utils.translation import gettext as _

from portal.context import AuditContext
from portal.line import chat

from . import selectors, services
from .models import Booking, BulkySettings

START_WORDS = {"粗大ごみ", "粗大ゴミ", "粗大ごみ予約", "粗大ごみ申込"}
CHECK_WORDS = {"予約確認", "粗大ごみ予約確認"}


class BulkyFlow:
    name = "bulky"

    def matches(self, event: chat.ChatEvent) -> bool:
        return chat.is_trigger(event, START_WORDS | CHECK_WORDS, self.name)

    def start(self, ctx: chat.ChatContext) -> None:
        event = ctx.event
        action = event.postback.get("action", "start") if event.kind == "postback" else ""
        if event.kind == "text":
            action = "list" if event.text.strip() in CHECK_WORDS else "start"
        if action == "list":
            self._list(ctx)
        elif action == "cancel":
            self._cancel(ctx, event.postback.get("booking", ""))
        else:
            url = services.link_issue(resident=ctx.resident)
            ctx.reply(
                chat.text_message(
                    _(
                        "粗大ごみの収集申込はこちらのページからどうぞ（%(minutes)d分間有効・1回限りのリンクです）。\n%(url)s\n\n"
                        "申込の確認・取消は「予約確認」と送ってください。"
                    )
                    % {"url": url, "minutes": BulkySettings.load().link_ttl_minutes}
                )
            )
        ctx.end()

    def handle(self, ctx: chat.ChatContext) -> None:
        self.start(ctx)

    def _list(self, ctx: chat.ChatContext) -> None:
        bookings = [b for b in selectors.resident_bookings(resident=ctx.resident) if b.is_active]
        if not bookings:
            ctx.reply(chat.text_message(_("現在、受付中の粗大ごみの申込はありません。申込は「粗大ごみ」と送ってください。")))
            return
        lines = [_("受付中の粗大ごみの申込：")]
        buttons = []
        for booking in bookings[:10]:
            lines.append(
                _("%(number)s　収集日 %(date)s　%(fee)s円（%(status)s）")
                % {
                    "number": booking.number,
                    "date": selectors.format_date(booking.collection_date),
                    "fee": f"{booking.total_fee_yen:,}",
                    "status": booking.get_status_display(),
                }
            )
            if selectors.resident_can_cancel(booking=booking):
                buttons.append(
                    chat.quick_postback(
                        _("%(number)sを取消") % {"number": booking.number[-6:]},  # type: ignore[index]  # a submitted booking has its number
                        f"flow=bulky&action=cancel&booking={booking.pk}",
                        display_text=_("%(number)sを取り消す") % {"number": booking.number},
                    )
                )
        ctx.reply(chat.text_message("\n".join(lines), quick_replies=buttons or None))

    def _cancel(self, ctx: chat.ChatContext, raw_pk: str) -> None:
        booking = Booking.objects.filter(pk=raw_pk if raw_pk.isdigit() else 0, resident=ctx.resident).first()
        if booking is None:
            ctx.reply(chat.text_message(_("該当する申込が見つかりません。「予約確認」と送って確認してください。")))
            return
        try:
            services.booking_cancel(booking, ctx=AuditContext.system(), by_resident=True)
        except services.BookingError as error:
            ctx.reply(chat.text_message(error.message))
