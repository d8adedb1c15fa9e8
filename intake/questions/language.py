"""The language a resident wrote in, on this machine: ja / en / zh / ko / vi."""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

LANGUAGES = ("ja", "en", "zh", "ko", "vi")
DEFAULT_LANGUAGE = "ja"

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
