"""The chat side of intake.questions: a resident's free text goes to the ごみ分別 dictionary,
then to the published Q&A base; what neither answers is handed on (the answerer returns
False, so the staff inbox, registered after these, takes it).

- ``gomi_answerer`` (priority 40): an item named in the message → its 種別 and 注意; a
  粗大ごみ item offers the bulky app's booking (a quick reply with its start postback).
- ``faq_answerer`` (priority 50): confident → the answer (+ link, the entry's quick replies,
  役に立った / 役に立たなかった / 職員に聞く); middling → up to three candidate questions as
  quick replies; otherwise False.
- ``FaqFlow`` takes this app's postbacks (``flow=faq``): choosing a candidate, and the
  feedback buttons (counted per entry, never who pressed).

Answers are the city's own content, in the resident's language where the entry has a
translation, else in Japanese with a short note in theirs.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings

from portal.line import chat
from portal.line.language import resident_language as chosen_or_detected

from . import selectors, services
from .gomi import GomiAnswer, gomi_lookup
from .matching import Decision, Entry, answer
from .text import tokenizer

logger = logging.getLogger(__name__)

FLOW = "faq"
MAX_QUESTION_CHARS = 200  # longer messages are consultations: for staff, not for matching
BULKY_START = "flow=bulky&action=start"  # intake/bulky/chat.py's BulkyFlow starts on it
# Words of the resident's own language for the few things the bot says around the city's
# content (the content itself comes from the entries and their translations).
WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "helpful": "役に立った",
        "not_helpful": "役に立たなかった",
        "staff": "職員に聞く",
        "which": "次のどれについてのご質問ですか？ ボタンで選んでください。",
        "none": "この中にない場合は「職員に聞く」を押してください。",
        "thanks": "ご回答ありがとうございます。",
        "sorry": "お役に立てず申し訳ありません。職員が確認する場合は「職員に聞く」を押してください。",
        "gone": "この質問の回答は現在ありません。「職員に聞く」を押すと職員が確認します。",
        "note": "",
        "more": "詳しくはこちら：",
        "bulky_book": "粗大ごみを申し込む",
        "gomi": "「%(name)s」は「%(kind)s」です。",
        "gomi_bulky": "粗大ごみは申し込みが必要です。下の「粗大ごみを申し込む」から申し込めます。",
    },
    "ja-easy": {
        "helpful": "わかった",
        "not_helpful": "わからなかった",
        "staff": "しょくいんに きく",
        "which": "どの しつもん ですか？ ボタンを おして ください。",
        "none": "ない ときは「しょくいんに きく」を おして ください。",
        "thanks": "ありがとう ございます。",
        "sorry": "ごめんなさい。「しょくいんに きく」を おすと、しょくいんが みます。",
        "gone": "この しつもんの こたえは いま ありません。「しょくいんに きく」を おして ください。",
        "note": "（この こたえは ふつうの にほんごだけ です）",
        "more": "くわしくは ここ：",
    },
    "en": {
        "helpful": "Helpful",
        "not_helpful": "Not helpful",
        "staff": "Ask staff",
        "which": "Which of these is your question? Please choose a button.",
        "none": "If it is none of these, press 'Ask staff'.",
        "thanks": "Thank you for your feedback.",
        "sorry": "Sorry that did not help. Press 'Ask staff' and a member of staff will look at it.",
        "gone": "This answer is no longer available. Press 'Ask staff' and a member of staff will look at it.",
        "note": "(This answer is only available in Japanese.)",
        "more": "More information:",
    },
    "zh": {
        "helpful": "有帮助",
        "not_helpful": "没有帮助",
        "staff": "咨询工作人员",
        "which": "您想问的是以下哪个问题？请点击按钮选择。",
        "none": "如果都不是，请点击「咨询工作人员」。",
        "thanks": "感谢您的反馈。",
        "sorry": "很抱歉没能帮到您。点击「咨询工作人员」，工作人员会进行确认。",
        "gone": "该问题的回答目前已不提供。点击「咨询工作人员」，工作人员会进行确认。",
        "note": "（此回答只有日语版本。）",
        "more": "详细信息：",
    },
    "ko": {
        "helpful": "도움이 됐어요",
        "not_helpful": "도움이 안 됐어요",
        "staff": "직원에게 묻기",
        "which": "다음 중 어떤 질문인가요? 버튼을 눌러 선택해 주세요.",
        "none": "해당하는 것이 없으면 「직원에게 묻기」를 눌러 주세요.",
        "thanks": "의견 감사합니다.",
        "sorry": "도움이 되지 못해 죄송합니다. 「직원에게 묻기」를 누르면 직원이 확인합니다.",
        "gone": "이 질문의 답변은 현재 없습니다. 「직원에게 묻기」를 누르면 직원이 확인합니다.",
        "note": "(이 답변은 일본어로만 제공됩니다.)",
        "more": "자세한 내용:",
    },
    "vi": {
        "helpful": "Hữu ích",
        "not_helpful": "Không hữu ích",
        "staff": "Hỏi nhân viên",
        "which": "Câu hỏi của bạn là câu nào dưới đây? Vui lòng chọn nút.",
        "none": "Nếu không có, hãy nhấn 'Hỏi nhân viên'.",
        "thanks": "Cảm ơn phản hồi của bạn.",
        "sorry": "Xin lỗi vì chưa giúp được bạn. Nhấn 'Hỏi nhân viên' để nhân viên kiểm tra.",
        "gone": "Câu trả lời này hiện không còn. Nhấn 'Hỏi nhân viên' để nhân viên kiểm tra.",
        "note": "(Câu trả lời này chỉ có bằng tiếng Nhật.)",
        "more": "Thông tin chi tiết:",
    },
}
STAFF_WORDS = frozenset(w["staff"] for w in WORDS.values())
# A sentence naming an item by similarity (not by its exact name) is taken for a ごみ分別
# question only when it speaks of putting something out.
DISPOSAL_WORDS = ("捨て", "すて", "処分", "出し方", "だしかた", "分別", "ごみ", "ゴミ", "回収", "引き取", "ひきと", "粗大")


def word(language: str, name: str) -> str:
    return WORDS.get(language, {}).get(name) or WORDS["ja"][name]


def resident_language(ctx: chat.ChatContext, text: str) -> str:
    """The resident's language chosen in 受信設定 (``Resident.language``) first, else the
    language the message is written in (the LINE layer's ``resident_language``)."""
    return chosen_or_detected(ctx.resident, text)


def _absolute(link: str) -> str:
    if link.startswith("/"):
        return settings.PORTAL_BASE_URL.rstrip("/") + link
    return link


def _fit(text: str) -> str:
    """Within LINE's 5,000 (UTF-16 units) for a text message."""
    while chat.text_length(text) > 5000:
        text = text[: len(text) - (chat.text_length(text) - 5000) - 1] + "…"
    return text


def staff_button(language: str) -> dict:
    return chat.quick_message(word(language, "staff"))


def answer_messages(entry: Entry, language: str, *, version: int) -> list[dict]:
    """The answer of ``entry`` as LINE messages, with its quick replies and the feedback buttons."""
    text, translated = entry.answer_in(language)
    parts = []
    if not translated and language != "ja":
        parts.append(word(language, "note"))
    parts.append(text)
    if entry.link:
        parts.append(
            f"{word(language, 'more') if translated or language == 'ja' else WORDS['ja']['more']}\n{_absolute(entry.link)}"
        )
    buttons = [chat.quick_message(label) for label in entry.quick_replies[:9]]
    feedback = {"flow": FLOW, "action": "feedback", "entry": entry.id, "lang": language, "v": version}
    buttons += [
        chat.quick_postback(
            word(language, "helpful"), urlencode({**feedback, "value": "yes"}), display_text=word(language, "helpful")
        ),
        chat.quick_postback(
            word(language, "not_helpful"), urlencode({**feedback, "value": "no"}), display_text=word(language, "not_helpful")
        ),
        staff_button(language),
    ]
    return [chat.text_message(_fit("\n\n".join(parts)), quick_replies=buttons)]


def candidate_messages(decision: Decision, *, version: int) -> list[dict]:
    language = decision.language
    lines = [word(language, "which")]
    buttons = []
    for n, entry in enumerate(decision.candidates, start=1):
        question = entry.question_in(language)
        lines.append(f"{n}. {question}")
        label = question if len(question) <= 20 else question[:19] + "…"
        data = urlencode({"flow": FLOW, "action": "pick", "entry": entry.id, "lang": language, "v": version})
        buttons.append(chat.quick_postback(label, data, display_text=question[:300]))
    lines.append(word(language, "none"))
    buttons.append(staff_button(language))
    return [chat.text_message(_fit("\n".join(lines)), quick_replies=buttons)]


def gomi_messages(found: GomiAnswer) -> list[dict]:
    item = found.item
    parts = [WORDS["ja"]["gomi"] % {"name": item.name, "kind": item.kind}]
    if item.note:
        parts.append(item.note)
    buttons = []
    if found.bulky:
        parts.append(WORDS["ja"]["gomi_bulky"])
        label = WORDS["ja"]["bulky_book"]
        buttons.append(chat.quick_postback(label, BULKY_START, display_text=label))
    buttons.append(staff_button("ja"))
    return [chat.text_message(_fit("\n".join(parts)), quick_replies=buttons)]


def _sources(ctx: chat.ChatContext) -> selectors.AnswerSources:
    """The published version and dictionary this event is answered from: read once per
    batch (a publish or import committed before the batch began is answered from)."""
    return ctx.batch.memo("questions.sources", selectors.answer_sources)


def answerers_warm_up() -> None:
    """Load what both answerers answer from: the tokenizer, the published version's index and
    the dictionary's (a chat worker runs this before it forks its pool processes)."""
    sources = selectors.answer_sources()
    tokenizer()
    selectors.published_index(sources)
    selectors.gomi_index(sources)


def _question_text(ctx: chat.ChatContext) -> str:
    if ctx.event.kind != "text":
        return ""
    text = ctx.event.text.strip()
    if not text or text in STAFF_WORDS or len(text) > MAX_QUESTION_CHARS:
        return ""
    return text


def gomi_answerer(ctx: chat.ChatContext) -> bool:
    """An item of the ごみ分別 dictionary named in the message (Japanese only)."""
    text = _question_text(ctx)
    if not text or resident_language(ctx, text) not in ("ja", "ja-easy"):
        return False
    sources = _sources(ctx)
    found = gomi_lookup(text, selectors.gomi_index(sources))
    if found is None:
        return False
    if found.via == "fuzzy":
        # Similar, not named: only a disposal question the Q&A base cannot answer.
        if found.score < 0.8 or not any(w in text for w in DISPOSAL_WORDS):
            return False
        _version, index = selectors.published_index(sources)
        if index is not None and answer(text, index, language="ja").kind != "handoff":
            return False
    ctx.reply(*gomi_messages(found))
    return True


def faq_answerer(ctx: chat.ChatContext) -> bool:
    """The published Q&A base's answer or candidates; False (hand on) for anything else."""
    text = _question_text(ctx)
    if not text:
        return False
    version, index = selectors.published_index(_sources(ctx))
    if version is None or index is None or not len(index):
        return False
    language = resident_language(ctx, text)
    match_language = "ja" if language == "ja-easy" else language
    decision = answer(text, index, language=match_language)
    if language == "ja-easy":
        decision = Decision(decision.kind, language, decision.entry, decision.candidates, decision.ranked)
    if decision.kind == "answer" and decision.entry is not None:
        ctx.reply(*answer_messages(decision.entry, language, version=version))
        return True
    if decision.kind == "candidates" and decision.candidates:
        ctx.reply(*candidate_messages(decision, version=version))
        return True
    return False


class FaqFlow:
    """This app's postbacks: a chosen candidate, 役に立った / 役に立たなかった. Starts no
    conversation (a resident's active one, e.g. 通報, is left as it is)."""

    name = FLOW

    def matches(self, event: chat.ChatEvent) -> bool:
        return event.kind == "postback" and event.postback.get("flow") == FLOW

    def start(self, ctx: chat.ChatContext) -> None:
        data = ctx.event.postback
        language = data.get("lang", "ja")
        if language not in WORDS:
            language = "ja"
        action, key = data.get("action", ""), data.get("entry", "")
        if action == "pick":
            version, index = selectors.published_index(_sources(ctx))
            entry = next((e for e in index.entries if e.id == key), None) if index is not None else None
            if entry is None or version is None:
                ctx.reply(chat.text_message(word(language, "gone"), quick_replies=[staff_button(language)]))
                return
            ctx.reply(*answer_messages(entry, language, version=version))
        elif action == "feedback":
            helpful = data.get("value") == "yes"
            services.feedback_record(key=key, helpful=helpful)
            if helpful:
                ctx.reply(chat.text_message(word(language, "thanks")))
            else:
                ctx.reply(chat.text_message(word(language, "sorry"), quick_replies=[staff_button(language)]))

    def handle(self, ctx: chat.ChatContext) -> None:
        self.start(ctx)
