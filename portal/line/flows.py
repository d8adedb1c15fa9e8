"""受信設定 in the chat: consent, then every active dimension in the order admins set
(``Dimension``: 年代, 地域, 関心分野 and whatever admins added — 性別, 子どもの年代, 校区 …),
through quick replies and postbacks (Kamakura / Zama model); 「設定確認」 shows the answers.

Single choice: one quick reply per option (and 「回答しない」). Multiple choice: options toggle
(✓) until 「決定」 (or 「回答しない」). LINE shows at most 13 quick-reply buttons: longer option
lists are paged with 「次へ」/「前へ」.

Postback data: ``flow=prefs&step=<step>&value=<value>`` (steps ``consent``, ``age``,
``area``, ``interest`` and ``d<dimension id>``; values an option, ``done``, ``skip`` or
``page:<n>``); ``flow=prefs&action=start`` (rich menu) reopens the flow,
``flow=prefs&action=show`` shows the answers.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.utils import timezone
from django.utils.translation import gettext as _

from . import chat, residents, services
from .dimensions import answers_of, dimension_rows
from .flows_language import question_items
from .models import AgeBand, Area, Dimension, DimensionOption, Interest, Resident

START_WORDS = {"受信設定", "設定変更"}
SHOW_WORDS = {"設定確認"}
SKIP = "skip"
DONE = "done"
MAX_QUICK_REPLIES = 13  # LINE's limit per message
BUILTIN_STEPS: dict[str, str] = {
    Dimension.Builtin.AGE: "age",
    Dimension.Builtin.AREA: "area",
    Dimension.Builtin.INTEREST: "interests",
}


def _data(step: str, value: str) -> str:
    return urlencode({"flow": "prefs", "step": step, "value": value})


def _selected_labels(bits: int) -> list[str]:
    return [i.name for i in Interest.objects.filter(is_active=True) if bits & (1 << i.bit)]


def _step_of(dimension: Dimension) -> str:
    return BUILTIN_STEPS.get(dimension.builtin, "") if dimension.builtin else f"d{dimension.pk}"


def _custom_id(step: str) -> int | None:
    return int(step[1:]) if step.startswith("d") and step[1:].isdigit() else None


def _steps() -> list[str]:
    """The questions in order: every active dimension (an admin-defined one only once it
    has an active option)."""
    rows = [d for d in dimension_rows() if d.is_active]
    custom = [d.pk for d in rows if not d.builtin]
    answered = set(DimensionOption.objects.filter(dimension_id__in=custom, is_active=True).values_list("dimension_id", flat=True))
    return [_step_of(d) for d in rows if d.builtin or d.pk in answered]


def _options(dimension_id: int) -> list[DimensionOption]:
    return list(DimensionOption.objects.filter(dimension_id=dimension_id, is_active=True))


def _page_size(count: int, multiple: bool) -> int:
    """Options per page so that options + the step's own buttons fit in 13."""
    fixed = 2 if multiple else 1  # 決定 + 回答しない / 回答しない
    if count + fixed <= MAX_QUICK_REPLIES:
        return max(count, 1)
    return MAX_QUICK_REPLIES - fixed - 2  # 前へ + 次へ


class PreferencesFlow:
    name = "preferences"

    # -- trigger ----------------------------------------------------------------------------
    def matches(self, event: chat.ChatEvent) -> bool:
        return chat.is_trigger(event, START_WORDS, "prefs", {"start"})

    def start(self, ctx: chat.ChatContext) -> None:
        if ctx.event.kind == "follow":
            ctx.reply(chat.text_message(_("友だち追加ありがとうございます。市のLINE公式アカウントです。")))
        if ctx.resident.consented_at:
            steps = _steps()
            if not steps:
                ctx.reply(chat.text_message(_("現在、登録できる受信設定はありません。")))
                return
            ctx.start(self.name, steps[0], interests=ctx.resident.interest_bits)
            self._enter(ctx)
            self._ask(ctx)
            return
        ctx.start(self.name, "consent", interests=ctx.resident.interest_bits)
        self._ask(ctx)

    def _enter(self, ctx: chat.ChatContext) -> None:
        """Entering an admin-defined dimension's step: its current answers are the selection."""
        dim_id = _custom_id(ctx.step)
        if dim_id is not None:
            ctx.advance(ctx.step, sel=answers_of(ctx.resident).get(dim_id, []), page=0)

    def _next(self, ctx: chat.ChatContext) -> None:
        """Ask the next dimension, or finish."""
        steps = _steps()
        current = ctx.step
        following = steps[steps.index(current) + 1 :] if current in steps else (steps if current == "consent" else [])
        if not following:
            ctx.end()
            # The language question rides on the last message (flows_language.py).
            ctx.reply(chat.text_message(_("受信設定を登録しました。") + "\n" + settings_summary(ctx.resident), question_items()))
            return
        ctx.advance(following[0])
        self._enter(ctx)
        self._ask(ctx)

    # -- questions --------------------------------------------------------------------------
    def _ask(self, ctx: chat.ChatContext, prefix: str = "") -> None:
        step = ctx.step
        lead = f"{prefix}\n" if prefix else ""
        if step == "consent":
            names = "・".join(d.name for d in dimension_rows() if d.is_active) or _("年代・お住まいの地域・関心のある分野")
            ctx.reply(
                chat.text_message(
                    lead
                    + _(
                        "お知らせを受け取りたい内容を選べる「受信設定」をご案内します。"
                        "登録するのは{names}だけで、配信先を選ぶためにだけ使います。"
                        "内容はいつでも「受信設定」で変更、「配信停止」で停止できます。登録に同意しますか？"
                    ).format(names=names),
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
        elif _custom_id(step) is not None:
            self._ask_dimension(ctx, lead)

    def _ask_dimension(self, ctx: chat.ChatContext, lead: str) -> None:
        step = ctx.step
        dim_id = _custom_id(step)
        dimension = Dimension.objects.filter(pk=dim_id).first() if dim_id is not None else None
        if dimension is None:
            ctx.end()
            return
        options = _options(dimension.pk)
        multiple = dimension.is_multiple
        size = _page_size(len(options), multiple)
        pages = max(1, -(-len(options) // size))
        page = min(max(0, int(ctx.data.get("page") or 0)), pages - 1)
        chosen = {int(v) for v in ctx.data.get("sel") or []}
        items = []
        for option in options[page * size : (page + 1) * size]:
            mark = "✓" if multiple and option.pk in chosen else ""
            items.append(chat.quick_postback(mark + option.label, _data(step, str(option.pk)), option.label))
        if page > 0:
            items.append(chat.quick_postback(_("前へ"), _data(step, f"page:{page - 1}"), _("前へ")))
        if page < pages - 1:
            items.append(chat.quick_postback(_("次へ"), _data(step, f"page:{page + 1}"), _("次へ")))
        if multiple:
            items.append(chat.quick_postback(_("決定"), _data(step, DONE), _("決定")))
        if not any(o.label == _("回答しない") for o in options):
            items.append(chat.quick_postback(_("回答しない"), _data(step, SKIP), _("回答しない")))
        question = dimension.question or _("{name}を選んでください。").format(name=dimension.name)
        text = lead + question
        if multiple:
            labels = [o.label for o in options if o.pk in chosen]
            text += "\n" + _("複数選べます。選び終えたら「決定」を押してください。")
            text += "\n" + (_("選択中：{names}").format(names="、".join(labels)) if labels else _("選択中：なし"))
        if pages > 1:
            text += "\n" + _("（{page}/{pages}ページ）").format(page=page + 1, pages=pages)
        ctx.reply(chat.text_message(text, items))

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
        dim_id = _custom_id(step)
        if dim_id is not None:
            words = {_("決定"): DONE, _("次へ"): "next", _("前へ"): "previous"}
            if text in words:
                value = words[text]
                page = int(ctx.data.get("page") or 0)
                return {"next": f"page:{page + 1}", "previous": f"page:{page - 1}"}.get(value, value)
            option = DimensionOption.objects.filter(dimension_id=dim_id, is_active=True, label=text.lstrip("✓")).first()
            if option is not None:
                return str(option.pk)
            return SKIP if text == _("回答しない") else None
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
        elif step == "age":
            valid = {v for v, _label in AgeBand.choices}
            if value != SKIP and value not in valid:
                self._reprompt(ctx)
                return
            before = resident.age_band
            resident.age_band = "" if value == SKIP else value
            resident.save(update_fields=["age_band"])
            if resident.age_band != before:
                residents.segment_changed(resident=resident)
        elif step == "area":
            area = None if value == SKIP else Area.objects.filter(is_active=True, code=value).first()
            if value != SKIP and area is None:
                self._reprompt(ctx)
                return
            before_area = resident.area_id
            resident.area = area
            resident.save(update_fields=["area"])
            if resident.area_id != before_area:
                residents.segment_changed(resident=resident)
        elif step == "interests":
            bits = int(ctx.data.get("interests") or 0)
            if value != DONE:
                interest = Interest.objects.filter(is_active=True, code=value).first()
                if interest is None:
                    self._reprompt(ctx)
                    return
                ctx.advance("interests", interests=bits ^ interest.mask)
                self._ask(ctx)
                return
            Resident.objects.filter(pk=resident.pk).update(interest_bits=bits)
            resident.interest_bits = bits
        elif _custom_id(step) is not None:
            if not self._handle_dimension(ctx, value):
                return
        else:
            ctx.end()
            return
        self._next(ctx)

    def _handle_dimension(self, ctx: chat.ChatContext, value: str) -> bool:
        """True when the dimension is answered (ask the next one); False when the same
        question is shown again (a toggle, another page, a wrong answer)."""
        dim_id = _custom_id(ctx.step)
        dimension = Dimension.objects.filter(pk=dim_id, is_active=True).first() if dim_id is not None else None
        if dimension is None:
            return True
        chosen = [int(v) for v in ctx.data.get("sel") or []]
        if value.startswith("page:"):
            page = value.removeprefix("page:")
            ctx.advance(ctx.step, page=int(page) if page.lstrip("-").isdigit() else 0)
            self._ask(ctx)
            return False
        if value == SKIP:
            services.answers_replace(resident=ctx.resident, dimension=dimension, option_ids=[])
            return True
        if value == DONE:
            if not dimension.is_multiple:
                self._reprompt(ctx)
                return False
            services.answers_replace(resident=ctx.resident, dimension=dimension, option_ids=chosen)
            return True
        option = (
            DimensionOption.objects.filter(dimension=dimension, is_active=True, pk=int(value)).first()
            if value.isdigit()
            else None
        )
        if option is None:
            self._reprompt(ctx)
            return False
        if not dimension.is_multiple:
            services.answers_replace(resident=ctx.resident, dimension=dimension, option_ids=[option.pk])
            return True
        chosen = [pk for pk in chosen if pk != option.pk] if option.pk in chosen else [*chosen, option.pk]
        ctx.advance(ctx.step, sel=chosen)
        self._ask(ctx)
        return False


def settings_summary(resident: Resident) -> str:
    resident.refresh_from_db(fields=["age_band", "area", "interest_bits", "segment_opt_out"])
    values = {
        Dimension.Builtin.AGE: resident.get_age_band_display() or _("未登録"),
        Dimension.Builtin.AREA: resident.area.name if resident.area else _("未登録"),
        Dimension.Builtin.INTEREST: "、".join(_selected_labels(resident.interest_bits)) or _("未登録"),
    }
    answers = answers_of(resident)
    chosen = [pk for ids in answers.values() for pk in ids]
    labels = dict(DimensionOption.objects.filter(pk__in=chosen).values_list("pk", "label")) if chosen else {}
    lines = []
    for dimension in dimension_rows():
        if dimension.builtin:
            value = values[Dimension.Builtin(dimension.builtin)]
        elif dimension.is_active:
            value = "、".join(labels[pk] for pk in answers.get(dimension.pk, []) if pk in labels) or _("未登録")
        else:
            continue
        lines.append(_("{name}：{value}").format(name=dimension.name, value=value))
    lines.append(_("お知らせの配信：{value}").format(value=_("停止中") if resident.segment_opt_out else _("受信中")))
    return "\n".join(lines)


class ShowPreferencesFlow:
    """「設定確認」: answers only; any conversation in progress is left as it is."""

    name = "preferences-show"

    def matches(self, event: chat.ChatEvent) -> bool:
        return chat.is_trigger(event, SHOW_WORDS, "prefs", {"show"})

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
