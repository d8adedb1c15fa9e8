"""ごみ分別: the item dictionary in the 5374.jp format (種別, 品目, 注意, ふりがな) and its lookup."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .normalize import fold, fold_kana, normalize
from .text import japanese_terms

BULKY_KIND_MARK = "粗大"

# What residents wrap around an item's name: 「ソファってどうやって捨てるの？」 asks about ソファ.
_FRAMING = sorted(
    {
        fold(p)
        for p in (
            "の捨て方 の出し方 を捨てたい を捨てる を出したい 捨てたい 捨てる 捨てて 捨て方 出し方 出したい 処分したい "
            "処分 は何ごみ は何ゴミ 何ごみ なにごみ は何の日 の分別 分別 は燃える は燃えない 燃えるごみ 燃えないごみ "
            "ですか ですが どうやって どうすれば どうする どうしたら 教えて 知りたい について って は を が の か "
            "いらない 要らない 古い 壊れた 使わない"
        ).split()
    },
    key=len,
    reverse=True,
)
# Words that name no item: 「ごみ」 alone must not find 「生ごみ」 by similarity.
_GENERIC = frozenset(fold(w) for w in "ごみ 粗大ごみ 資源ごみ 燃えるごみ 燃えないごみ 分別 もの 家電".split())
_PAREN_RE = re.compile(r"[(（\[【].*?[)）\]】]")
_ALTERNATES_RE = re.compile(r"[・/／、,]")


@dataclass(frozen=True)
class GomiItem:
    kind: str  # 種別: 燃やすごみ, 粗大ごみ, 有害ごみ …
    name: str  # 品目
    note: str = ""  # 注意: how to put it out
    kana: str = ""  # ふりがな

    @property
    def bulky(self) -> bool:
        """粗大ごみ: the chat offers the booking link."""
        return BULKY_KIND_MARK in self.kind


@dataclass(frozen=True)
class GomiAnswer:
    item: GomiItem
    via: Literal["exact", "contained", "fuzzy"]
    score: float = 1.0

    @property
    def bulky(self) -> bool:
        return self.item.bulky


def _keys(item: GomiItem) -> set[str]:
    """Folded spellings an item answers to: its name with and without the parenthesised part,
    each alternate of 「A・B」, and its ふりがな."""
    keys: set[str] = set()
    for raw in (item.name, item.kana):
        if not raw:
            continue
        bare = _PAREN_RE.sub("", raw)
        for text in (raw, bare, *_ALTERNATES_RE.split(bare)):
            key = fold(text)
            if key:
                keys.add(key)
    return keys


def _bigrams(text: str) -> set[str]:
    return {text[i : i + 2] for i in range(len(text) - 1)} or ({text} if text else set())


class GomiIndex:
    """Built once from the dictionary; lookups are read-only."""

    def __init__(self, items: Iterable[GomiItem]) -> None:
        self.items: tuple[GomiItem, ...] = tuple(items)
        self._exact: dict[str, int] = {}
        self._grams: dict[str, set[int]] = defaultdict(set)
        self._key_grams: list[tuple[int, str, set[str]]] = []
        contained: dict[str, int] = {}
        for i, item in enumerate(self.items):
            # A one-character item (傘, 本, 皿) answers only to its own name: inside a longer
            # word (日傘, 絵本, 灰皿 …) or by its reading (ほん in こせきとうほん) it would misfire.
            single = len(_PAREN_RE.sub("", item.name).strip()) <= 1
            named = _keys(GomiItem(kind=item.kind, name=item.name))
            for key in _keys(item):
                self._exact.setdefault(key, i)
                if single:
                    continue
                # A short reading (いし) occurs inside unrelated words (うらないして).
                if len(key) >= 2 and (key in named or len(key) >= 3):
                    contained.setdefault(key, i)
                grams = _bigrams(key)
                self._key_grams.append((i, key, grams))
                for g in grams:
                    self._grams[g].add(len(self._key_grams) - 1)
        # Longest first: 「電気カーペット」 before 「カーペット」 when both occur in a question.
        self._contained = sorted(contained.items(), key=lambda p: -len(p[0]))

    def __len__(self) -> int:
        return len(self.items)

    def lookup(self, text: str, *, min_score: float = 0.6) -> GomiAnswer | None:
        query = fold(text)
        if not query:
            return None
        if query in self._exact:
            return GomiAnswer(self.items[self._exact[query]], via="exact")
        core = _strip_framing(query)
        if core in self._exact:
            return GomiAnswer(self.items[self._exact[core]], via="exact")
        for key, i in self._contained:
            if key in query and len(key) * 2 >= len(core):
                return GomiAnswer(self.items[i], via="contained", score=len(key) / max(len(core), 1))
        return self._fuzzy(core, text, min_score=min_score)

    def _fuzzy(self, core: str, text: str, *, min_score: float) -> GomiAnswer | None:
        """Dice similarity of bi-grams between the item's spellings and the question's nouns
        (or what is left of it without the framing), the best one if it is close enough."""
        probes = {core} | {fold_kana(w) for w in japanese_terms(normalize(text)).words if len(w) >= 2}
        probes -= _GENERIC
        best: tuple[float, int] | None = None
        for probe in probes:
            grams = _bigrams(probe)
            seen: set[int] = set()
            for g in grams:
                seen |= self._grams.get(g, set())
            for k in seen:
                i, _key, key_grams = self._key_grams[k]
                score = 2 * len(grams & key_grams) / (len(grams) + len(key_grams))
                if best is None or score > best[0]:
                    best = (score, i)
        if best and best[0] >= min_score:
            return GomiAnswer(self.items[best[1]], via="fuzzy", score=round(best[0], 3))
        return None


def _strip_framing(query: str) -> str:
    core = query
    changed = True
    while changed and core:
        changed = False
        for phrase in _FRAMING:
            if core.endswith(phrase) and len(core) > len(phrase):
                core = core[: -len(phrase)]
                changed = True
            elif core.startswith(phrase) and len(core) > len(phrase):
                core = core[len(phrase) :]
                changed = True
    return core


def gomi_lookup(text: str, index: GomiIndex) -> GomiAnswer | None:
    """The item a resident asks about (exact 品目 / ふりがな, contained in the question, or
    fuzzy by bi-grams), with its 種別 and 注意; None when nothing is close."""
    return index.lookup(text)
