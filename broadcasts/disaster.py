"""災害 templates an emergency broadcast can start from (避難情報, 断水, 道路通行止め).

〇〇 marks what the author must fill in; a broadcast still containing 〇〇 cannot be submitted
(``services.broadcast_submit``), so a template is never sent half-written.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

PLACEHOLDER = "〇〇"

TEMPLATES: list[dict] = [
    {
        "code": "evacuation",
        "label": _("避難情報"),
        "title": _("【避難情報】〇〇地区に避難指示"),
        "text": _(
            "【避難指示】\n"
            "〇〇月〇〇日 〇〇時〇〇分、〇〇区〇〇地区に避難指示を発令しました。\n"
            "対象地区の方は、直ちに近くの避難所へ避難してください。\n"
            "避難所：〇〇小学校、〇〇公民館\n"
            "外が危険なときは、建物の2階以上など安全な場所にとどまってください。\n"
            "最新の情報は市のホームページでご確認ください。"
        ),
    },
    {
        "code": "water",
        "label": _("断水"),
        "title": _("【断水】〇〇地区の断水のお知らせ"),
        "text": _(
            "【断水のお知らせ】\n"
            "〇〇区〇〇町の一部で断水しています。\n"
            "原因：〇〇\n"
            "復旧の見込み：〇〇月〇〇日 〇〇時ごろ\n"
            "給水所：〇〇公園（〇〇時〜〇〇時）。水を入れる容器をお持ちください。\n"
            "お問い合わせ：水道局 〇〇-〇〇〇〇-〇〇〇〇"
        ),
    },
    {
        "code": "road-closed",
        "label": _("道路通行止め"),
        "title": _("【通行止め】〇〇線の通行止めのお知らせ"),
        "text": _(
            "【通行止めのお知らせ】\n"
            "〇〇線（〇〇交差点〜〇〇橋）は、〇〇のため全面通行止めです。\n"
            "期間：〇〇月〇〇日 〇〇時から解除まで\n"
            "う回路：〇〇通りをご利用ください。\n"
            "通行止めの区間には近づかないでください。"
        ),
    },
]


def template(code: str) -> dict | None:
    """The template named ``code`` (its texts in the current language), or None."""
    for item in TEMPLATES:
        if item["code"] == code:
            return {key: str(value) for key, value in item.items()}
    return None
