"""Staff pages of intake.questions: the Q&A entries (list, view, edit), 公開, 試してみる (answers
from the draft), CSV import/export, and the ごみ分別 dictionary. 取り下げ / 元に戻す / 公開 are
the tables' actions (workflow.py), wired in urls.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.roles import Perm
from accounts.services import audit_record
from portal import access
from portal.context import AuditContext
from portal.csv import csv_response
from portal.workflow import run_in_view

from . import audit, chat, csvio, forms, selectors, services
from .gomi import gomi_lookup
from .language import detect_language
from .matching import answer
from .models import LANGUAGES, FaqBase, FaqEntry, FaqVersion
from .workflow import BASE_WORKFLOW, ENTRY_WORKFLOW

READ: access.Permission = (Perm.VIEW_QUESTIONS, Perm.MANAGE_FAQ, Perm.MANAGE_GOMI)
MANAGE = Perm.MANAGE_FAQ
MANAGE_GOMI = Perm.MANAGE_GOMI
LIST_LIMIT = 1000


def _base_context(request: HttpRequest, base: FaqBase | None = None) -> dict[str, Any]:
    return {"base": base or FaqBase.load(), "can_manage": access.user_passes(request.user, MANAGE)}


@never_cache
@access.require(READ)
def entries(request: HttpRequest) -> HttpResponse:
    categories = selectors.categories()
    form = forms.EntryFilterForm(request.GET or None, categories=categories)
    filters = {"query": "", "category": "", "status": ""}
    if form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "category": form.cleaned_data["category"],
            "status": form.cleaned_data["status"],
        }
    rows = list(selectors.entry_list(**filters)[:LIST_LIMIT])
    return render(request, "questions/entries.html", {**_base_context(request), "form": form, "entries": rows})


@never_cache
@access.require(READ)
def entry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(FaqEntry.objects.select_related("updated_by"), pk=pk)
    return render(
        request,
        "questions/entry.html",
        {
            **_base_context(request),
            "entry": entry,
            "translations": [(name, entry.translations.get(code)) for code, name in LANGUAGES],
            "actions": {a.name for a in ENTRY_WORKFLOW.available(entry, request.user)},
            "try_form": forms.TryForm(initial={"text": entry.question}),
        },
    )


@never_cache
@access.require(MANAGE)
def entry_edit(request: HttpRequest, pk: int | None = None) -> HttpResponseBase:
    entry = get_object_or_404(FaqEntry, pk=pk) if pk else None
    if entry is not None and not ENTRY_WORKFLOW.can("edit", entry):
        messages.error(request, str(ENTRY_WORKFLOW.action("edit").refused))
        return redirect("questions:entry", pk=entry.pk)
    form = forms.EntryForm.for_entry(entry, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        if entry is None:
            done, saved = run_in_view(request, lambda ctx: services.entry_create(values=values, ctx=ctx))
        else:
            target = entry
            done, saved = run_in_view(request, lambda ctx: services.entry_update(target, ctx=ctx, values=values))
        if done:
            messages.success(request, _("下書きに保存しました。「試してみる」で確かめ、「公開」するとチャットに反映されます。"))
            return redirect("questions:entry", pk=saved.pk)
    return render(
        request,
        "questions/entry_form.html",
        {
            **_base_context(request),
            "entry": entry,
            "form": form,
            "categories": forms.SUGGESTED_CATEGORIES + selectors.categories(),
        },
    )


@never_cache
@access.require(READ)
def base_detail(request: HttpRequest, pk: int) -> HttpResponse:
    base = get_object_or_404(FaqBase, pk=pk)
    summary = selectors.draft_summary()
    versions = list(FaqVersion.objects.defer("entries").select_related("published_by")[:20])
    return render(
        request,
        "questions/publish.html",
        {
            **_base_context(request, base),
            "summary": [(FaqEntry.Status(code).label, count) for code, count in summary.items()],
            "versions": versions,
            "can_publish": BASE_WORKFLOW.can("publish", base, request.user),
        },
    )


@never_cache
@access.require(READ)
def try_answer(request: HttpRequest) -> HttpResponse:
    """試してみる: what the chat would answer from the DRAFT (no LINE involved)."""
    form = forms.TryForm(request.POST or None)
    result: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        text = form.cleaned_data["text"]
        language = form.cleaned_data["language"] or detect_language(text)
        match_language = "ja" if language == "ja-easy" else language
        decision = answer(text, selectors.draft_index(), language=match_language)
        found = gomi_lookup(text, selectors.gomi_index()) if language in ("ja", "ja-easy") else None
        entry_text, translated = ("", True)
        if decision.entry is not None:
            entry_text, translated = decision.entry.answer_in(language)
        result = {
            "text": text,
            "language": dict(forms.TRY_LANGUAGES).get(language, language),
            "decision": decision,
            "answer_text": entry_text,
            "translated": translated,
            "note": chat.word(language, "note") if not translated else "",
            "candidates": [(e, e.question_in(language)) for e in decision.candidates],
            "ranked": [(m, m.entry.question) for m in decision.ranked],
            "gomi": found,
            "entry_pk": FaqEntry.objects.filter(key=decision.entry.id).values_list("pk", flat=True).first()
            if decision.entry is not None
            else None,
        }
    return render(request, "questions/try.html", {**_base_context(request), "form": form, "result": result})


@never_cache
@access.require(READ)
def export_csv(request: HttpRequest) -> HttpResponseBase:
    rows = selectors.draft_entries()
    audit_record(action=audit.FAQ_EXPORTED, ctx=AuditContext.from_request(request), detail={"entries": rows.count()})
    stamp = timezone.localtime().strftime("%Y%m%d")
    return csv_response(
        filename=f"faq-{stamp}.csv",
        header=csvio.FAQ_HEADER,
        rows=(csvio.faq_cells(e.key, e.content()) for e in rows.iterator(chunk_size=500)),
    )


@never_cache
@access.require(MANAGE)
def import_csv(request: HttpRequest) -> HttpResponseBase:
    def run(data: bytes, ctx: AuditContext, values: dict[str, Any]) -> str:
        return services.faq_import(data=data, ctx=ctx, replace=values["replace"]).summary()

    form = forms.FaqImportForm(request.POST or None, request.FILES or None)
    return _csv_import(
        request, form, run, done="questions:entries", template="questions/import.html", context=_base_context(request)
    )


def _csv_import(
    request: HttpRequest,
    form: Form,
    run: Callable[[bytes, AuditContext, dict[str, Any]], str],
    *,
    done: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """A CSV import page: the uploaded file is ``run`` (all or nothing: a refused file's
    problems are listed on the page), what it did is told on ``done``, the page it returns to."""
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            summary = run(form.cleaned_data["file"].read(), AuditContext.from_request(request), form.cleaned_data)
        except services.CsvImportError as error:
            problems = error.messages
        else:
            messages.success(request, summary)
            return redirect(done)
    return render(request, template, {**context, "form": form, "problems": problems})


@never_cache
@access.require(READ)
def gomi(request: HttpRequest) -> HttpResponse:
    form = forms.GomiFilterForm(request.GET or None, kinds=selectors.gomi_kinds())
    query, kind = "", ""
    if form.is_valid():
        query, kind = form.cleaned_data["q"], form.cleaned_data["kind"]
    items = selectors.gomi_list(query=query, kind=kind)
    rows = list(items[:LIST_LIMIT])
    return render(
        request,
        "questions/gomi.html",
        {
            "form": form,
            "items": rows,
            "total": len(rows) if len(rows) < LIST_LIMIT else items.count(),
            "can_import": access.user_passes(request.user, MANAGE_GOMI),
        },
    )


@never_cache
@access.require(READ)
def gomi_export(request: HttpRequest) -> HttpResponseBase:
    items = selectors.gomi_list()
    audit_record(action=audit.GOMI_EXPORTED, ctx=AuditContext.from_request(request), detail={"items": items.count()})
    return csv_response(
        filename=f"gomi-{timezone.localtime().strftime('%Y%m%d')}.csv",
        header=csvio.GOMI_HEADER,
        rows=((i.kind, i.name, i.note, i.kana) for i in items.iterator(chunk_size=1000)),
    )


@never_cache
@access.require(MANAGE_GOMI)
def gomi_import(request: HttpRequest) -> HttpResponseBase:
    def run(data: bytes, ctx: AuditContext, values: dict[str, Any]) -> str:
        count = services.gomi_import(data=data, ctx=ctx)
        return _("ごみ分別辞書を%(count)d品目に置き換えました。チャットにはすぐ反映されます。") % {"count": count}

    form = forms.GomiImportForm(request.POST or None, request.FILES or None)
    return _csv_import(request, form, run, done="questions:gomi", template="questions/gomi_import.html", context={})
