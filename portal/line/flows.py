"""受信設定 in the chat: consent, age band, area and interests, through quick replies and
postbacks (Kamakura / Zama model); 「設定確認」 shows the current answers.

Postback data: ``flow=prefs&step=<step>&value=<value>``; ``flow=prefs&action=start`` (rich
menu) reopens the flow, ``flow=prefs&action=show`` shows the answers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from . import chat
from .flows_language import question_items
from .models import AgeBand, Area, Interest, Resident

START_WORDS = {"受信設定", "設定変更"}
SHOW_WORDS = {"設定確認"}
SKIP = "skip"
DONE = "done"


def _data(step: str, value: str) -> str:
    return urlencode({"flow": "prefs", "step": step, "value": value})


def _selected_labels(bits: int) -> list[str]:
    return [i.name for i in Interest.objects.filter(is_active=True) if bits & (1 << i.bit)]


class PreferencesFlow:
    name = "preferences"

    # -- trigger ----------------------------------------------------------------------------
    def matches(self, event: chat.ChatEvent) -> bool:
        if event.kind == "text":
            return event.text in START_WORDS
        if event.kind == "postback":
            data = event.postback
            return data.get("flow") == "prefs" and data.get("action") == "start"
        return False

    def start(self, ctx: chat.ChatContext) -> None:
        if ctx.event.kind == "follow":
            ctx.reply(chat.text_message(_("友だち追加ありがとうございます。市のLINE公式アカウントです。")))
        if ctx.resident.consented_at:
            ctx.start(self.name, "age", interests=ctx.resident.interest_bits)
            self._ask(ctx)
            return
        ctx.start(self.name, "consent", interests=ctx.resident.interest_bits)
        self._ask(ctx)

    # -- questions --------------------------------------------------------------------------
    def _ask(self, ctx: chat.ChatContext, prefix: str = "") -> None:
        step = ctx.step
        lead = f"{prefix}\n" if prefix else ""
        if step == "consent":
            ctx.reply(
                chat.text_message(
                    lead
                    + _(
                        "お知らせを受け取りたい内容を選べる「受信設定」をご案内します。"
                        "登録するのは年代・お住まいの地域・関心のある分野だけで、配信先を選ぶためにだけ使います。"
                        "内容はいつでも「受信設定」で変更、「配信停止」で停止できます。登録に同意しますか？"
                    ),
                    [
                        chat.quick_postback(_("同意する"), _data("consent", "yes"), _("同意する")),
                        chat.quick_postback(_("同意しない"), _data("consent", "no"), _("同意しない")),
                    ],
                )
            )
        elif step == "age":
            items = [chat.quick_postback(str(label), _data("age", value), str(label)) for value, label in AgeBand.choices]
            items.append(chat.quick_postback(_("回答しない"), _data("age", SKIP), _("回答しない")))
            ctx.reply(chat.text_message(lead + _("年代を選んでください。"), items))
        elif step == "area":
            areas = list(Area.objects.filter(is_active=True)[:12])
            items = [chat.quick_postback(a.name, _data("area", a.code), a.name) for a in areas]
            items.append(chat.quick_postback(_("回答しない"), _data("area", SKIP), _("回答しない")))
            ctx.reply(chat.text_message(lead + _("お住まいの地域を選んでください。"), items))
        elif step == "interests":
            bits = int(ctx.data.get("interests") or 0)
            interests = list(Interest.objects.filter(is_active=True)[:12])
            items = [
                chat.quick_postback(("✓" if bits & i.mask else "") + i.name, _data("interest", i.code), i.name) for i in interests
            ]
            items.append(chat.quick_postback(_("完了"), _data("interest", DONE), _("完了")))
            chosen = _selected_labels(bits)
            status = _("選択中：{names}").format(names="、".join(chosen)) if chosen else _("選択中：なし")
            ctx.reply(
                chat.text_message(
                    lead
                    + _("関心のある分野を選んでください（複数選べます）。選び終えたら「完了」を押してください。")
                    + "\n"
                    + status,
                    items,
                )
            )

    def _reprompt(self, ctx: chat.ChatContext) -> None:
        self._ask(ctx, _("ボタンから選んでください。やめるときは「キャンセル」と送ってください。"))

    # -- answers ----------------------------------------------------------------------------
    def _answer(self, ctx: chat.ChatContext, step: str) -> str | None:
        """The answer to ``step`` from a postback, or from text matching a button label."""
        event = ctx.event
        if event.kind == "postback":
            data = event.postback
            if data.get("flow") == "prefs" and data.get("step") in (step, "interest" if step == "interests" else step):
                return data.get("value")
            return None
        if event.kind != "text":
            return None
        text = event.text
        if text == _("回答しない"):
            return SKIP
        if step == "consent":
            return {_("同意する"): "yes", _("同意しない"): "no"}.get(text)
        if step == "age":
            return next((value for value, label in AgeBand.choices if str(label) == text), None)
        if step == "area":
            area = Area.objects.filter(is_active=True, name=text).first()
            return area.code if area else None
        if step == "interests":
            if text == _("完了"):
                return DONE
            interest = Interest.objects.filter(is_active=True, name=text.lstrip("✓")).first()
            return interest.code if interest else None
        return None

    def handle(self, ctx: chat.ChatContext) -> None:
        step = ctx.step
        value = self._answer(ctx, step)
        if value is None:
            self._reprompt(ctx)
            return
        resident = ctx.resident
        if step == "consent":
            if value != "yes":
                ctx.end()
                ctx.reply(
                    chat.text_message(
                        _(
                            "受信設定は登録しませんでした。すべての方向けのお知らせはこのままお届けします。登録するときは「受信設定」と送ってください。"
                        )
                    )
                )
                return
            Resident.objects.filter(pk=resident.pk).update(consented_at=timezone.now())
            resident.consented_at = timezone.now()
            ctx.advance("age")
        elif step == "age":
            valid = {v for v, _label in AgeBand.choices}
            if value != SKIP and value not in valid:
                self._reprompt(ctx)
                return
            resident.age_band = "" if value == SKIP else value
            resident.save(update_fields=["age_band"])
            ctx.advance("area")
        elif step == "area":
            area = None if value == SKIP else Area.objects.filter(is_active=True, code=value).first()
            if value != SKIP and area is None:
                self._reprompt(ctx)
                return
            resident.area = area
            resident.save(update_fields=["area"])
            ctx.advance("interests")
        elif step == "interests":
            bits = int(ctx.data.get("interests") or 0)
            if value == DONE:
                Resident.objects.filter(pk=resident.pk).update(interest_bits=bits)
                resident.interest_bits = bits
                ctx.end()
                # The language question rides on the last message (flows_language.py).
                ctx.reply(chat.text_message(_("受信設定を登録しました。") + "\n" + settings_summary(resident), question_items()))
                return
            interest = Interest.objects.filter(is_active=True, code=value).first()
            if interest is None:
                self._reprompt(ctx)
                return
            ctx.advance("interests", interests=bits ^ interest.mask)
        else:
            ctx.end()
            return
        self._ask(ctx)


def settings_summary(resident: Resident) -> str:
    resident.refresh_from_db(fields=["age_band", "area", "interest_bits", "segment_opt_out"])
    lines = [
        _("年代：{value}").format(value=resident.get_age_band_display() or _("未登録")),
        _("地域：{value}").format(value=resident.area.name if resident.area else _("未登録")),
        _("関心分野：{value}").format(value="、".join(_selected_labels(resident.interest_bits)) or _("未登録")),
        _("お知らせの配信：{value}").format(value=_("停止中") if resident.segment_opt_out else _("受信中")),
    ]
    return "\n".join(lines)


class ShowPreferencesFlow:
    """「設定確認」: answers only; any conversation in progress is left as it is."""

    name = "preferences-show"

    def matches(self, event: chat.ChatEvent) -> bool:
        if event.kind == "text":
            return event.text in SHOW_WORDS
        if event.kind == "postback":
            data = event.postback
            return data.get("flow") == "prefs" and data.get("action") == "show"
        return False

    def start(self, ctx: chat.ChatContext) -> None:
        resident = ctx.resident
        if not resident.consented_at:
            ctx.reply(
                chat.text_message(
                    _("まだ受信設定が登録されていません。「受信設定」と送ると登録できます。"),
                    [chat.quick_message(_("受信設定"))],
                )
            )
            return
        ctx.reply(
            chat.text_message(
                _("現在の受信設定です。") + "\n" + settings_summary(resident), [chat.quick_message(_("受信設定"), _("受信設定"))]
            )
        )

    def handle(self, ctx: chat.ChatContext) -> None:  # never owns a conversation
        ctx.end()
