"""What the auditor's checks (test_sweep.py, test_no_personal_data_survives.py) share: a
resident leaving personal data through the public surfaces (the 通報 chat, the booking page),
the files kept for residents, and every beat job run by name as a worker runs it."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings as django_settings

from portal.celery import app as celery_app
from tests.fixtures.bulky import bookable_date
from tests.fixtures.commit import committed
from tests.roads.helpers import pb, start_to_photos


def report_by_chat(line_resident, user: str, category, *, photos: list[bytes], typed_place: str, comment: str) -> list:
    """A road report through the chat with ``photos``, a typed place and a comment; returns
    the photos' LINE message IDs."""
    start_to_photos(line_resident, user, category)
    message_ids = [line_resident.image(user, body=body) for body in photos]
    line_resident.postback(user, pb("photos", "next"))
    line_resident.postback(user, pb("place", "address"))
    line_resident.text(user, typed_place)
    line_resident.text(user, comment)
    line_resident.postback(user, pb("confirm", "yes"))
    return message_ids


def book_a_chair(open_booking_page, user: str, area, chair, *, address: str, phone: str):
    """A bulky booking a week ahead with ``address`` and ``phone``, through the booking page;
    returns the page (a BookingResident)."""
    page = open_booking_page(user)
    form = page.form(area=area.pk, collection_date=bookable_date(7).isoformat(), address=address, phone=phone, items={chair: 1})
    assert page.book(form).status_code == 302
    return page


def resident_files(settings) -> list:
    """Every file under the media roots but the broadcasts' own images."""
    roots = (settings.PRIVATE_MEDIA_ROOT, settings.MEDIA_ROOT)
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file() and "broadcasts" not in p.parts]


def load_every_task_module() -> None:
    """Every app's tasks module, as the worker loads them."""
    import importlib
    import importlib.util

    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks"):
            importlib.import_module(f"{config.name}.tasks")


def run_every_beat_job() -> None:
    """Each task in CELERY_BEAT_SCHEDULE by name (an unknown name fails), its errors raised."""
    for name, entry in django_settings.CELERY_BEAT_SCHEDULE.items():
        task = celery_app.tasks.get(entry["task"])
        assert task is not None, f"beat entry {name} names an unknown task {entry['task']}"
        with committed():  # as a worker runs it: its transaction commits
            task.apply(args=entry.get("args", ()), kwargs=entry.get("kwargs", {}), throw=True)
