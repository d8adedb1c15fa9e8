"""Blocked residents' personal fields are purged after the admin-set retention period."""

from datetime import timedelta

import time_machine
from django.utils import timezone

from portal.line.devtools.demo import segments_load_demo
from portal.line.models import LineSettings, Resident
from portal.line.tasks import purge_blocked_residents

USER = "U" + "f" * 32


def test_blocked_resident_is_purged_after_retention_and_not_before(line_resident, line_emulator):
    areas, _ = segments_load_demo()
    line_emulator.add_profile(USER, "城南 一郎")
    line_resident.follow(USER)
    Resident.objects.filter(line_user_id=USER).update(age_band="40-44", area=areas[4], interest_bits=3)
    line_resident.unfollow(USER)
    settings_row = LineSettings.current()
    settings_row.blocked_retention_days = 30
    settings_row.save()
    with time_machine.travel(timezone.now() + timedelta(days=29)):
        assert purge_blocked_residents.delay().get() == 0
    assert Resident.objects.get(line_user_id=USER).display_name == "城南 一郎"
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert purge_blocked_residents.delay().get() == 1
    assert not Resident.objects.filter(line_user_id=USER).exists()
    purged = Resident.objects.get(purged_at__isnull=False)
    assert (purged.display_name, purged.age_band, purged.area, purged.interest_bits) == ("", "", None, 0)
    assert purged.status == Resident.Status.BLOCKED


def test_follow_again_after_purge_starts_fresh(line_resident):
    line_resident.follow(USER)
    line_resident.unfollow(USER)
    Resident.objects.filter(line_user_id=USER).update(blocked_at=timezone.now() - timedelta(days=400))
    purge_blocked_residents.delay()
    line_resident.follow(USER)
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.status == Resident.Status.ACTIVE and resident.consented_at is None
