"""Shell views: dashboard and health."""

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from . import access
from .navigation import dashboard_banners, dashboard_cards
from .selectors import health_status_cached, retention_table


@access.require(access.AUTHENTICATED)
def dashboard(request: HttpRequest) -> HttpResponse:
    context = {"cards": dashboard_cards(request.user), "banners": dashboard_banners(request.user)}
    return render(request, "portal/dashboard.html", context)


@never_cache
@access.require(access.PUBLIC)
def healthz(request: HttpRequest) -> JsonResponse:
    """Database and broker status for load balancers (503 when either is down), and the
    heartbeats beat and the workers leave (``portal.health_beat``, once a minute). Reads
    only, never enqueues; the answer is computed at most every HEALTHZ_CACHE_SECONDS."""
    status = health_status_cached()
    return JsonResponse(status, status=200 if status["ok"] else 503)


@access.require(access.PUBLIC)
def account_email_closed(request: HttpRequest) -> HttpResponse:
    """allauth's e-mail management (add, remove, make primary) is closed: 404 for everyone."""
    raise Http404


@access.require(("accounts.manage_staff", "accounts.view_audit_log"))
def retention(request: HttpRequest) -> HttpResponse:
    """保存期間: every store of residents' personal data, its period, what the purge does,
    and the counts of its last run (admins and auditors)."""
    return render(request, "portal/retention.html", {"rows": retention_table()})
