"""What the apps' page views share: a selector's miss as a 404, a settings form's save, and a
page that the workflow table does not open in the object's state."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise

from portal.context import AuditContext

if TYPE_CHECKING:
    from django import forms
    from django.db import models

    from portal.workflow import Workflow

T = TypeVar("T")


def found_or_404(select: Callable[..., T], **lookup: Any) -> T:
    """``select(**lookup)`` (a selector that fetches one object), its ``DoesNotExist`` as a 404."""
    try:
        return select(**lookup)
    except ObjectDoesNotExist as exc:
        raise Http404 from exc


def form_saved(
    request: HttpRequest, form: forms.BaseForm, save: Callable[[AuditContext], object], *, success: str | Promise
) -> bool:
    """A POST whose ``form`` is valid: ``save`` it (given the audit context, it calls the
    service), tell staff ``success``. Whether it saved; the view then redirects, else shows
    the form again (with its errors on a POST)."""
    if request.method != "POST" or not form.is_valid():
        return False
    save(AuditContext.from_request(request))
    messages.success(request, str(success))
    return True


def refused_page(request: HttpRequest, workflow: Workflow, name: str, obj: models.Model) -> HttpResponse | None:
    """None when the table lets ``name`` (a page such as 編集) start from ``obj``'s state;
    else the object's page, with the table's refusal."""
    if workflow.can(name, obj):
        return None
    messages.error(request, str(workflow.action(name).refused))
    return redirect(workflow.detail_url, pk=obj.pk)
