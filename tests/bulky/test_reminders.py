"""The day-before reminder goes out exactly once per booking, even when the job runs twice."""

from intake.bulky import tasks
from intake.bulky.models import Booking
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.bulky import bookable_date


def test_reminder_goes_out_once(bulky_setup, open_booking_page, line_emulator, waste_client, run_on_commit):
    def book(user_id: str, days: int) -> Booking:
        page = open_booking_page(user_id)
        form = page.form(area=bulky_setup.chuo.pk, collection_date=bookable_date(days).isoformat(), items={bulky_setup.sofa: 1})
        page.book(form)
        return Booking.objects.latest("pk")

    due = book(user_id_for("remind-1"), 5)
    cancelled = book(user_id_for("remind-2"), 5)
    later = book(user_id_for("remind-3"), 6)
    waste_client.post(f"/bulky/bookings/{cancelled.pk}/cancel/")

    def reminders(user_id: str) -> list[str]:
        return [t for t in line_emulator.received_texts(user_id) if t.startswith("明日は粗大ごみの収集日です")]

    day = bookable_date(5).isoformat()
    with run_on_commit():  # each job run commits
        assert tasks.send_reminders.delay(day).get() == 1
    with run_on_commit():
        tasks.send_reminders.delay(day).get()  # the beat job ran twice
    assert len(reminders(user_id_for("remind-1"))) == 1
    assert "朝8時までに" in reminders(user_id_for("remind-1"))[0] and due.number in reminders(user_id_for("remind-1"))[0]
    assert reminders(user_id_for("remind-2")) == [] and reminders(user_id_for("remind-3")) == []
    assert len([r for r in line_emulator.requests("push") if "明日は" in str(r["body"])]) == 1
    assert later.status == Booking.Status.SUBMITTED


def test_beat_schedule_runs_the_reminder_job(settings):
    assert settings.CELERY_BEAT_SCHEDULE["bulky-reminders"]["task"] == "bulky.send_reminders"


def test_personal_data_is_blanked_after_the_retention_period(bulky_setup, open_booking_page, waste_client):
    import datetime as dt

    import time_machine

    from intake.bulky.selectors import today

    page = open_booking_page(user_id_for("retention"))
    form = page.form(area=bulky_setup.chuo.pk, collection_date=bookable_date(5).isoformat(), items={bulky_setup.chair: 1})
    page.book(form)
    booking = Booking.objects.get()
    waste_client.post(f"/bulky/bookings/{booking.pk}/collect/")
    assert tasks.purge_personal_data.delay().get()["bookings"] == 0
    with time_machine.travel(today() + dt.timedelta(days=5 + 181), tick=False):
        assert tasks.purge_personal_data.delay().get()["bookings"] == 1
    booking.refresh_from_db()
    assert booking.address == "" and booking.phone == "" and booking.personal_data_purged_at
    assert booking.number and booking.total_fee_yen == 500  # the record itself stays
    assert settings_has_job("portal-purge-personal-data")  # the registry's hourly job runs this store


def settings_has_job(name: str) -> bool:
    from django.conf import settings

    return name in settings.CELERY_BEAT_SCHEDULE
