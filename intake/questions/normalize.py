"""Japanese text normalisation for matching residents' questions: width, kana, 表記ゆれ, noise."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jaconv
import neologdn  # type: ignore[import-not-found]  # no stubs, no py.typed

# Spellings residents type for the same thing, mapped to one canonical form before tokenising.
# Longest first, so 「住民票の写し」 wins over 「住民票」 and 「申し込み」 over 「申込」.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "ごみ": ("ゴミ", "塵", "ごみ"),
    "申し込み": ("申し込み", "申込み", "申込", "申しこみ", "もうしこみ", "もうし込み"),
    "申し込む": ("申込む", "申しこむ", "もうしこむ"),
    "住民票": ("住民票の写し", "住民票写し", "住民票のコピー", "じゅうみんひょう"),
    "受付時間": ("受け付け時間", "受付け時間", "うけつけ時間"),
    "受付": ("受け付け", "受付け"),
    "引っ越し": ("引越し", "引っ越", "引越", "ひっこし"),
    "マイナンバーカード": ("マイナカード", "まいなんばーかーど", "マイナンバーのカード"),
    "粗大ごみ": ("粗大ゴミ", "そだいごみ", "粗大塵", "大型ごみ", "大型ゴミ"),
    "国民健康保険": ("国保", "こくほ", "国民健康保健"),
    "保育園": ("保育所", "ほいくえん"),
    "子ども": ("子供", "こども", "子ども", "コドモ"),
    "手続き": ("手続", "手つづき", "てつづき"),
    "証明書": ("証明", "しょうめいしょ"),
    "届け出": ("届出", "とどけで"),
    "問い合わせ": ("問合せ", "問い合せ", "問合わせ", "といあわせ"),
    "電話": ("でんわ",),
    "収集": ("回収", "かいしゅう"),
    "いくら": ("何円", "なん円"),
    "何時": ("なんじ",),
    "20歳": ("二十歳",),
    "携帯電話": ("ケータイ", "けいたい", "スマホ"),
}

_SYNONYM_PAIRS: list[tuple[str, str]] = sorted(
    # Each canonical form maps to itself so that 「証明書」 is not read as 「証明」+「書」.
    {(v, c) for c, variants in SYNONYMS.items() for v in (*variants, c)},
    key=lambda pair: -len(pair[0]),
)
_SYNONYM_RE = re.compile("|".join(re.escape(v) for v, _ in _SYNONYM_PAIRS))
_SYNONYM_MAP = dict(_SYNONYM_PAIRS)

# Everything that is neither a letter, a digit nor a Japanese character (punctuation, symbols,
# emoji, variation selectors) becomes a space; ー and 々 stay because they belong to words.
_NOISE_RE = re.compile(r"[^\w\u3005\u30fc\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fff]+")
_SPACES_RE = re.compile(r"\s+")

_SMALL_KANA = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_REPEAT_RE = re.compile(r"(.)々")
_VU = (("ゔぁ", "ば"), ("ゔぃ", "び"), ("ゔぇ", "べ"), ("ゔぉ", "ぼ"), ("ゔ", "ぶ"))


def normalize(text: str) -> str:
    """Canonical text to tokenise: NFKC (全角英数→半角, 半角カナ→全角), lower case, repeated
    長音 collapsed, punctuation and emoji removed, 表記ゆれ of the synonym table unified.
    A message is normalised by ごみ分別 and the FAQ alike: short texts are remembered."""
    text = text or ""
    return _normalize_short(text) if len(text) <= SHORT_TEXT else _normalize(text)


SHORT_TEXT = 400  # residents' questions (the chat matches at most 200 characters)


@lru_cache(maxsize=8192)
def _normalize_short(text: str) -> str:
    return _normalize(text)


def clear_caches() -> None:
    _normalize_short.cache_clear()
    fold_kana.cache_clear()


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    text = neologdn.normalize(text, repeat=3)
    text = text.lower()
    text = _NOISE_RE.sub(" ", text).replace("_", " ")
    text = _SPACES_RE.sub(" ", text).strip()
    return _SYNONYM_RE.sub(lambda m: _SYNONYM_MAP[m.group(0)], text)


@lru_cache(maxsize=65536)
def fold_kana(text: str) -> str:
    """Key for comparing already-normalised text: カタカナ→ひらがな, small kana → full size,
    長音 dropped, 々 spelled out (時々 → 時時), spaces removed."""
    text = jaconv.kata2hira(text)
    for v, plain in _VU:
        text = text.replace(v, plain)
    text = text.translate(_SMALL_KANA).replace("ー", "")
    text = _REPEAT_RE.sub(r"\1\1", text)
    return text.replace(" ", "")


def fold(text: str) -> str:
    """normalize() then fold_kana(): the key used to compare two spellings of one phrase."""
    return fold_kana(normalize(text))
