"""The bulky-garbage booking table: a booking's states, the transitions between them and the
waste desk's actions on a booking (permission, service, what staff are told).

States as the staff pages show them::

    申込 ──確認済にする──▶ 確認済 ──収集済にする──▶ 収集済
     │                     │
     ├──却下する───────────┼──▶ 却下
     └──取り消す───────────┴──▶ キャンセル      (the resident may cancel too, until the deadline)

収集日を変更する and メモを追加 keep the state. 収集済 starts only from 確認済: the desk reviews a
申込 (and the resident is told it is confirmed) before a crew's collection is recorded; the
booking page offers 収集済にする only on a 確認済 booking, and a 申込 is refused with the
reason. The services ask this table (``WORKFLOW.require``) under the booking's row lock;
the page buttons and the API endpoints (``page_urls`` / ``api_urls`` in urls.py) come from
the actions below, each with its permission declared once.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django.utils.translation import gettext_lazy as _

from accounts.roles import Perm
from portal.context import AuditContext
from portal.workflow import Action, State, Workflow, shared_rows

from . import forms, services
from .models import Booking
from .serializers import BookingDetailSerializer

S = Booking.Status
ACTIVE = frozenset(Booking.ACTIVE_STATUSES)

STATES = {
    S.SUBMITTED: State(S.SUBMITTED.label, description=_("住民が申し込み、まだ確認していない")),
    S.CONFIRMED: State(S.CONFIRMED.label, description=_("職員が確認し、住民に通知した")),
    S.COLLECTED: State(S.COLLECTED.label, final=True),
    S.REJECTED: State(S.REJECTED.label, final=True),
    S.CANCELLED: State(S.CANCELLED.label, final=True),
}

REVIEW = Perm.REVIEW_BULKY_BOOKINGS
# The waste desk's actions: one permission, URLs named booking-<action> / api-booking-<action>.
_action = shared_rows(REVIEW, url_name="booking-{name}", api_url_name="api-booking-{name}")


def _audit(action: Action, booking: Booking, ctx: AuditContext, params: dict[str, Any], *, via: str, done: bool) -> None:
    """Every attempt is audited, done or refused: the answer shows the booking's personal data."""
    from .audit import record_booking_action

    detail = {}
    if "new_date" in params:
        detail = {"from": booking.collection_date.isoformat(), "to": params["new_date"].isoformat()}
    record_booking_action(ctx=ctx, booking=booking, action=action.name, via=via, done=done, detail=detail)


WORKFLOW = Workflow(
    name="booking",
    model=Booking,
    states=STATES,
    actions=(
        _action(
            "approve",
            _("確認済にする"),
            services.booking_approve,
            _("確認済にし、住民にLINEで通知しました。"),
            sources=frozenset({S.SUBMITTED}),
            target=S.CONFIRMED,
            refused=_("申込状態の申込だけ確認済にできます。"),
        ),
        _action(
            "reject",
            _("却下する"),
            services.booking_reject,
            _("却下し、住民にLINEで通知しました。"),
            sources=ACTIVE,
            target=S.REJECTED,
            params=forms.RejectForm,
        ),
        _action(
            "reschedule",
            _("収集日を変更する"),
            services.booking_reschedule,
            _("収集日を変更し、住民にLINEで通知しました。"),
            sources=ACTIVE,
            params=forms.RescheduleForm,
        ),
        _action(
            "collect",
            _("収集済にする"),
            services.booking_mark_collected,
            _("収集済にしました。"),
            sources=frozenset({S.CONFIRMED}),
            target=S.COLLECTED,
            refused=_("確認済の申込だけ収集済にできます（申込はまず確認済にしてください）。"),
        ),
        _action(
            "cancel",
            _("申込を取り消す"),
            partial(services.booking_cancel, by_resident=False),
            _("申込を取り消し、住民にLINEで通知しました。"),
            sources=ACTIVE,
            target=S.CANCELLED,
            refused=_("この申込はすでに取消または処理済みのため、取り消せません。"),
        ),
        _action("note", _("メモを追加"), services.booking_add_note, _("メモを追加しました。"), params=forms.NoteForm),
    ),
    detail_url="bulky:booking",
    queryset=lambda: Booking.objects.select_related("area__area").prefetch_related("lines__item"),
    serializer=BookingDetailSerializer,
    refused=_("この申込はすでに取消または処理済みです。"),
    conflict=services.BookingError,
    audit=_audit,
)
