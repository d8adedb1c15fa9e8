"""Writes of intake.questions: editing the draft of the Q&A base, 公開 (publishing a version),
CSV imports, the ごみ分別 dictionary, and residents' 役に立った / 立たなかった counts. Every staff
change is audited (field diffs); state changes go through the table in workflow.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.services import audit_changes, audit_record
from portal.context import AuditContext
from portal.errors import DomainError

from . import audit, csvio
from .models import FaqBase, FaqEntry, FaqVersion, GomiItem, new_token

S = FaqEntry.Status
KEY_RE = re.compile(r"^FAQ-(\d+)$")
Row = TypeVar("Row")


class CsvImportError(DomainError):
    """A CSV file with problems: nothing was imported; ``messages`` lists every row's."""


def _draft_changed() -> FaqBase:
    base = FaqBase.load()
    FaqBase.objects.filter(pk=base.pk).update(status=FaqBase.Status.CHANGED, draft_token=new_token())
    base.refresh_from_db()
    return base


def _next_key(taken: set[str] | None = None) -> str:
    numbers = [int(m.group(1)) for k in FaqEntry.objects.values_list("key", flat=True) if (m := KEY_RE.match(k))]
    numbers += [int(m.group(1)) for k in taken or () if (m := KEY_RE.match(k))]
    return f"FAQ-{max(numbers, default=0) + 1:04d}"


def _clean_content(values: dict[str, Any]) -> dict[str, Any]:
    content = {name: values.get(name) for name in FaqEntry.CONTENT_FIELDS}
    for name in ("variants", "keywords", "quick_replies"):
        content[name] = [str(v).strip() for v in (content[name] or []) if str(v).strip()]
    for name in ("question", "answer", "link", "category"):
        content[name] = str(content[name] or "").strip()
    content["translations"] = {
        lang: {"question": str(t.get("question", "")).strip(), "answer": str(t.get("answer", "")).strip()}
        for lang, t in (content["translations"] or {}).items()
        if str(t.get("question", "")).strip() or str(t.get("answer", "")).strip()
    }
    return content


def entry_create(*, values: dict[str, Any], ctx: AuditContext, key: str = "") -> FaqEntry:
    """A new entry of the draft (未公開 until the next 公開)."""
    content = _clean_content(values)
    with transaction.atomic():
        key = key or _next_key()
        if FaqEntry.objects.filter(key=key).exists():
            raise DomainError(_("ID「%(key)s」はすでに使われています。") % {"key": key}, code="duplicate_key")
        entry = FaqEntry.objects.create(key=key, updated_by=ctx.actor, status=S.NEW, **content)
        _draft_changed()
        audit_changes(action=audit.ENTRY_CREATED, before={}, after={"key": key, **content}, ctx=ctx, target=entry)
    return entry


def entry_update(entry: FaqEntry, *, ctx: AuditContext, values: dict[str, Any], via: str = "page") -> FaqEntry:
    """Edit the draft of an entry; a published entry becomes 公開中（変更あり） until 公開."""
    from .workflow import ENTRY_WORKFLOW

    content = _clean_content(values)
    with transaction.atomic():
        entry = FaqEntry.objects.select_for_update().get(pk=entry.pk)
        ENTRY_WORKFLOW.require("edit", entry)
        before = entry.content()
        if before == content:
            return entry
        for name, value in content.items():
            setattr(entry, name, value)
        if entry.status == S.PUBLISHED:
            entry.status = S.CHANGED
        entry.updated_by = ctx.actor
        entry.save()
        _draft_changed()
        audit_changes(action=audit.ENTRY_CHANGED, before=before, after=content, ctx=ctx, target=entry, extra={"via": via})
    return entry


def _entry_move(entry: FaqEntry, *, ctx: AuditContext, action: str, to: dict[str, str], audit_action: str) -> FaqEntry:
    """Move an entry through the table's ``action``: its status becomes ``to[its status]``."""
    from .workflow import ENTRY_WORKFLOW

    with transaction.atomic():
        entry = FaqEntry.objects.select_for_update().get(pk=entry.pk)
        ENTRY_WORKFLOW.require(action, entry)
        before = entry.status
        entry.status = to[entry.status]
        entry.updated_by = ctx.actor
        entry.save(update_fields=["status", "updated_by", "updated_at"])
        _draft_changed()
        audit_changes(action=audit_action, before={"status": before}, after={"status": entry.status}, ctx=ctx, target=entry)
    return entry


def entry_withdraw(entry: FaqEntry, *, ctx: AuditContext) -> FaqEntry:
    """Take an entry out of the draft: a published one stays answered until the next 公開."""
    to: dict[str, str] = {S.NEW: S.RETIRED, S.PUBLISHED: S.WITHDRAWN, S.CHANGED: S.WITHDRAWN}
    return _entry_move(entry, ctx=ctx, action="withdraw", to=to, audit_action=audit.ENTRY_WITHDRAWN)


def entry_restore(entry: FaqEntry, *, ctx: AuditContext) -> FaqEntry:
    """Put a withdrawn entry back into the draft."""
    to: dict[str, str] = {S.WITHDRAWN: S.CHANGED, S.RETIRED: S.NEW}
    return _entry_move(entry, ctx=ctx, action="restore", to=to, audit_action=audit.ENTRY_RESTORED)


def base_publish(base: FaqBase, *, ctx: AuditContext) -> FaqVersion:
    """公開: the draft's entries become the version the chat answers from."""
    from .workflow import BASE_WORKFLOW

    with transaction.atomic():
        base = FaqBase.objects.select_for_update().get(pk=base.pk)
        BASE_WORKFLOW.require("publish", base)
        entries = list(FaqEntry.objects.exclude(status__in=[S.WITHDRAWN, S.RETIRED]).order_by("key"))
        if not entries:
            raise DomainError(_("公開する項目がありません。"), code="empty")
        last = FaqVersion.objects.order_by("-number").values_list("number", flat=True).first() or 0
        version = FaqVersion.objects.create(
            number=last + 1,
            entries=[{"key": e.key, **e.content()} for e in entries],
            entry_count=len(entries),
            published_by=ctx.actor,
        )
        counts = {
            "new": FaqEntry.objects.filter(status=S.NEW).update(status=S.PUBLISHED),
            "changed": FaqEntry.objects.filter(status=S.CHANGED).update(status=S.PUBLISHED),
            "withdrawn": FaqEntry.objects.filter(status=S.WITHDRAWN).update(status=S.RETIRED),
        }
        base.status = FaqBase.Status.PUBLISHED
        base.save(update_fields=["status", "updated_at"])
        audit_record(
            action=audit.BASE_PUBLISHED,
            ctx=ctx,
            target=version,
            detail={"version": version.number, "entries": len(entries), **counts},
        )
    return version


@dataclass
class ImportResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = _(
            "取り込みました：追加 %(created)d件、変更 %(changed)d件、変更なし %(unchanged)d件、取り下げ %(withdrawn)d件。"
        ) % {
            "created": self.created,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "withdrawn": self.withdrawn,
        }
        if self.ignored_columns:
            text += " " + _("次の列は読み込んでいません：%(names)s") % {"names": "、".join(self.ignored_columns)}
        return text + " " + _("チャットに反映するには「公開」してください。")


def _refuse(problems: csvio.CsvProblems) -> None:
    shown = problems.problems[:50]
    more = len(problems.problems) - len(shown)
    if more:
        shown.append(_("ほか%(n)d件") % {"n": more})
    raise CsvImportError(
        _("CSVに問題があるため、何も取り込んでいません。"),
        code="invalid_csv",
        details={"problems": problems.problems},
        messages=[_("CSVに問題があるため、何も取り込んでいません。"), *shown],
    )


def _read_csv(data: bytes, read: Callable[[str], tuple[list[Row], csvio.CsvProblems]]) -> tuple[str, list[Row]]:
    """An uploaded CSV's text and its rows as ``read`` parses them; CsvImportError (nothing
    is imported) when the file cannot be read or any row has a problem."""
    try:
        text = csvio.decode(data)
    except ValueError as error:
        raise CsvImportError(str(error), code="invalid_csv") from error
    rows, problems = read(text)
    if problems:
        _refuse(problems)
    return text, rows


def faq_import(*, data: bytes, ctx: AuditContext, replace: bool = False) -> ImportResult:
    """Import a Q&A CSV into the draft: rows with a known ID change that entry, others are
    added (an empty ID gets the next FAQ-nnnn); with ``replace``, entries the file does not
    list are withdrawn. A file with any problem imports nothing (CsvImportError lists them)."""
    text, rows = _read_csv(data, csvio.read_faq)
    result = ImportResult(ignored_columns=csvio.unknown_columns(text, csvio.FAQ_HEADER))
    with transaction.atomic():
        existing = {e.key: e for e in FaqEntry.objects.select_for_update()}
        listed: set[str] = set()
        taken = set(existing)
        for row in rows:
            key = row.key
            if not key:
                key = _next_key(taken)
            taken.add(key)
            listed.add(key)
            entry = existing.get(key)
            content = _clean_content(row.content)
            if entry is None:
                entry = FaqEntry.objects.create(key=key, updated_by=ctx.actor, status=S.NEW, **content)
                audit_changes(
                    action=audit.ENTRY_CREATED,
                    before={},
                    after={"key": key, **content},
                    ctx=ctx,
                    target=entry,
                    extra={"via": "csv"},
                )
                result.created += 1
                continue
            before, before_status = entry.content(), entry.status
            if before == content and entry.in_draft:
                result.unchanged += 1
                continue
            for name, value in content.items():
                setattr(entry, name, value)
            moves: dict[str, str] = {S.PUBLISHED: S.CHANGED, S.WITHDRAWN: S.CHANGED, S.RETIRED: S.NEW}
            entry.status = moves.get(entry.status, entry.status)
            entry.updated_by = ctx.actor
            entry.save()
            audit_changes(
                action=audit.ENTRY_CHANGED,
                before={**before, "status": before_status},
                after={**content, "status": entry.status},
                ctx=ctx,
                target=entry,
                extra={"via": "csv"},
            )
            result.changed += 1
        if replace:
            for key, entry in existing.items():
                if key in listed or not entry.in_draft:
                    continue
                before_status = entry.status
                entry.status = S.RETIRED if entry.status == S.NEW else S.WITHDRAWN
                entry.updated_by = ctx.actor
                entry.save(update_fields=["status", "updated_by", "updated_at"])
                audit_changes(
                    action=audit.ENTRY_WITHDRAWN,
                    before={"status": before_status},
                    after={"status": entry.status},
                    ctx=ctx,
                    target=entry,
                    extra={"via": "csv"},
                )
                result.withdrawn += 1
        if result.created or result.changed or result.withdrawn:
            _draft_changed()
        audit_record(
            action=audit.FAQ_IMPORTED,
            ctx=ctx,
            detail={
                "rows": len(rows),
                "created": result.created,
                "changed": result.changed,
                "unchanged": result.unchanged,
                "withdrawn": result.withdrawn,
                "replace": replace,
            },
        )
    return result


def gomi_import(*, data: bytes, ctx: AuditContext) -> int:
    """Replace the ごみ分別 dictionary with a 5374.jp-format CSV (all rows or, on any problem,
    none: CsvImportError lists them). Returns the number of items."""
    _, rows = _read_csv(data, csvio.read_gomi)
    with transaction.atomic():
        before = {
            name: (kind, note, kana) for name, kind, note, kana in GomiItem.objects.values_list("name", "kind", "note", "kana")
        }
        GomiItem.objects.all().delete()
        GomiItem.objects.bulk_create(
            [GomiItem(kind=r.kind, name=r.name, note=r.note, kana=r.kana, order=i) for i, r in enumerate(rows)], batch_size=500
        )
        after = {r.name: (r.kind, r.note, r.kana) for r in rows}
        FaqBase.objects.filter(pk=FaqBase.load().pk).update(gomi_token=new_token())
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(n for n in set(before) & set(after) if before[n] != after[n])
        audit_record(
            action=audit.GOMI_IMPORTED,
            ctx=ctx,
            detail={
                "items": len(rows),
                "before": len(before),
                "added": added[:100],
                "removed": removed[:100],
                "changed": changed[:100],
                "counts": {"added": len(added), "removed": len(removed), "changed": len(changed)},
            },
        )
    return len(rows)


def feedback_record(*, key: str, helpful: bool) -> bool:
    """A resident pressed 役に立った (``helpful``) or 役に立たなかった after the answer of entry
    ``key``: one more press counted (who pressed is not stored). False for an unknown entry."""
    column = "helpful" if helpful else "not_helpful"
    return FaqEntry.objects.filter(key=key).update(**{column: F(column) + 1}) > 0
