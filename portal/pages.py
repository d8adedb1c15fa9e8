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


class Window:
    """One page of a list read without counting it: ``size + 1`` rows are fetched to know
    whether a next page exists (no COUNT query). Quacks like a Paginator page for
    ``portal/_pager.html``, which then shows 「n ページ目」 instead of 「n / total ページ」."""

    paginator = None  # no total: the pager shows the page's number alone

    def __init__(self, rows: Any, *, number: int, size: int) -> None:
        self.number, self.size = number, size
        fetched = list(rows[(number - 1) * size : number * size + 1])
        self.object_list = fetched[:size]
        self._more = len(fetched) > size

    @classmethod
    def of(cls, rows: Any, page: object, *, size: int) -> Window:
        """The page numbered ``page`` (a GET parameter: anything not a whole number ≥ 1 is
        the first page) of the queryset ``rows``."""
        try:
            number = max(1, int(str(page)))
        except (TypeError, ValueError):
            number = 1
        return cls(rows, number=min(number, 100_000), size=size)

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)

    def has_next(self) -> bool:
        return self._more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self._more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1
