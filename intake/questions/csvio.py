"""The CSV formats staff import and export: the Q&A base in the one-question-one-answer format
(ID, 問い合わせ文, 応答文, カテゴリ, then optional columns) and the ごみ分別 dictionary in the
5374.jp format (種別, 品目, 注意, ふりがな). Reading checks every row and reports every problem
with its row number; nothing is written here (services import only a file without errors)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from portal.csv import FORMULA_PREFIXES

from .models import LANGUAGE_CODES

LIST_SEPARATOR = "|"
FAQ_REQUIRED = ("ID", "問い合わせ文", "応答文", "カテゴリ")
FAQ_OPTIONAL = ("言い換え", "キーワード", "リンク", "クイックリプライ")
FAQ_HEADER = (
    *FAQ_REQUIRED,
    *FAQ_OPTIONAL,
    *(f"{lang}_{part}" for lang in LANGUAGE_CODES for part in ("問い合わせ文", "応答文")),
)
GOMI_HEADER = ("種別", "品目", "注意", "ふりがな")
GOMI_REQUIRED = ("種別", "品目")

MAX_QUESTION = 400
MAX_ANSWER = 4500  # LINE's 5,000 less the link and the note a translation-less answer carries
MAX_LINK = 500
MAX_QUICK_REPLIES = 9  # with 役に立った / 立たなかった / 職員に聞く: within LINE's 13
MAX_QUICK_REPLY_LABEL = 20  # LINE's limit for a quick-reply label
MAX_KEY = 40
MAX_CATEGORY = 50
MAX_ROWS = 20000
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class CsvProblems:
    """What is wrong with a file, row by row (row numbers as a spreadsheet shows them: the
    header is row 1)."""

    problems: list[str] = field(default_factory=list)

    def add(self, row: int | None, text: str) -> None:
        self.problems.append(_("%(row)d行目：%(text)s") % {"row": row, "text": text} if row else text)

    def __bool__(self) -> bool:
        return bool(self.problems)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) or Shift_JIS (what spreadsheet software saves on Japanese
    Windows); raises ValueError when it is neither."""
    if len(data) > MAX_BYTES:
        raise ValueError(_("ファイルが大きすぎます（%(mb)dMBまで）。") % {"mb": MAX_BYTES // (1024 * 1024)})
    for encoding in ("utf-8-sig", "cp932"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(_("文字コードを読み取れません。UTF-8またはShift_JISのCSVにしてください。"))


def unguard(value: str) -> str:
    """Undo the export's formula guard (portal/csv.py puts ``'`` before a cell starting with
    ``=``, ``+``, ``-``, ``@`` …), so that export then import gives the same text."""
    if value.startswith("'") and value[1:].lstrip(" ")[:1] in FORMULA_PREFIXES:
        return value[1:]
    return value


def split_list(value: str) -> list[str]:
    return [v.strip() for v in value.split(LIST_SEPARATOR) if v.strip()]


def join_list(values: list[str]) -> str:
    return LIST_SEPARATOR.join(values)


def _table(text: str, problems: CsvProblems, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        problems.add(None, _("ファイルが空です。"))
        return
    except csv.Error as error:
        problems.add(1, _("CSVとして読み取れません（%(error)s）。") % {"error": error})
        return
    missing = [name for name in required if name not in header]
    if missing:
        problems.add(1, _("必要な列がありません：%(names)s") % {"names": "、".join(missing)})
        return
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        problems.add(1, _("同じ名前の列が複数あります：%(names)s") % {"names": "、".join(duplicated)})
        return
    try:
        for number, cells in enumerate(reader, start=2):
            if number - 1 > MAX_ROWS:
                problems.add(number, _("行が多すぎます（%(n)d行まで）。") % {"n": MAX_ROWS})
                return
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                problems.add(number, _("見出しより列が多くなっています（引用符の閉じ忘れなど）。"))
                continue
            yield number, {name: unguard(cells[i]).strip() if i < len(cells) else "" for i, name in enumerate(header)}
    except csv.Error as error:
        problems.add(reader.line_num, _("CSVとして読み取れません（%(error)s）。") % {"error": error})


@dataclass(frozen=True)
class FaqRow:
    row: int
    key: str
    content: dict[str, Any]


def unknown_columns(text: str, known: tuple[str, ...]) -> list[str]:
    first = next(csv.reader(io.StringIO(text)), [])
    return [h.strip() for h in first if h.strip() and h.strip() not in known]


def read_faq(text: str) -> tuple[list[FaqRow], CsvProblems]:
    """Rows of a Q&A CSV as entry contents (``key`` may be empty: a new entry), and problems."""
    problems = CsvProblems()
    rows: list[FaqRow] = []
    seen: dict[str, int] = {}
    for number, cells in _table(text, problems, FAQ_REQUIRED):
        key, question, answer = cells["ID"], cells["問い合わせ文"], cells["応答文"]
        errors = []
        if not question:
            errors.append(_("問い合わせ文が空です"))
        if not answer:
            errors.append(_("応答文が空です"))
        if len(question) > MAX_QUESTION:
            errors.append(_("問い合わせ文が長すぎます（%(n)d字まで）") % {"n": MAX_QUESTION})
        if len(answer) > MAX_ANSWER:
            errors.append(_("応答文が長すぎます（%(n)d字まで）") % {"n": MAX_ANSWER})
        if len(key) > MAX_KEY:
            errors.append(_("IDが長すぎます（%(n)d字まで）") % {"n": MAX_KEY})
        if key and key in seen:
            errors.append(_("ID「%(key)s」が%(row)d行目と重複しています") % {"key": key, "row": seen[key]})
        link = cells.get("リンク", "")
        if link and not link_is_valid(link):
            errors.append(_("リンクは https:// または / で始まるアドレスにしてください"))
        category = cells["カテゴリ"]
        if len(category) > MAX_CATEGORY:
            errors.append(_("カテゴリが長すぎます（%(n)d字まで）") % {"n": MAX_CATEGORY})
        quick = split_list(cells.get("クイックリプライ", ""))
        errors.extend(quick_reply_problems(quick))
        translations: dict[str, dict[str, str]] = {}
        for lang in LANGUAGE_CODES:
            q, a = cells.get(f"{lang}_問い合わせ文", ""), cells.get(f"{lang}_応答文", "")
            if q or a:
                if len(q) > MAX_QUESTION or len(a) > MAX_ANSWER:
                    errors.append(_("%(lang)sの翻訳が長すぎます") % {"lang": lang})
                translations[lang] = {"question": q, "answer": a}
        if errors:
            problems.add(number, "、".join(str(e) for e in errors))
            continue
        if key:
            seen[key] = number
        content = {
            "question": question,
            "answer": answer,
            "category": category,
            "variants": split_list(cells.get("言い換え", "")),
            "keywords": split_list(cells.get("キーワード", "")),
            "link": link,
            "quick_replies": quick,
            "translations": translations,
        }
        rows.append(FaqRow(row=number, key=key, content=content))
    if not rows and not problems:
        problems.add(None, _("読み込める行がありません。"))
    return rows, problems


def link_is_valid(link: str) -> bool:
    return (link.startswith(("https://", "http://")) and " " not in link) or (link.startswith("/") and not link.startswith("//"))


def quick_reply_problems(labels: list[str]) -> list[str]:
    errors = []
    if len(labels) > MAX_QUICK_REPLIES:
        errors.append(_("クイックリプライは%(n)d個までです") % {"n": MAX_QUICK_REPLIES})
    long = [label for label in labels if len(label) > MAX_QUICK_REPLY_LABEL]
    if long:
        errors.append(
            _("クイックリプライ「%(label)s」が長すぎます（%(n)d字まで）") % {"label": long[0], "n": MAX_QUICK_REPLY_LABEL}
        )
    return errors


def faq_cells(key: str, content: dict[str, Any]) -> list[str]:
    """One exported row, in FAQ_HEADER's order."""
    translations = content.get("translations") or {}
    cells = [
        key,
        content["question"],
        content["answer"],
        content.get("category", ""),
        join_list(content.get("variants") or []),
        join_list(content.get("keywords") or []),
        content.get("link", ""),
        join_list(content.get("quick_replies") or []),
    ]
    for lang in LANGUAGE_CODES:
        t = translations.get(lang) or {}
        cells.extend([t.get("question", ""), t.get("answer", "")])
    return cells


@dataclass(frozen=True)
class GomiRow:
    kind: str
    name: str
    note: str
    kana: str


def read_gomi(text: str) -> tuple[list[GomiRow], CsvProblems]:
    problems = CsvProblems()
    rows: list[GomiRow] = []
    seen: dict[str, int] = {}
    for number, cells in _table(text, problems, GOMI_REQUIRED):
        kind, name = cells["種別"], cells["品目"]
        note, kana = cells.get("注意", ""), cells.get("ふりがな", "")
        errors = []
        if not kind:
            errors.append(_("種別が空です"))
        if not name:
            errors.append(_("品目が空です"))
        if len(kind) > 100 or len(name) > 200 or len(kana) > 200 or len(note) > 2000:
            errors.append(_("長すぎる欄があります（種別100字・品目200字・ふりがな200字・注意2000字まで）"))
        if name and name in seen:
            errors.append(_("品目「%(name)s」が%(row)d行目と重複しています") % {"name": name, "row": seen[name]})
        if errors:
            problems.add(number, "、".join(str(e) for e in errors))
            continue
        seen[name] = number
        rows.append(GomiRow(kind=kind, name=name, note=note, kana=kana))
    if not rows and not problems:
        problems.add(None, _("読み込める行がありません。"))
    return rows, problems
