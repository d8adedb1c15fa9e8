"""Residents' languages (public module of the LINE layer).

- ``Language``: the choices of ``Resident.language`` (blank = not chosen), ``NAMES`` each
  language's name in itself (the 受信設定 buttons), ``WORDS`` the few things the layer says
  in each language (the language question, its confirmation, the "Japanese only" note).
- ``detect_language(text)``: the language a resident wrote in, on this machine (ja / en /
  zh / ko / vi; lingua-language-detector for what the script cannot decide).
- ``resident_language(resident, text)``: the chosen language, else the message's.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.db import models

if TYPE_CHECKING:
    from lingua import LanguageDetector

LANGUAGES = ("ja", "en", "zh", "ko", "vi")  # what detect_language answers
DEFAULT_LANGUAGE = "ja"


class Language(models.TextChoices):
    """What a resident may choose in 受信設定; the labels are each language's own name."""

    JA = "ja", "日本語"
    JA_EASY = "ja-easy", "やさしい日本語"
    EN = "en", "English"
    ZH = "zh", "中文"
    KO = "ko", "한국어"
    VI = "vi", "Tiếng Việt"


CODES: tuple[str, ...] = tuple(Language.values)
NAMES: dict[str, str] = {str(value): str(label) for value, label in Language.choices}
# Languages a broadcast bubble may be translated into (Japanese is the bubble itself).
TRANSLATION_LANGUAGES: tuple[str, ...] = tuple(c for c in CODES if c != "ja")

# What the layer says in each language. ``question`` is asked in all of them at once (the
# resident may read none of the others).
WORDS: dict[str, dict[str, str]] = {
    "ja": {
        "question": "表示する言語を選んでください。",
        "chosen": "言語を「日本語」にしました。",
        "note": "",
    },
    "ja-easy": {
        "question": "ことばを えらんで ください。",
        "chosen": "ことばを「やさしい にほんご」に しました。",
        "note": "（やさしい にほんごが ない ときは、ふつうの にほんごで おくります）",
    },
    "en": {
        "question": "Please choose your language.",
        "chosen": "Your language is now English.",
        "note": "(Some answers and notices are only available in Japanese; those come in Japanese.)",
    },
    "zh": {
        "question": "请选择语言。",
        "chosen": "语言已设为中文。",
        "note": "（部分回答和通知只有日语版本，届时将以日语发送。）",
    },
    "ko": {
        "question": "언어를 선택해 주세요.",
        "chosen": "언어를 한국어로 설정했습니다.",
        "note": "(일부 답변과 알림은 일본어로만 제공되며, 그 경우 일본어로 보내 드립니다.)",
    },
    "vi": {
        "question": "Vui lòng chọn ngôn ngữ.",
        "chosen": "Đã đặt ngôn ngữ là tiếng Việt.",
        "note": "(Một số câu trả lời và thông báo chỉ có bằng tiếng Nhật; khi đó sẽ gửi bằng tiếng Nhật.)",
    },
}
# Words that start just the language question (any language; compared case-insensitively).
START_WORDS = frozenset({"言語", "げんご", "ことば", "language", "languages", "语言", "語言", "언어", "ngôn ngữ"})


def words(language: str, name: str) -> str:
    """``WORDS[language][name]``, Japanese when that language has none."""
    return WORDS.get(language, {}).get(name, WORDS["ja"][name])


def resident_language(resident: Any, text: str = "") -> str:
    """The language to answer ``resident`` in: the one chosen in 受信設定, else the language
    ``text`` is written in (Japanese for a text too short to tell)."""
    chosen = str(getattr(resident, "language", "") or "")
    if chosen in CODES:
        return chosen
    return detect_language(text)


_KANA_RE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u30fc\uff66-\uff9d]")
_HANGUL_RE = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_HAN_RE = re.compile(r"[\u4e00-\u9fff]")
_LATIN_RE = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]")
# Letters only Vietnamese writes (ơ ư đ and the tone marks stacked on vowels).
_VIETNAMESE_RE = re.compile(r"[ơưđĐƠƯ\u1ea0-\u1ef9]")
# Characters a Japanese text never uses: simplified forms and Chinese function words.
_CHINESE_ONLY_RE = re.compile(r"[们这说么吗呢样还给请问该哪吧对垃圾码护险证书领办为东丢门开关车县药费额么]")

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    """lingua restricted to the five languages (built on first need; a few MB of models)."""
    from lingua import Language, LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(
        Language.JAPANESE, Language.ENGLISH, Language.CHINESE, Language.KOREAN, Language.VIETNAMESE
    ).build()


_LINGUA_CODES = {"JAPANESE": "ja", "ENGLISH": "en", "CHINESE": "zh", "KOREAN": "ko", "VIETNAMESE": "vi"}


def detect_language(text: str, *, default: str = DEFAULT_LANGUAGE) -> str:
    """One of LANGUAGES. The script decides where it can (any kana → ja, hangul → ko); lingua
    only separates Chinese from Japanese kanji and English from Vietnamese. Texts too short or
    without letters get ``default``: in a Japanese city's chat that is Japanese."""
    text = unicodedata.normalize("NFKC", text or "")
    if _KANA_RE.search(text):
        return "ja"
    if _HANGUL_RE.search(text):
        return "ko"
    han = _HAN_RE.findall(text)
    latin = _LATIN_RE.findall(text)
    if han and len(han) >= len(latin):
        if _CHINESE_ONLY_RE.search(text):
            return "zh"
        if len(han) < 10:
            # 「住民票」「窓口受付時間変更」: kanji compounds alone are the usual Japanese query
            # (lingua reads short ones as Chinese); Chinese shows itself by its own characters.
            return "ja"
        return _lingua(text, ("ja", "zh"), default)
    if latin:
        if _VIETNAMESE_RE.search(text):
            return "vi"
        return _lingua(text, ("en", "vi"), "en")
    return default


def _lingua(text: str, allowed: tuple[str, ...], default: str) -> str:
    with _lock:
        found = _detector().detect_language_of(text)
    code = _LINGUA_CODES.get(found.name) if found else None
    return code if code in allowed else default
