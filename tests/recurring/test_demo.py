"""`make run`'s demo has an approved 燃えるごみ series, each ward on its own days."""

import pytest

from accounts import roles
from broadcasts.recurring.demo import load_demo
from broadcasts.recurring.models import Series

pytestmark = pytest.mark.django_db


def test_demo_has_an_approved_burnable_series_with_per_ward_days(make_staff):
    from portal.line.models import Area

    make_staff(roles.PR_AUTHOR, email="pr@city.example.jp")
    make_staff(roles.PR_APPROVER, email="approver@city.example.jp")
    Area.objects.create(code="higashi", name="東区", order=0)
    Area.objects.create(code="hakata", name="博多区", order=1)
    said: list[str] = []
    load_demo(said.append)
    burnable = Series.objects.get(title="燃えるごみの日のお知らせ")
    assert burnable.status == Series.Status.ACTIVE and burnable.approver.email == "approver@city.example.jp"
    days = {s.area.name: s.weekdays for s in burnable.schedules.select_related("area")}
    assert days == {"東区": [0, 3], "博多区": [1, 4]}
    assert Series.objects.get(title="びん・ペットボトルの日のお知らせ").status == Series.Status.PENDING
    load_demo(said.append)
    assert Series.objects.count() == 2 and said[-1] == "recurring: already there"
