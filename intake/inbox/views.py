"""Staff pages of the inbox: the list of conversations and one conversation (its timeline,
reply and note forms, the table's actions). Handlers (問い合わせ対応) act; auditors read.
Every view is audited: the pages show what residents wrote."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache

from accounts.roles import Perm
from accounts.services import audit_record
from portal import access
from portal.context import AuditContext
from portal.pages import Window

from . import forms, selectors, services
from .audit import AUDIT_INQUIRY_VIEWED, AUDIT_LIST_VIEWED
from .models import Inquiry, Team
from .workflow import WORKFLOW

READ = (Perm.HANDLE_INQUIRIES, Perm.VIEW_INQUIRIES)


def inquiry_listing(request: HttpRequest, query: Any) -> tuple[forms.ListFilterForm, str, Window]:
    """The list's filters (``query``: the page's GET, the API's query parameters), the state
    it shows and its page of conversations (``page``, ``selectors.PAGE_SIZE`` a page); audited
    as a view of the list (the page and the API), with the page's number after the first."""
    form = forms.ListFilterForm(query or None)
    status = team = ""
    mine = False
    if form.is_valid():
        status, team, mine = form.cleaned_data["status"], form.cleaned_data["team"], form.cleaned_data["mine"]
    rows = selectors.inquiry_list(status=status, team=team, assignee=request.user if mine else None)
    window = Window.of(rows, query.get("page") if query else None, size=selectors.PAGE_SIZE)
    detail: dict[str, Any] = {"status": status, "team": team, "mine": mine, "shown": len(window)}
    if window.number > 1:
        detail["page"] = window.number
    audit_record(action=AUDIT_LIST_VIEWED, ctx=AuditContext.from_request(request), detail=detail)
    return form, status, window


def _without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@never_cache
@access.require(READ)
def inquiry_list(request: HttpRequest) -> HttpResponse:
    form, status, window = inquiry_listing(request, request.GET)
    rows = [{"inquiry": i, "open_for": selectors.open_for_label(i)} for i in window]
    counts = selectors.status_counts()
    return render(
        request,
        "inbox/list.html",
        {
            "form": form,
            "rows": rows,
            "tabs": [{"value": s, "label": label, "count": counts.get(s, 0)} for s, label in Inquiry.Status.choices],
            "status": status,
            "page": window,
            "querystring": _without_page(request),
        },
    )


@never_cache
@access.require(READ)
def inquiry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    inquiry = get_object_or_404(Inquiry.objects.select_related("resident", "assignee"), pk=pk)
    ctx = AuditContext.from_request(request)
    audit_record(action=AUDIT_INQUIRY_VIEWED, ctx=ctx, target=inquiry)
    marked = services.inquiry_mark_seen(inquiry=inquiry, ctx=ctx)
    actions = {a.name for a in WORKFLOW.available(inquiry, request.user)}
    return render(
        request,
        "inbox/detail.html",
        {
            "inquiry": inquiry,
            "state_label": WORKFLOW.label(inquiry.status),
            "timeline": selectors.inquiry_timeline(inquiry=inquiry),
            "open_for": selectors.open_for_label(inquiry),
            "language": selectors.resident_language(inquiry),
            "actions": actions,
            "marked_read": marked,
            "assign_form": forms.AssignForm(initial={"team": inquiry.team, "assignee": inquiry.assignee_id}),
            "reply_form": forms.ReplyForm(initial={"submission_key": uuid.uuid4()}),
            "note_form": forms.NoteForm(initial={"submission_key": uuid.uuid4()}, auto_id="note_%s"),
            "templates": selectors.reply_templates(),
            "teams": Team.choices,
        },
    )
