"""Audit action names of intake.questions (labels registered in apps.ready()). Field diffs
are in ``detail["changes"] = {field: [old, new]}``; ``detail["via"]`` says ``page`` or ``csv``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ENTRY_CREATED = "questions.entry_created"
ENTRY_CHANGED = "questions.entry_changed"
ENTRY_WITHDRAWN = "questions.entry_withdrawn"
ENTRY_RESTORED = "questions.entry_restored"
BASE_PUBLISHED = "questions.base_published"
FAQ_IMPORTED = "questions.faq_imported"
FAQ_EXPORTED = "questions.faq_exported"
GOMI_IMPORTED = "questions.gomi_imported"
GOMI_EXPORTED = "questions.gomi_exported"

LABELS: dict[str, object] = {
    ENTRY_CREATED: _("Q&A項目の追加"),
    ENTRY_CHANGED: _("Q&A項目の変更"),
    ENTRY_WITHDRAWN: _("Q&A項目の取り下げ"),
    ENTRY_RESTORED: _("Q&A項目を元に戻した"),
    BASE_PUBLISHED: _("Q&Aの公開"),
    FAQ_IMPORTED: _("Q&AのCSV取り込み"),
    FAQ_EXPORTED: _("Q&AのCSV出力"),
    GOMI_IMPORTED: _("ごみ分別辞書のCSV取り込み"),
    GOMI_EXPORTED: _("ごみ分別辞書のCSV出力"),
}
