"""The 通報 chat flow (category → danger → photos → place → comment → confirm), the
通報状況 reply, and residents' follow-ups on a report. Registered from RoadsConfig.ready()."""

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from portal.line import chat
from portal.line.chat import ChatContext, ChatEvent

from . import selectors, services
from .models import Category, ReportPhoto

FLOW = "road"
MAX_PHOTOS = 3
START_WORDS = {"通報", "道路通報", "通報する"}
STATUS_WORDS = {"通報状況", "通報の状況"}


def _pb(step: str, value: str | int) -> str:
    return f"flow={FLOW}&step={step}&value={value}"


def _cancel_button() -> dict:
    return chat.quick_message(_("キャンセル"), "キャンセル")


def _photo_prompt(count: int) -> dict:
    buttons = [chat.quick_camera(_("カメラで撮る")), chat.quick_camera_roll(_("写真を選ぶ"))]
    if count:
        buttons.insert(0, chat.quick_postback(_("次へ"), _pb("photos", "next"), _("次へ")))
        text = _("写真を受け付けました（%(n)s/3枚）。ほかにも送るか、「次へ」を押してください。") % {"n": count}
    else:
        text = _("損傷の様子がわかる写真を1〜3枚送ってください。")
    return chat.text_message(text, [*buttons, _cancel_button()])


def _place_prompt() -> dict:
    return chat.text_message(
        _("場所を教えてください。「位置情報を送る」で地図から選ぶか、「住所を入力」を押して住所や目印を入力してください。"),
        [
            chat.quick_location(_("位置情報を送る")),
            chat.quick_postback(_("住所を入力"), _pb("place", "address"), _("住所を入力")),
            _cancel_button(),
        ],
    )


def _comment_prompt() -> dict:
    return chat.text_message(
        _("状況について補足があれば入力してください（任意）。なければ「なし」を押してください。"),
        [chat.quick_postback(_("なし"), _pb("comment", "none"), _("なし")), _cancel_button()],
    )


def _danger_question(text: str) -> dict:
    """Whether it is dangerous to pass right now: はい / いいえ (or cancel)."""
    return chat.text_message(
        text,
        [
            chat.quick_postback(_("はい、危険です"), _pb("danger", "yes"), _("はい、危険です")),
            chat.quick_postback(_("いいえ"), _pb("danger", "no"), _("いいえ")),
            _cancel_button(),
        ],
    )


def _valid_photo_ids(ids: list[int]) -> list[int]:
    return list(ReportPhoto.objects.filter(pk__in=ids).exclude(state=ReportPhoto.State.REJECTED).values_list("pk", flat=True))


class RoadReportFlow:
    name = FLOW

    def matches(self, event: ChatEvent) -> bool:
        return chat.is_trigger(event, START_WORDS, FLOW, {"start", "followup"})

    # -- start ----------------------------------------------------------------------
    def start(self, ctx: ChatContext) -> None:
        data = ctx.event.postback if ctx.event.kind == "postback" else {}
        if data.get("action") == "followup":
            report = selectors.report_for_resident(resident=ctx.resident, reference=data.get("ref", ""))
            if report is None:
                ctx.reply(chat.text_message(_("該当する通報が見つかりませんでした。")))
                return
            ctx.start(FLOW, "followup", report_id=report.pk)
            ctx.reply(
                chat.text_message(
                    _("%(ref)s について、市へ伝えたいことを入力してください。") % {"ref": report.reference}, [_cancel_button()]
                )
            )
            return
        categories = list(Category.objects.filter(is_active=True).order_by("order", "id")[:12])
        if not categories:
            ctx.reply(chat.text_message(_("現在、通報を受け付けていません。")))
            return
        ctx.start(FLOW, "category")
        buttons = [chat.quick_postback(c.name, _pb("category", c.pk), c.name) for c in categories]
        ctx.reply(chat.text_message(_("道路などの損傷を通報します。種類を選んでください。"), [*buttons, _cancel_button()]))

    # -- steps ------------------------------------------------------------------------
    def handle(self, ctx: ChatContext) -> None:
        handler = getattr(self, f"_step_{ctx.step}", None)
        if handler is None:
            ctx.end()
            ctx.reply(chat.text_message(_("もう一度「通報」と送ってください。")))
            return
        handler(ctx)

    def _value(self, ctx: ChatContext, step: str) -> str | None:
        ev = ctx.event
        if ev.kind == "postback" and ev.postback.get("flow") == FLOW and ev.postback.get("step") == step:
            return ev.postback.get("value", "")
        return None

    def _step_category(self, ctx: ChatContext) -> None:
        value = self._value(ctx, "category")
        category = None
        if value is not None and value.isdigit():
            category = Category.objects.filter(pk=int(value), is_active=True).first()
        elif ctx.event.kind == "text":
            category = Category.objects.filter(name=ctx.event.text.strip(), is_active=True).first()
        if category is None:
            categories = Category.objects.filter(is_active=True).order_by("order", "id")[:12]
            buttons = [chat.quick_postback(c.name, _pb("category", c.pk), c.name) for c in categories]
            ctx.reply(chat.text_message(_("下のボタンから種類を選んでください。"), [*buttons, _cancel_button()]))
            return
        ctx.advance("danger", category_id=category.pk)
        ctx.reply(_danger_question(_("今すぐ通行に危険がありますか？")))

    def _step_danger(self, ctx: ChatContext) -> None:
        value = self._value(ctx, "danger")
        if value is None and ctx.event.kind == "text":
            value = {"はい": "yes", "いいえ": "no"}.get(ctx.event.text.strip())
        if value == "yes":
            # The phone number first (call now); then the chat goes on, so the report is kept
            # and filed 緊急 with a 危険 flag once photos and the place are in.
            category = Category.objects.filter(pk=ctx.data.get("category_id")).first()  # type: ignore[misc]
            phone = category.emergency_phone if category else ""
            ctx.advance("photos", photo_ids=[], dangerous=True)
            ctx.reply(
                chat.text_message(
                    _(
                        "通行に危険がある場合は、すぐにお電話ください。\n%(name)s 緊急連絡先: %(phone)s\n"
                        "（危険な場所には近づかないでください。）"
                    )
                    % {"name": category.name if category else "", "phone": phone}
                ),
                chat.text_message(
                    _(
                        "安全な場所から、続けて写真と場所を送っていただくと、緊急の通報として受け付けます。"
                        "損傷の様子がわかる写真を1〜3枚送ってください。"
                    ),
                    [
                        chat.quick_camera(_("カメラで撮る")),
                        chat.quick_camera_roll(_("写真を選ぶ")),
                        chat.quick_postback(_("写真なしで続ける"), _pb("photos", "skip"), _("写真なしで続ける")),
                        _cancel_button(),
                    ],
                ),
            )
            return
        if value == "no":
            ctx.advance("photos", photo_ids=[])
            ctx.reply(_photo_prompt(0))
            return
        ctx.reply(_danger_question(_("「はい」か「いいえ」を選んでください。今すぐ通行に危険がありますか？")))

    def _step_photos(self, ctx: ChatContext) -> None:
        # Several photos sent at once arrive as separate events, possibly on several workers:
        # re-read the state under the conversation's lock so no photo id is lost.
        if ctx.lock_conversation() and ctx.step != "photos":
            self.handle(ctx)
            return
        ids: list[int] = list(ctx.data.get("photo_ids", []))
        if ctx.event.kind == "image":
            photo = services.photo_receive(resident=ctx.resident, message_id=ctx.event.message_id)
            ids.append(photo.pk)
            if len(ids) >= MAX_PHOTOS:
                ctx.advance("place", photo_ids=ids)
                ctx.reply(chat.text_message(_("写真を3枚受け付けました。")), _place_prompt())
            else:
                ctx.advance("photos", photo_ids=ids)
                ctx.reply(_photo_prompt(len(ids)))
            return
        if self._value(ctx, "photos") == "skip" and ctx.data.get("dangerous"):
            # A resident at a dangerous place need not take a photo.
            ctx.advance("place", photo_ids=_valid_photo_ids(ids))
            ctx.reply(_place_prompt())
            return
        wants_next = self._value(ctx, "photos") == "next" or (ctx.event.kind == "text" and ctx.event.text.strip() == "次へ")
        if wants_next:
            valid = _valid_photo_ids(ids)
            if valid:
                ctx.advance("place", photo_ids=valid)
                ctx.reply(_place_prompt())
                return
            ctx.advance("photos", photo_ids=[])
            ctx.reply(chat.text_message(_("受け付けられた写真がありません。")), _photo_prompt(0))
            return
        hint = {
            "sticker": _("スタンプではなく、写真を送ってください。"),
            "video": _("動画は受け付けていません。写真を送ってください。"),
            "text": _("写真を送ってください。文字での説明は後で入力できます。"),
        }.get(ctx.event.kind, _("写真を送ってください。"))
        ctx.reply(chat.text_message(hint), _photo_prompt(len(ids)))

    def _step_place(self, ctx: ChatContext) -> None:
        ev = ctx.event
        if ev.kind == "location" and ev.latitude is not None and ev.longitude is not None:
            ctx.advance("comment", latitude=ev.latitude, longitude=ev.longitude, address=(ev.address or "")[:200])
            ctx.reply(_comment_prompt())
            return
        if self._value(ctx, "place") == "address":
            ctx.advance("place", typing_address=True)
            ctx.reply(chat.text_message(_("住所や目印（例: ○○小学校の前）を入力してください。"), [_cancel_button()]))
            return
        if ev.kind == "text" and len(ev.text.strip()) >= 2:
            ctx.advance("comment", latitude=None, longitude=None, address=ev.text.strip()[:200])
            ctx.reply(_comment_prompt())
            return
        ctx.reply(chat.text_message(_("位置情報を送るか、住所や目印を入力してください。")), _place_prompt())

    def _step_comment(self, ctx: ChatContext) -> None:
        ev = ctx.event
        if self._value(ctx, "comment") == "none" or (ev.kind == "text" and ev.text.strip() == "なし"):
            comment = ""
        elif ev.kind == "text" and ev.text.strip():
            comment = ev.text.strip()[:1000]
        else:
            ctx.reply(_comment_prompt())
            return
        ctx.advance("confirm", comment=comment)
        ctx.reply(self._summary(ctx))

    def _summary(self, ctx: ChatContext) -> dict:
        data = ctx.data
        category = Category.objects.filter(pk=data.get("category_id")).first()  # type: ignore[misc]
        if data.get("latitude") is not None:
            place = data.get("address") or _("位置情報（地図）")
        else:
            place = data.get("address") or "-"
        text = _("以下の内容で通報します。よろしいですか？\n種類: %(cat)s\n写真: %(n)s枚\n場所: %(place)s\n補足: %(comment)s") % {
            "cat": category.name if category else "-",
            "n": len(data.get("photo_ids", [])),
            "place": place,
            "comment": data.get("comment") or _("なし"),
        }
        if data.get("dangerous"):
            text += "\n" + _("危険: あり（緊急の通報として受け付けます）")
        return chat.text_message(
            text, [chat.quick_postback(_("送信する"), _pb("confirm", "yes"), _("送信する")), _cancel_button()]
        )

    def _step_confirm(self, ctx: ChatContext) -> None:
        ev = ctx.event
        if not (self._value(ctx, "confirm") == "yes" or (ev.kind == "text" and ev.text.strip() in {"送信", "送信する"})):
            ctx.reply(self._summary(ctx))
            return
        data = ctx.data
        category = Category.objects.filter(pk=data.get("category_id")).first()  # type: ignore[misc]
        if category is None:
            ctx.end()
            ctx.reply(chat.text_message(_("種類が見つかりません。もう一度「通報」からやり直してください。")))
            return
        report = services.report_create(
            category=category,
            resident=ctx.resident,
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
            location_source="line" if data.get("latitude") is not None else "",
            address_text=data.get("address", ""),
            comment=data.get("comment", ""),
            photo_ids=data.get("photo_ids", []),
            dangerous=bool(data.get("dangerous")),
        )
        ctx.end()
        ctx.reply(
            chat.text_message(
                _("通報を受け付けました。ありがとうございます。\n受付番号: %(ref)s\n対応状況は「通報状況」と送ると確認できます。")
                % {"ref": report.reference}
            )
        )

    def _step_followup(self, ctx: ChatContext) -> None:
        ev = ctx.event
        report = selectors.report_for_resident(resident=ctx.resident, report_id=ctx.data.get("report_id"))
        if report is None:
            ctx.end()
            return
        if ev.kind != "text" or not ev.text.strip():
            ctx.reply(chat.text_message(_("伝えたい内容を文字で入力してください。"), [_cancel_button()]))
            return
        services.resident_follow_up(report=report, resident=ctx.resident, text=ev.text)
        ctx.end()
        ctx.reply(chat.text_message(_("%(ref)s についてのご連絡を担当者へ伝えました。") % {"ref": report.reference}))


class RoadStatusFlow:
    """「通報状況」: the resident's latest reports with resident-facing status labels."""

    name = "road_status"

    def matches(self, event: ChatEvent) -> bool:
        return chat.is_trigger(event, STATUS_WORDS, self.name)

    def start(self, ctx: ChatContext) -> None:
        reports = selectors.reports_of_resident(resident=ctx.resident)[:5]
        if not reports:
            ctx.reply(chat.text_message(_("通報の記録はありません。「通報」と送ると新しく通報できます。")))
            return
        lines = [_("最近の通報の状況です。")]
        buttons: list[dict[str, Any]] = []
        for report in reports:
            lines.append(
                f"{report.reference}（{report.category.name}）\n"
                f"{timezone.localtime(report.created_at).strftime('%m/%d')} {services.resident_label(report.status)}"
            )
            if len(buttons) < 4:
                buttons.append(
                    chat.quick_postback(
                        _("%(ref)sに連絡") % {"ref": report.reference[-6:]},
                        f"flow={FLOW}&action=followup&ref={report.reference}",
                        _("%(ref)s について連絡") % {"ref": report.reference},
                    )
                )
        ctx.reply(chat.text_message("\n\n".join(lines), buttons))

    def handle(self, ctx: ChatContext) -> None:
        ctx.end()
