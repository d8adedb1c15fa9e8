"""The road-report data of the roads benchmarks (bench/triage.py, bench/export.py): the demo's
reference data, seven areas, eight road staff, and reports drawn from a seeded random
generator, bulk-inserted in batches. Needs Django set up (bench/_common.py)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

AREAS = ["東区", "博多区", "中央区", "南区", "城南区", "早良区", "西区"]
BATCH = 5000


def road_staff(*, email: str, full_name: str, password: str | None = None) -> list[Any]:
    """The reference data and areas (created when missing) and eight road staff: ``email`` and
    ``full_name`` are formatted with each one's number; ``password`` is set on new ones."""
    from django.contrib.auth.models import Group

    from accounts.models import User
    from intake.roads.demo_data import seed_reference_data
    from portal.line.models import Area

    seed_reference_data()
    for i, name in enumerate(AREAS):
        Area.objects.get_or_create(code=f"bench-{i}", defaults={"name": name, "order": i})
    staff = []
    for i in range(8):
        user, made = User.objects.get_or_create(email=email.format(i), defaults={"full_name": full_name.format(i)})
        if made and password:
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name="road"))
        staff.append(user)
    return staff


class Reports:
    """Draws reports: ``rng`` picks the category (``pick_category``), priority, team (where the
    category has none), assignee (a share ``assigned`` of reports), area and place."""

    def __init__(self, rng: random.Random, staff: list[Any], *, assigned: float) -> None:
        from intake.roads.models import Category, Status, Team
        from portal.line.models import Area

        self.rng, self.staff, self.assigned = rng, staff, assigned
        self.categories, self.teams, self.areas = list(Category.objects.all()), list(Team.objects.all()), list(Area.objects.all())
        # Mostly closed, as a city's queue is after two years.
        self.statuses = [Status.RECEIVED] * 10 + [Status.CHECKING] * 8 + [Status.PLANNED] * 5 + [Status.IN_PROGRESS] * 4
        self.statuses += [Status.DONE] * 60 + [Status.REJECTED] * 8 + [Status.DUPLICATE] * 5

    def pick_category(self) -> Any:
        return self.rng.choice(self.categories)

    def report(self, reference: str, category: Any, **fields: Any) -> Any:
        from intake.roads.models import RoadReport

        rng = self.rng
        return RoadReport(
            reference=reference,
            category=category,
            **fields,
            priority=rng.choice([1, 2, 2, 2, 3, 4]),
            team=category.team or rng.choice(self.teams),
            assignee=rng.choice(self.staff) if rng.random() < self.assigned else None,
            area=rng.choice(self.areas),
            latitude=33.55 + rng.random() * 0.1,
            longitude=130.33 + rng.random() * 0.14,
            location_source="line",
        )


def insert(reports: Iterable[Any], *, progress: Callable[[int], None] | None = None) -> None:
    """Bulk-insert ``reports`` (a generator: drawn as they go in) in batches of ``BATCH``;
    ``progress(inserted so far)`` after each full batch."""
    from intake.roads.models import RoadReport

    batch: list = []
    made = 0
    for report in reports:
        batch.append(report)
        if len(batch) == BATCH:
            RoadReport.objects.bulk_create(batch)
            made += len(batch)
            batch = []
            if progress:
                progress(made)
    if batch:
        RoadReport.objects.bulk_create(batch)
