"""The road-report table: a report's states (their type for Open311 and the words residents
read) and the transitions between them. ``report_change_status`` (services.py) is the only
way a report's status changes, and it asks this table first (``WORKFLOW.require``).

::

    受付 ─▶ 確認中 ─▶ 対応予定 ─▶ 対応中 ─▶ 完了
     │        │          │          │
     └────────┴──────────┴──────────┴──▶ 対応不可 / 重複     (from any open state)
    完了 / 対応不可 / 重複 ─▶ 確認中                          (reopening, e.g. after a follow-up)

Staff change a report's status from its page (one form: the new status, a message to the
resident, an after-photo for 完了; ``roads:change_status``) or in bulk from the queue; both
call the service, so the table holds for each. Built on :mod:`portal.workflow`: one action
per target status (``to_<status>``), its sources the states that may lead there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy

from accounts.roles import Perm
from portal.context import AuditContext
from portal.workflow import Action, State, Workflow

from .models import RoadReport, Status

# Open311's status types: open, and two kinds of closed (fixed: repaired).
OPEN, CLOSED, FIXED = "open", "closed", "fixed"


@dataclass(frozen=True)
class StatusInfo:
    type: str  # open | closed | fixed
    resident_label: Any  # what the resident reads (通報状況, Open311 status_notes)


STATUS_INFO: dict[str, StatusInfo] = {
    Status.RECEIVED: StatusInfo(OPEN, gettext_lazy("受け付けました")),
    Status.CHECKING: StatusInfo(OPEN, gettext_lazy("担当者が内容を確認しています")),
    Status.PLANNED: StatusInfo(OPEN, gettext_lazy("対応を予定しています")),
    Status.IN_PROGRESS: StatusInfo(OPEN, gettext_lazy("対応しています")),
    Status.DONE: StatusInfo(FIXED, gettext_lazy("対応が完了しました")),
    Status.REJECTED: StatusInfo(CLOSED, gettext_lazy("市では対応できない内容でした")),
    Status.DUPLICATE: StatusInfo(CLOSED, gettext_lazy("同じ場所の通報とまとめて対応します")),
}
OPEN_STATUSES = [s for s, info in STATUS_INFO.items() if info.type == OPEN]

_ANY_OPEN_EXIT = {Status.REJECTED, Status.DUPLICATE}
TRANSITIONS: dict[str, set[str]] = {
    Status.RECEIVED: {Status.CHECKING, Status.PLANNED, Status.IN_PROGRESS} | _ANY_OPEN_EXIT,
    Status.CHECKING: {Status.PLANNED, Status.IN_PROGRESS} | _ANY_OPEN_EXIT,
    Status.PLANNED: {Status.IN_PROGRESS, Status.DONE} | _ANY_OPEN_EXIT,
    Status.IN_PROGRESS: {Status.DONE} | _ANY_OPEN_EXIT,
    # Reopening (e.g. after a resident's follow-up) goes back to 確認中.
    Status.DONE: {Status.CHECKING},
    Status.REJECTED: {Status.CHECKING},
    Status.DUPLICATE: {Status.CHECKING},
}


def action_name(status: str) -> str:
    """The table's action that leads to ``status``."""
    return f"to_{status}"


def _change_status(target: str) -> Any:
    def run(report: RoadReport, *, ctx: AuditContext, **params: Any) -> Any:
        from .services import report_change_status

        return report_change_status(report=report, to=target, ctx=ctx, **params)

    return run


WORKFLOW = Workflow(
    name="report",
    model=RoadReport,
    states={status: State(Status(status).label, final=info.type != OPEN) for status, info in STATUS_INFO.items()},
    actions=tuple(
        Action(
            name=action_name(target),
            label=Status(target).label,
            permission=Perm.TRIAGE_ROAD_REPORTS,
            service=_change_status(target),
            sources=frozenset(source for source, targets in TRANSITIONS.items() if target in targets),
            target=target,
            page=False,  # the report page's one status form (roads:change_status) serves them all
            api_url_name="-",
        )
        for target in Status.values
        if any(target in targets for targets in TRANSITIONS.values())  # nothing leads back to 受付
    ),
    detail_url="roads:detail",
)
assert WORKFLOW.transitions() == TRANSITIONS, "the actions' sources must say what TRANSITIONS says"


def status_type(status: str) -> str:
    return STATUS_INFO[status].type


def resident_label(status: str) -> str:
    return str(STATUS_INFO[status].resident_label)


def allowed_transitions(status: str) -> list[str]:
    """The statuses a report in ``status`` may move to, in the statuses' order (the form's choices)."""
    return [s for s in Status.values if s in TRANSITIONS.get(status, set())]
