"""Workflows as tables: states, allowed transitions and one spec per staff action.

Each app declares one :class:`Workflow` in its ``workflow.py``. The table is the single
place that says

- which states exist (label in staff's words, whether the state is final);
- which action may start from which states, and where it leads;
- who may run each action (the permission, declared once), which service it calls, and
  what staff are told when it worked.

Services ask the table before changing a state (:meth:`Workflow.require`), so a transition
the table does not list is refused everywhere. Pages and the API never wire actions by
hand: :func:`page_urls` and :func:`api_urls` build one URL pattern per action from the table,
served by one page view (:class:`ActionPageView`) and one API view (:class:`ActionApiView`),
each carrying the action's permission for :mod:`portal.access` (and the access-matrix test).

A service called by an action takes the object first, then ``ctx`` (the
:class:`portal.context.AuditContext`), then the action's validated parameters as keywords,
and raises :class:`portal.errors.DomainError` when the rules refuse.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from django import forms
from django.db import models
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, URLPattern, path
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views import View
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import access
from portal.context import AuditContext
from portal.errors import Conflict, DomainError, NotAllowed, page_error

if TYPE_CHECKING:
    from accounts.models import User

T = TypeVar("T")


@dataclass(frozen=True)
class State:
    label: str | Promise  # in staff's words (「承認待ち」), usually gettext_lazy
    final: bool = False
    description: str | Promise = ""


@dataclass(frozen=True)
class Action:
    """One staff action. ``sources`` are the states it may start from (empty: any state that
    the service itself accepts); ``target`` is where it leads (None: the service decides,
    e.g. 承認 leads to 配信中 or 予約済)."""

    name: str  # URL segment: /<pk>/<name>/
    label: str | Promise  # the button's words
    permission: access.Permission
    service: Callable[..., Any]
    # Told to staff when it worked ("" = the service's own note); a callable gets the
    # service's result (「承認しました。…に配信します。」 names the time it chose).
    success: str | Promise | Callable[[Any], str] = ""
    sources: frozenset[str] = frozenset()
    target: str | None = None
    params: type[forms.Form] | None = None  # the input both the page and the API validate
    url_name: str = ""  # page URL name (default: the action's name)
    api_url_name: str = ""  # API URL name (default: "api_<name>"); "-" = no API endpoint
    page: bool = True  # served as a page POST
    done_url: str = ""  # URL name to show after success (default: the object's page)
    doc: str = ""  # the API's description
    refused: str | Promise = ""  # told when the state does not allow it (default: the workflow's ``refused``)

    @property
    def page_name(self) -> str:
        return self.url_name or self.name

    @property
    def api_name(self) -> str:
        return self.api_url_name or f"api_{self.name}"


@dataclass(frozen=True)
class Workflow:
    name: str  # e.g. "broadcast": the objects' word in messages and the API
    model: type[models.Model]
    states: Mapping[Any, State]  # state value (a str, often a TextChoices member) → State
    actions: tuple[Action, ...]
    state_field: str = "status"
    detail_url: str = ""  # URL name of an object's page ("broadcasts:detail")
    queryset: Callable[[], models.QuerySet] | None = None
    serializer: type[serializers.Serializer] | None = None  # the API's answer
    # Told when the state does not allow an action; ``%(state)s`` names the state's label.
    refused: str | Promise = "今の状態ではこの操作はできません。"
    # Words a page's ``next`` field may use for one of the object's pages ("review" →
    # "broadcasts:review"), besides a safe URL.
    next_pages: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    # The error a refused transition raises (a Conflict, or an app's DomainError subclass
    # whose answer its clients expect).
    conflict: type[DomainError] = Conflict
    # Called after every attempt through :meth:`perform` (done or refused), e.g. to audit
    # it: ``audit(action, obj, ctx, params, via="page"|"api", done=bool)``; ``obj`` is the
    # object as it was before the action.
    audit: Callable[..., None] | None = None

    def __post_init__(self) -> None:
        names = [a.name for a in self.actions]
        assert len(names) == len(set(names)), f"{self.name}: an action is declared twice"
        for action in self.actions:
            unknown = set(action.sources) - set(self.states)
            assert not unknown, f"{self.name}.{action.name}: unknown source states {unknown}"
            assert action.target is None or action.target in self.states, f"{self.name}.{action.name}: unknown target"

    # -- the table ----------------------------------------------------------------------
    def action(self, name: str) -> Action:
        for action in self.actions:
            if action.name == name:
                return action
        raise KeyError(name)

    def sources(self, name: str) -> frozenset[str]:
        return self.action(name).sources

    def transitions(self) -> dict[str, set[str]]:
        """State → states it may lead to (from the actions with a fixed target)."""
        result: dict[str, set[str]] = {state: set() for state in self.states}
        for action in self.actions:
            if action.target is None:
                continue
            for source in action.sources or self.states:
                result[source].add(action.target)
        return result

    def state_of(self, obj: models.Model) -> str:
        return str(getattr(obj, self.state_field))

    def label(self, state: str) -> str:
        info = self.states.get(state)
        return str(info.label) if info else state

    def can(self, name: str, obj: models.Model, user: Any = None) -> bool:
        """Whether ``name`` may start from ``obj``'s state (and, with ``user``, whether the
        user holds its permission): what a page uses to show or hide the button."""
        action = self.action(name)
        if action.sources and self.state_of(obj) not in action.sources:
            return False
        return user is None or access.user_passes(user, action.permission)

    def available(self, obj: models.Model, user: Any) -> list[Action]:
        return [a for a in self.actions if self.can(a.name, obj, user)]

    def require(self, name: str, obj: models.Model, *, message: str | None = None) -> None:
        """Refuse (Conflict) unless the table lets ``name`` start from ``obj``'s state."""
        action = self.action(name)
        state = self.state_of(obj)
        if action.sources and state not in action.sources:
            text = str(message or action.refused or self.refused)
            if "%(" in text:  # the state's label, as ``%(state)s`` (or ``%(status)s``)
                text = text % {"state": self.label(state), "status": self.label(state)}
            raise self.conflict(text, code="invalid_state", details={"state": state, "action": name})

    def may(self, name: str, user: Any) -> bool:
        """Whether ``user`` holds the permission of action ``name`` (whatever the state)."""
        return access.user_passes(user, self.action(name).permission)

    def graph(
        self, *also: Mapping[str, Iterable[str]], decided: Mapping[str, Iterable[str]] | None = None
    ) -> dict[str, set[str]]:
        """Every state → the states it may lead to: the actions' fixed targets, the states
        ``decided`` says an action's service chooses between (from each of its sources), and
        each of ``also`` (state → states: what happens without a staff action, e.g. a beat job)."""
        result = self.transitions()
        for name, targets in (decided or {}).items():
            for source in self.sources(name):
                result[source].update(targets)
        for edges in also:
            for source, targets in edges.items():
                result[source].update(targets)
        return result

    def objects(self) -> models.QuerySet:
        return self.queryset() if self.queryset is not None else self.model._default_manager.all()

    # -- running an action ----------------------------------------------------------------
    def run(self, name: str, obj: models.Model, *, ctx: AuditContext, params: Mapping[str, Any] | None = None) -> Any:
        """Run the action's service on ``obj`` (the service re-checks the state under its lock)."""
        action = self.action(name)
        self.require(name, obj)
        return action.service(obj, ctx=ctx, **dict(params or {}))

    def perform(self, name: str, obj: models.Model, *, ctx: AuditContext, data: Any, via: str) -> Any:
        """Validate ``data`` with the action's params form, run it, and report the attempt
        to :attr:`audit` (what the page view and the API view both do)."""
        action = self.action(name)
        params: dict[str, Any] = {}
        try:
            params = _params(action, data)
            result = self.run(name, obj, ctx=ctx, params=params)
        except DomainError:
            if self.audit is not None:
                self.audit(action, obj, ctx, params, via=via, done=False)
            raise
        if self.audit is not None:
            self.audit(action, obj, ctx, params, via=via, done=True)
        return result


def from_states(*states: str) -> frozenset[str]:
    """An action's ``sources``, as a table row writes them: ``from_states(S.DRAFT, S.RETURNED)``."""
    return frozenset(states)


def staff_of(ctx: AuditContext) -> User:
    """The staff member acting (every staff action has one: its permission was checked)."""
    if ctx.actor is None:
        raise NotAllowed(gettext("この操作を行う権限がありません。"))
    return ctx.actor


def keyword_rows(obj: str) -> Callable[..., Action]:
    """The row maker of a table whose services take keywords only (``broadcast_submit(*,
    broadcast, actor, ctx)``): ``row(name, label, permission, service, *, actor="actor", **spec)``
    runs the service as the table does, ``(obj, ctx=…, **params)``, with the object as ``obj``
    and the acting staff member from ``ctx`` as ``actor`` (``approver`` for approvals)."""

    def row(
        name: str,
        label: str | Promise,
        permission: access.Permission,
        service: Callable[..., T],
        *,
        actor: str = "actor",
        **spec: Any,
    ) -> Action:
        @functools.wraps(service)
        def run(target: models.Model, *, ctx: AuditContext, **params: Any) -> T:
            return service(**{obj: target, actor: staff_of(ctx)}, ctx=ctx, **params)

        return Action(name, label, permission, run, **spec)

    return row


def shared_rows(
    permission: access.Permission, *, url_name: str = "", api_url_name: str = "", **defaults: Any
) -> Callable[..., Action]:
    """The row maker of a table whose actions share a permission, URL names (``{name}`` stands
    for the action's name, e.g. ``"booking-{name}"``) and any other spec: each row
    ``row(name, label, service, success="", **spec)`` states only what differs."""

    def row(name: str, label: str | Promise, service: Callable[..., Any], success: Any = "", **spec: Any) -> Action:
        spec.setdefault("url_name", url_name.format(name=name))
        spec.setdefault("api_url_name", api_url_name.format(name=name))
        return Action(name, label, permission, service, success, **{**defaults, **spec})

    return row


def _form_data(data: Any) -> Any:
    """A JSON body as a form's data: numbers and booleans as the text a form field reads, a
    list as a multiple choice; an object where a value belongs is refused (not a 500)."""
    if isinstance(data, QueryDict) or not isinstance(data, dict):
        return data  # a page's POST or a form-encoded API call
    values: dict[str, Any] = {}
    for name, value in data.items():
        if isinstance(value, dict):
            raise DomainError(f"{name}: 値を指定してください。", code="invalid_input", details={"fields": {name: ["invalid"]}})
        values[name] = [_text(v) for v in value] if isinstance(value, list) else _text(value)
    return values


def _text(value: Any) -> Any:
    if value is None or isinstance(value, str):
        return value
    return str(value).lower() if isinstance(value, bool) else str(value)


def _params(action: Action, data: Any) -> dict[str, Any]:
    if action.params is None:
        return {}
    form = action.params(_form_data(data))
    if not form.is_valid():
        texts = [str(m) for errors in form.errors.values() for m in errors]
        raise DomainError(" ".join(texts), code="invalid_input", details={"fields": form.errors.get_json_data()}, messages=texts)
    return dict(form.cleaned_data)


def _success_text(action: Action, result: Any) -> str:
    if callable(action.success):
        return str(action.success(result))
    if isinstance(result, str) and result:
        return result
    return str(action.success) if action.success else ""


def _redirect_to(name: str, pk: int) -> HttpResponseBase:
    """The page named ``name``: the object's own (taking its pk) or one without arguments."""
    try:
        return redirect(name, pk=pk)
    except NoReverseMatch:
        return redirect(name)


class ActionPageView(access.PermissionRequiredMixin, View):
    """POST /<pk>/<action>/ from a page's button: run it, say what happened, go back."""

    workflow: Workflow
    action_name: str
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponseBase:
        from django.contrib import messages

        workflow, action = self.workflow, self.workflow.action(self.action_name)
        obj = get_object_or_404(workflow.objects(), pk=pk)
        done = False
        try:
            result = workflow.perform(action.name, obj, ctx=AuditContext.from_request(request), data=request.POST, via="page")
            done = True
            text = _success_text(action, result)
            if text:
                messages.success(request, text)
        except Exception as exc:  # noqa: BLE001 - page_error re-raises anything that is not a refusal
            page_error(request, exc)
        target = request.POST.get("next", "")
        if done and action.done_url:
            return _redirect_to(action.done_url, pk)
        if target in workflow.next_pages:
            return redirect(workflow.next_pages[target], pk=pk)
        safe = url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure())
        if target.startswith("/") and safe:  # a path on this portal (a bare "-1" would be taken for a view name)
            return HttpResponseRedirect(target)
        return redirect(workflow.detail_url, pk=pk)


class ActionApiView(APIView):
    """POST /api/<objects>/<pk>/<action>/: run it, answer with the object (or the error)."""

    workflow: Workflow
    action_name: str

    def post(self, request: Request, pk: int) -> Response:
        workflow, action = self.workflow, self.workflow.action(self.action_name)
        obj = get_object_or_404(workflow.objects(), pk=pk)
        data = request.data if hasattr(request.data, "get") else {}
        result = workflow.perform(action.name, obj, ctx=AuditContext.from_request(request), data=data, via="api")
        # A service may answer with another object (a reply, a version): the answer is ``obj``.
        fresh = workflow.objects().filter(pk=(result.pk if isinstance(result, workflow.model) else obj.pk)).first()
        if fresh is None:  # the action deleted it (削除 of a draft)
            return Response(status=status.HTTP_204_NO_CONTENT)
        if workflow.serializer is None:
            return Response({"id": fresh.pk, workflow.state_field: workflow.state_of(fresh)})
        return Response(workflow.serializer(fresh, context={"request": request}).data)


def _view_class(base: type, workflow: Workflow, action: Action) -> Any:
    attrs = {
        "workflow": workflow,
        "action_name": action.name,
        access.ATTRIBUTE: action.permission,
        "__doc__": action.doc or str(action.label),
        "__module__": workflow.model.__module__,
    }
    return type(f"{workflow.name.title()}{action.name.title().replace('_', '')}{base.__name__}", (base,), attrs)


def page_urls(workflow: Workflow, *, prefix: str = "<int:pk>/", only: Iterable[str] | None = None) -> list[URLPattern]:
    """One POST URL per page action: ``<prefix><action>/`` named by the action."""
    wanted = set(only) if only is not None else None
    return [
        path(f"{prefix}{a.name.replace('_', '-')}/", _view_class(ActionPageView, workflow, a).as_view(), name=a.page_name)
        for a in workflow.actions
        if a.page and (wanted is None or a.name in wanted)
    ]


def api_urls(workflow: Workflow, *, prefix: str, schema: Callable[[type, Action], type] | None = None) -> list[URLPattern]:
    """One POST API URL per action: ``<prefix><pk>/<action>/``. ``schema`` may decorate each
    generated class for drf-spectacular (request and response serializers)."""
    patterns = []
    for action in workflow.actions:
        if action.api_url_name == "-":
            continue
        view = _view_class(ActionApiView, workflow, action)
        if schema is not None:
            view = schema(view, action)
        patterns.append(path(f"{prefix}<int:pk>/{action.name.replace('_', '-')}/", view.as_view(), name=action.api_name))
    return patterns


def action_schema(
    answer: Any,
    *,
    requests: Mapping[str, Any] | None = None,
    refused: Iterable[int] = (400, 403, 409),
    also: Mapping[int, Any] | None = None,
) -> Callable[[type, Action], type]:
    """``api_urls``' ``schema`` for drf-spectacular: every action answers ``answer`` (200), takes
    the request serializer ``requests`` names for it (none: an empty body) and is refused in the
    one error shape (:class:`portal.errors.ErrorSerializer`) with each status of ``refused``;
    ``also`` adds other answers by status (``{204: None}``)."""
    from drf_spectacular.utils import extend_schema

    from portal.errors import ErrorSerializer

    statuses = {200: answer, **dict.fromkeys(refused, ErrorSerializer), **(also or {})}

    def document(view: type, action: Action) -> type:
        request = (requests or {}).get(action.name)
        return extend_schema(request=request, responses=statuses, description=action.doc or str(action.label))(view)

    return document


def run_in_view(request: HttpRequest, run: Callable[[AuditContext], Any], *, success: str = "") -> tuple[bool, Any]:
    """For a page that is not a table action (a form view): run, show a refusal as a message.
    Returns (done, result)."""
    from django.contrib import messages

    try:
        result = run(AuditContext.from_request(request))
    except Exception as exc:  # noqa: BLE001 - page_error re-raises anything that is not a refusal
        page_error(request, exc)
        return False, None
    if success:
        messages.success(request, success)
    return True, result


__all__ = [
    "Action",
    "ActionApiView",
    "ActionPageView",
    "State",
    "Workflow",
    "action_schema",
    "api_urls",
    "from_states",
    "keyword_rows",
    "page_urls",
    "run_in_view",
    "shared_rows",
    "staff_of",
]
