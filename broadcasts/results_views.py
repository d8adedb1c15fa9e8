"""The results dashboard for PR (broadcasts/results.py has the figures): friends over time,
the audience by each dimension, sends per month with open and click rates, the monthly
report's CSV (audited). Readers of broadcasts (PR roles, admins, auditors) see it; the
audience section only those who may see the audience page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Perm
from accounts.services import audit_record
from portal import access
from portal.context import AuditContext
from portal.csv import csv_response

from . import audit as actions
from . import privacy, results


def _chart_data(months: list[results.Month], friends: list[results.FriendsPoint]) -> dict[str, Any]:
    return {
        "months": {
            "labels": [m.label for m in months],
            "sends": [m.sends for m in months],
            "open_rate": [m.open_rate for m in months],
            "click_rate": [m.click_rate for m in months],
        },
        "friends": {
            "labels": [f"{p.day:%m/%d}" for p in friends],
            "followers": [p.followers for p in friends],
            "blocks": [p.blocks for p in friends],
        },
        "labels": {
            "sends": _("配信数"),
            "open_rate": _("開封率（%）"),
            "click_rate": _("クリック率（%）"),
            "followers": _("友だち数"),
            "blocks": _("ブロック数"),
        },
    }


@access.require(Perm.VIEW_BROADCASTS)
def results_dashboard(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    audience, breakdowns = None, []
    if user.has_perm(Perm.VIEW_AUDIENCE):
        audience = privacy.audience_figures()
        titles = {"by_area": _("地域"), "by_age": _("年代"), "by_interest": _("関心分野")}
        # every breakdown the release has (one per dimension), in its order
        breakdowns = [
            {"id": key, "title": titles.get(key, key[3:]), "rows": rows}
            for key, rows in audience.items()
            if key.startswith("by_") and isinstance(rows, list)
        ]
    months = results.monthly_sends()
    friends = results.friends_series()
    return render(
        request,
        "broadcasts/results_dashboard.html",
        {
            "months": months,
            "friends": friends,
            "friends_recent": friends[-14:],
            "audience": audience,
            "breakdowns": breakdowns,
            "chart_data": _chart_data(months, friends),
        },
    )


@access.require(Perm.VIEW_BROADCASTS)
def results_data(request: HttpRequest) -> JsonResponse:
    """The charts' data (rounded figures; null under 50)."""
    return JsonResponse(_chart_data(results.monthly_sends(), results.friends_series()))


@access.require(Perm.VIEW_BROADCASTS)
def results_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Sends per month for the monthly report (rounded figures; 「50人未満」 as text); audited."""
    months = results.monthly_sends()
    audit_record(action=actions.RESULTS_EXPORTED, ctx=AuditContext.from_request(request), detail={"months": len(months)})
    header = [_("月"), _("配信数"), _("配信人数"), _("開封（ユニーク）"), _("開封率（%）"), _("クリック（ユニーク）"),
              _("クリック率（%）")]  # fmt: skip
    rows = (
        [m.label, m.sends, m.delivered_text, m.opened_text, m.open_rate_text, m.clicked_text, m.click_rate_text] for m in months
    )
    return csv_response(filename=f"broadcast-results-{timezone.localdate():%Y%m}.csv", header=header, rows=rows)
