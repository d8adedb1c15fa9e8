"""Celery tasks of intake.bulky (thin: call a service)."""

import datetime as dt

from celery import shared_task

from . import selectors, services


@shared_task(name="bulky.send_reminders")
def send_reminders(for_date: str | None = None) -> int:
    """The day before collection: remind every active booking (deduplicated per booking)."""
    day = dt.date.fromisoformat(for_date) if for_date else selectors.today() + dt.timedelta(days=1)
    return services.reminders_send(for_date=day)


@shared_task(name="bulky.purge_personal_data")
def purge_personal_data() -> dict[str, int]:
    """The bulky store's purge on its own (the hourly ``portal.purge_personal_data`` job runs
    it with every other store): audited with its counts like the registry's job."""
    from portal import retention

    store = next(s for s in retention.stores() if s.key == "bulky.bookings")
    return retention.purge_store(store)
