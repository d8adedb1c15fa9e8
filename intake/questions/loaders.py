"""Reading the Q&A base and the ごみ dictionary from their CSV files (the demo's, or staff's)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from .gomi import GomiIndex, GomiItem
from .matching import Entry, FaqIndex, Translation

DATA_DIR = Path(__file__).resolve().parent / "data"
DEMO_FAQ = DATA_DIR / "faq_demo.csv"
DEMO_GOMI = DATA_DIR / "gomi_5374.csv"
DEMO_TRANSLATIONS = DATA_DIR / "faq_demo_translations.csv"
LIST_SEPARATOR = "|"
TRANSLATED = ("en", "zh", "ko", "vi", "ja-easy")  # columns 〈lang〉_問い合わせ文 / 〈lang〉_応答文


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(v.strip() for v in (value or "").split(LIST_SEPARATOR) if v.strip())


def _rows(source: str | Path | Iterable[str]) -> list[dict[str, str]]:
    if isinstance(source, Path):
        text = source.read_text(encoding="utf-8-sig")
        return list(csv.DictReader(io.StringIO(text)))
    if isinstance(source, str):
        return list(csv.DictReader(io.StringIO(source.lstrip("\ufeff"))))
    return list(csv.DictReader(source))


def translations_from_csv(source: str | Path | Iterable[str]) -> dict[str, dict[str, Translation]]:
    """More languages, one row per entry and language: ID, 言語, 問い合わせ文, 応答文."""
    found: dict[str, dict[str, Translation]] = {}
    for row in _rows(source):
        entry_id, lang = (row.get("ID") or "").strip(), (row.get("言語") or "").strip()
        if entry_id and lang:
            found.setdefault(entry_id, {})[lang] = Translation(
                question=(row.get("問い合わせ文") or "").strip(), answer=(row.get("応答文") or "").strip()
            )
    return found


def entries_from_csv(
    source: str | Path | Iterable[str], *, translations: Mapping[str, Mapping[str, Translation]] | None = None
) -> list[Entry]:
    """Entries from the one-question-one-answer CSV (ID, 問い合わせ文, 応答文, カテゴリ, and
    optionally 言い換え, キーワード (``|``-separated), リンク, en_問い合わせ文, en_応答文 …);
    ``translations`` (from translations_from_csv) add languages per entry ID."""
    entries = []
    for row in _rows(source):
        if not (row.get("問い合わせ文") or "").strip():
            continue
        translations_of: dict[str, Translation] = dict((translations or {}).get((row.get("ID") or "").strip(), {}))
        for lang in TRANSLATED:
            q, a = (row.get(f"{lang}_問い合わせ文") or "").strip(), (row.get(f"{lang}_応答文") or "").strip()
            if q or a:
                translations_of[lang] = Translation(question=q, answer=a)
        entries.append(
            Entry(
                id=(row.get("ID") or "").strip(),
                question=row["問い合わせ文"].strip(),
                answer=(row.get("応答文") or "").strip(),
                category=(row.get("カテゴリ") or "").strip(),
                variants=_split(row.get("言い換え")),
                keywords=_split(row.get("キーワード")),
                link=(row.get("リンク") or "").strip(),
                translations=MappingProxyType(translations_of),
            )
        )
    return entries


def gomi_items_from_csv(source: str | Path | Iterable[str]) -> list[GomiItem]:
    """Items from a 5374.jp-format CSV: 種別, 品目, 注意, ふりがな."""
    return [
        GomiItem(
            kind=(row.get("種別") or "").strip(),
            name=(row.get("品目") or "").strip(),
            note=(row.get("注意") or "").strip(),
            kana=(row.get("ふりがな") or "").strip(),
        )
        for row in _rows(source)
        if (row.get("品目") or "").strip()
    ]


@lru_cache(maxsize=1)
def demo_faq_index() -> FaqIndex:
    extra = translations_from_csv(DEMO_TRANSLATIONS) if DEMO_TRANSLATIONS.exists() else {}
    return FaqIndex(entries_from_csv(DEMO_FAQ, translations=extra))


@lru_cache(maxsize=1)
def demo_gomi_index() -> GomiIndex:
    return GomiIndex(gomi_items_from_csv(DEMO_GOMI))
