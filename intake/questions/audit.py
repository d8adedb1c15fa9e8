"""Audit action names of intake.questions (labels registered in apps.ready()). Field diffs
are in ``detail["changes"] = {field: [old, new]}``; ``detail["via"]`` says ``page`` or ``csv``."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.labels import Labels

LABELS = Labels()
ENTRY_CREATED = LABELS.add("questions.entry_created", _("Q&A項目の追加"))
ENTRY_CHANGED = LABELS.add("questions.entry_changed", _("Q&A項目の変更"))
ENTRY_WITHDRAWN = LABELS.add("questions.entry_withdrawn", _("Q&A項目の取り下げ"))
ENTRY_RESTORED = LABELS.add("questions.entry_restored", _("Q&A項目を元に戻した"))
BASE_PUBLISHED = LABELS.add("questions.base_published", _("Q&Aの公開"))
FAQ_IMPORTED = LABELS.add("questions.faq_imported", _("Q&AのCSV取り込み"))
FAQ_EXPORTED = LABELS.add("questions.faq_exported", _("Q&AのCSV出力"))
GOMI_IMPORTED = LABELS.add("questions.gomi_imported", _("ごみ分別辞書のCSV取り込み"))
GOMI_EXPORTED = LABELS.add("questions.gomi_exported", _("ごみ分別辞書のCSV出力"))
