"""The retention beat job runs every registered store's purge with its own cut-off, and audits it."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from accounts.models import AuditEntry
from portal import retention
from portal.tasks import purge_personal_data

pytestmark = pytest.mark.django_db


def test_purge_job_runs_each_store_with_its_cutoff_and_audits_counts():
    seen: list[dt.datetime] = []

    def purge(cutoff: dt.datetime) -> dict[str, int]:
        seen.append(cutoff)
        return {"rows": 3}

    store = retention.Store(key="zz.test", label="テスト", holds="", action="", period_days=lambda: 10, purge=purge)
    retention.register(store)
    try:
        with time_machine.travel(dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.UTC), tick=False):
            result = purge_personal_data.apply().get()
            assert seen == [timezone.now() - dt.timedelta(days=10)]
    finally:
        retention._STORES.pop("zz.test")
    assert result["zz.test"] == {"rows": 3}
    entry = AuditEntry.objects.get(action="retention.purged", target_id="zz.test")
    assert entry.detail["rows"] == "1〜49" and entry.detail["period_days"] == 10


def test_purge_audit_entries_never_carry_an_exact_small_count_of_residents():
    counts = iter([0, 7, 1234])
    store = retention.Store(
        key="zz.count", label="テスト", holds="", action="", period_days=lambda: 1, purge=lambda cutoff: {"rows": next(counts)}
    )
    retention.register(store)
    try:
        shown = [purge_personal_data.apply().get()["zz.count"]["rows"] for _ in range(3)]
    finally:
        retention._STORES.pop("zz.count")
    assert shown == [0, 7, 1234]  # the job itself knows
    logged = [e.detail["rows"] for e in AuditEntry.objects.filter(target_id="zz.count").order_by("id")]
    assert logged == [0, "1〜49", 1230]
