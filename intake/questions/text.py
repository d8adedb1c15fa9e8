"""Terms of a question for retrieval: janome words and character bi-grams (Japanese), stems and
tri-grams (English). The tokenizer is built once per process, on first use."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .normalize import clear_caches as clear_normalize_caches
from .normalize import fold_kana, normalize

if TYPE_CHECKING:
    from janome.tokenizer import Tokenizer  # type: ignore[import-untyped]

# Words that say "I am asking" rather than what about: they carry no topic.
JA_STOPWORDS = frozenset(
    fold_kana(w)
    for w in (
        "する できる ある いる なる おる いう 思う 教える 知る 分かる わかる 聞く 言う くださる ください 下さい "
        "もらう いただく 頂く くれる みる 見る いく 行く 来る しまう 欲しい ほしい いい 良い よい 大丈夫 "
        "こと もの ため とき 時 方法 やり方 仕方 何 なに なん どう どれ どの どんな 誰 "
        "どうやって どうすれ 場合 必要 ん の よう そう これ それ あれ ここ そこ 方 感じ 件 今 今日 "
        "です ます 様 さん 方々 私 僕 俺 自分 うち 人 について 関する 関して ちょっと 全然 やっぱり "
        "ない 無い 市 ね よ な か っ ー"
    ).split()
)
EN_STOPWORDS = frozenset(
    "a an the i me my we our you your he she it its they them is are was were be been being am do does did "
    "have has had can could will would shall should may might must to of in on at for from by with about as "
    "into and or but if so not no what when where which who whom how why there here this that these those "
    "please tell know want need get got like just some any up out there'd i'm it's don't ok okay thanks hi "
    "hello help find city".split()
)

# What the resident asks for (a time, a place, a price) tells apart entries on one subject:
# 「市役所何時まで」 is about hours, 「市役所どこ」 about the place. Janome splits some of these.
QUESTION_WORDS = tuple(fold_kana(w) for w in "何時 何曜日 何日 何階 いつ どこ いくら".split())

_CONTENT_POS = ("名詞", "動詞", "形容詞", "副詞", "感動詞", "未知語")
_DROPPED_NOUNS = ("非自立", "代名詞", "数", "接尾")  # 接尾 stays attached through the noun run below
_LATIN_RE = re.compile(r"[a-z0-9][a-z0-9']*")
_JA_RE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fff\u3005]")


@dataclass(frozen=True)
class Terms:
    """What one text contributes to an index: whole words and character n-grams."""

    words: tuple[str, ...]
    grams: tuple[str, ...]
    content: str  # content words run together: what keyword coverage is measured against
    bare: str = ""  # the folded text without its particles: what keywords are looked for in


_lock = threading.Lock()


@lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    """The process's one janome tokenizer (about 80 MB, 0.1 s to build; built on first use)."""
    from janome.tokenizer import Tokenizer

    return Tokenizer()


# Words residents use for the words the translations use (British spellings, plain synonyms).
EN_SYNONYMS = {
    "trash": "rubbish",
    "garbage": "rubbish",
    "waste": "rubbish",
    "junk": "rubbish",
    "pickup": "collection",
    "collect": "collection",
    "collected": "collection",
    "picked": "collection",
    "daycare": "nursery",
    "preschool": "nursery",
    "kindergarten": "nursery",
    "kid": "child",
    "kids": "child",
    "children": "child",
    "baby": "child",
    "newborn": "child",
    "babies": "child",
    "fridge": "refrigerator",
    "laptop": "computer",
    "pc": "computer",
    "book": "arrange",
    "booking": "arrange",
    "reserve": "arrange",
    "reservation": "arrange",
    "schedule": "day",
    "application": "apply",
    "register": "registration",
    "koseki": "family",
    "juminhyo": "residence",
    "overseas": "abroad",
    "leaving": "moving",
    "relocate": "moving",
    "cost": "fee",
    "price": "fee",
    "charge": "fee",
    "open": "hours",
    "opening": "hours",
    "close": "hours",
    "closing": "hours",
    "info": "information",
}
EN_SYNONYMS.update({k: v for k, v in {"centre": "center", "fees": "fee", "costs": "fee"}.items()})


def _stem(word: str) -> str:
    word = EN_SYNONYMS.get(word, word)
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + keep
    return word


def english_terms(text: str) -> Terms:
    norm = normalize(text)
    words = [_stem(w) for w in _LATIN_RE.findall(norm.replace("'", "")) if w not in EN_STOPWORDS]
    grams: list[str] = []
    for w in words:
        padded = f"#{w}#"
        grams.extend(padded[i : i + 3] for i in range(len(padded) - 2))
    words.extend(f"{a}_{b}" for a, b in zip(words, words[1:], strict=False))
    return Terms(words=tuple(words), grams=tuple(grams), content=" ".join(words))


def japanese_terms(text: str) -> Terms:
    """Words (base forms, folded kana; runs of nouns also as one compound) and bi-grams over
    runs of content words, so unknown words and typos still share something with the entry.
    Tokenised once per normalised text: ごみ分別 (which passes normalised text) and the FAQ
    (which passes the message) share the tokens of one message."""
    return _japanese_terms(normalize(text))


@lru_cache(maxsize=4096)
def _japanese_terms(norm: str) -> Terms:
    with _lock:
        tokens = list(tokenizer().tokenize(norm))
    words: list[str] = []
    bare: list[str] = []
    runs: list[str] = []
    run: list[str] = []
    nouns: list[str] = []

    def close_nouns() -> None:
        if len(nouns) > 1:
            words.append("".join(nouns))
        nouns.clear()

    for tok in tokens:
        pos = tok.part_of_speech.split(",")
        surface = fold_kana(tok.surface)
        if pos[0] != "助詞":
            bare.append(surface)
        base = fold_kana(tok.base_form if tok.base_form != "*" else tok.surface)
        content = pos[0] in _CONTENT_POS and base not in JA_STOPWORDS and surface not in JA_STOPWORDS
        if pos[0] == "名詞" and pos[1] in _DROPPED_NOUNS:
            content = pos[1] == "接尾" and bool(nouns)  # 〜費, 〜料, 〜証 stay with their noun
        if pos[0] == "名詞" and content:
            nouns.append(surface)
        else:
            close_nouns()
        if content:
            if not (pos[0] == "名詞" and pos[1] == "接尾"):
                words.append(base)
            run.append(surface if pos[0] == "名詞" else base[:-1] or base)
        elif run:
            runs.append("".join(run))
            run = []
        if pos[0] == "記号" or not surface.strip():
            close_nouns()
    close_nouns()
    folded = fold_kana(norm)
    words.extend(q for q in QUESTION_WORDS if q in folded and q not in words)
    if run:
        runs.append("".join(run))
    grams: list[str] = []
    for r in runs:
        r = r.replace(" ", "")
        if len(r) == 1:
            grams.append(r)
        grams.extend(r[i : i + 2] for i in range(len(r) - 1))
    return Terms(words=tuple(w for w in words if w), grams=tuple(grams), content="".join(runs), bare="".join(bare))


def clear_caches() -> None:
    """Forget every text's normalised form and terms (benchmarks time a fresh tokenising)."""
    _japanese_terms.cache_clear()
    clear_normalize_caches()


def is_japanese(text: str) -> bool:
    return bool(_JA_RE.search(text))


def terms_for(text: str, language: str) -> Terms:
    return english_terms(text) if language == "en" else japanese_terms(text)
