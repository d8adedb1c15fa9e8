"""The booking table (intake/bulky/workflow.py): states in staff's words, the transitions,
and 収集済 only from 確認済 — refused (and audited as refused) from 申込 on the page and in the
API alike, with nothing changed."""

import pytest

from accounts.models import AuditEntry
from intake.bulky.models import Booking, BookingEvent
from intake.bulky.workflow import WORKFLOW
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.bulky import bookable_date

S = Booking.Status


def test_the_table_names_the_states_and_transitions():
    assert {k: str(v.label) for k, v in WORKFLOW.states.items()} == {
        "submitted": "申込",
        "confirmed": "確認済",
        "collected": "収集済",
        "rejected": "却下",
        "cancelled": "キャンセル",
    }
    assert WORKFLOW.transitions() == {
        "submitted": {"confirmed", "rejected", "cancelled"},
        "confirmed": {"collected", "rejected", "cancelled"},
        "collected": set(),
        "rejected": set(),
        "cancelled": set(),
    }
    assert all(WORKFLOW.states[s].final for s in ("collected", "rejected", "cancelled"))
    assert WORKFLOW.sources("collect") == {"confirmed"}
    assert [a.page_name for a in WORKFLOW.actions] == [
        f"booking-{n}" for n in ("approve", "reject", "reschedule", "collect", "cancel", "note")
    ]


@pytest.fixture
def submitted(bulky_setup, open_booking_page) -> Booking:
    page = open_booking_page(user_id_for("table"))
    form = page.form(area=bulky_setup.chuo.pk, collection_date=bookable_date(6).isoformat(), items={bulky_setup.chair: 1})
    assert page.book(form).status_code == 302
    return Booking.objects.get()


def test_collected_only_from_confirmed_page_and_api(submitted, waste_client):
    page = waste_client.get(f"/bulky/bookings/{submitted.pk}/").content.decode()
    assert "確認済にする" in page and "収集済にする" not in page  # the page offers what the table allows

    response = waste_client.post(f"/bulky/bookings/{submitted.pk}/collect/", follow=True)
    assert "確認済の申込だけ収集済にできます" in response.content.decode()
    response = waste_client.post(f"/bulky/api/bookings/{submitted.pk}/collect/")
    assert response.status_code == 409 and "確認済の申込だけ収集済にできます" in response.json()["detail"]
    assert response.json()["code"] == "invalid_state"
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
    assert not BookingEvent.objects.filter(booking=submitted, kind="collected").exists()
    refused = AuditEntry.objects.filter(action="bulky.booking_collected", target_id=str(submitted.pk))
    assert sorted((e.detail["via"], e.detail["result"]) for e in refused) == [("api", "refused"), ("page", "refused")]

    waste_client.post(f"/bulky/bookings/{submitted.pk}/approve/")
    page = waste_client.get(f"/bulky/bookings/{submitted.pk}/").content.decode()
    assert "収集済にする" in page and "確認済にする" not in page
    response = waste_client.post(f"/bulky/api/bookings/{submitted.pk}/collect/")
    assert response.status_code == 200 and response.json()["status"] == "collected"
    page = waste_client.get(f"/bulky/bookings/{submitted.pk}/").content.decode()
    assert "対応</h2>" not in page  # a final state offers no action (only メモ)


def test_an_action_form_refused_names_the_missing_input_in_the_api(submitted, waste_client):
    response = waste_client.post(f"/bulky/api/bookings/{submitted.pk}/reject/", {}, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"] == ["却下の理由を入力してください。"]
    response = waste_client.post(
        f"/bulky/api/bookings/{submitted.pk}/reschedule/", {"new_date": 20270101}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["detail"] == ["新しい収集日を選んでください。"]
    submitted.refresh_from_db()
    assert submitted.status == S.SUBMITTED
