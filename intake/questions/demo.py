"""Demo data for intake.questions: the demo Q&A base (faq_demo.csv with its translations)
published as version 1, and the ごみ分別 dictionary (gomi_5374.csv). Idempotent: a base or
dictionary that already has rows is left as it is."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable

from portal.context import AuditContext
from portal.csv import csv_lines

from . import csvio, services
from .loaders import DEMO_FAQ, DEMO_GOMI, DEMO_TRANSLATIONS
from .models import FaqBase, FaqEntry, GomiItem


def demo_faq_csv() -> bytes:
    """faq_demo.csv with the translations file's languages merged in as columns."""
    extra: dict[str, dict[str, tuple[str, str]]] = {}
    if DEMO_TRANSLATIONS.exists():
        for row in csv.DictReader(io.StringIO(DEMO_TRANSLATIONS.read_text(encoding="utf-8-sig"))):
            extra.setdefault(row["ID"].strip(), {})[row["言語"].strip()] = (row["問い合わせ文"].strip(), row["応答文"].strip())
    rows = []
    for row in csv.DictReader(io.StringIO(DEMO_FAQ.read_text(encoding="utf-8-sig"))):
        cells = {name: (row.get(name) or "") for name in csvio.FAQ_HEADER}
        for lang, (q, a) in extra.get(row["ID"].strip(), {}).items():
            cells[f"{lang}_問い合わせ文"], cells[f"{lang}_応答文"] = q, a
        rows.append([cells[name] for name in csvio.FAQ_HEADER])
    # Through the shared writer (formula cells guarded; the importer undoes the guard).
    return "".join(csv_lines(header=csvio.FAQ_HEADER, rows=rows)).encode("utf-8")


def load_demo(say: Callable[[str], None]) -> None:
    ctx = AuditContext.system()
    if not FaqEntry.objects.exists():
        result = services.faq_import(data=demo_faq_csv(), ctx=ctx)
        version = services.base_publish(FaqBase.load(), ctx=ctx)
        say(f"よくある質問: {result.created}項目を第{version.number}版として公開")
    if not GomiItem.objects.exists():
        count = services.gomi_import(data=DEMO_GOMI.read_bytes(), ctx=ctx)
        say(f"ごみ分別辞書: {count}品目")
