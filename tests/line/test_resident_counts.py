"""The exact counts of the 50-recipient check (``residents.count_in_segment``, kept by
triggers on line_resident) equal a count of the residents themselves after every kind of
write: ORM create/save/update/bulk_create/delete, the chat's 受信設定 and 配信停止, blocking,
the retention purge, raw SQL; before and after compaction; inside an open transaction."""

import random

import pytest
from django.db import connection, transaction

from portal.line import residents
from portal.line.devtools.demo import segments_load_demo
from portal.line.devtools.seed import seed_residents
from portal.line.models import AgeBand, Interest, Resident, ResidentCount
from tests.fixtures.threads import race


def _segments() -> list[dict]:
    areas = sorted(a.pk for a in segments_load_demo()[0])
    interests = sorted(Interest.objects.values_list("pk", flat=True))
    rng = random.Random(3)
    bands = list(AgeBand.values)
    found: list[dict] = [{}, {"age_bands": [""]}, {"area_ids": [areas[0]]}, {"interest_ids": interests[:1]}]
    for _ in range(25):
        found.append(
            {
                "age_bands": rng.sample(bands, rng.randint(0, 3)),
                "area_ids": rng.sample(areas, rng.randint(0, 2)),
                "interest_ids": rng.sample(interests, rng.randint(0, 3)),
            }
        )
    return found


def _assert_exact(segments: list[dict]) -> None:
    for segment in segments:
        live = residents.in_segment(**segment).count()
        assert residents.count_in_segment(**segment) == live, segment


@pytest.fixture
def segments(db) -> list[dict]:
    found = _segments()
    seed_residents(count=400, seed=11)
    return found


def test_counts_follow_every_kind_of_write(segments):
    _assert_exact(segments)
    areas = list(segments_load_demo()[0])
    interests = list(Interest.objects.all())
    people = list(Resident.objects.order_by("pk")[:60])
    # one by one, as the chat and the staff pages write
    for i, resident in enumerate(people[:20]):
        resident.age_band = AgeBand.values[i % len(AgeBand.values)]
        resident.area = areas[i % len(areas)] if i % 3 else None
        resident.interest_bits = interests[i % len(interests)].mask | (interests[0].mask if i % 2 else 0)
        resident.save()
    Resident.objects.filter(pk=people[20].pk).update(segment_opt_out=True)
    Resident.objects.filter(pk=people[21].pk).update(status=Resident.Status.BLOCKED)
    Resident.objects.filter(pk__in=[p.pk for p in people[22:30]]).update(interest_bits=0, age_band="")
    Resident.objects.filter(pk__in=[p.pk for p in people[30:35]]).delete()
    Resident.objects.create(line_user_id="U" + "c" * 32)  # a first message from a new friend
    Resident.objects.bulk_create([Resident(line_user_id=f"U{i:032x}", age_band="50+", area=areas[0]) for i in range(7)])
    Resident.objects.filter(pk=people[36].pk).update(display_name="表示名だけ")  # not a cell change
    with connection.cursor() as cursor:  # set-based, as the retention purge and the benches write
        pks = [p.pk for p in people[40:50]]
        cursor.execute(f"UPDATE line_resident SET area_id = NULL WHERE id IN ({', '.join(['%s'] * len(pks))})", pks)  # noqa: S608 - placeholders only
    _assert_exact(segments)
    assert residents.counts_compact() <= ResidentCount.objects.count()
    _assert_exact(segments)


def test_counts_inside_an_open_transaction_see_its_own_writes(segments):
    everyone = residents.count_in_segment()
    with transaction.atomic():
        Resident.objects.filter(status=Resident.Status.ACTIVE, segment_opt_out=False).order_by("pk")[:1].get().delete()
        assert residents.count_in_segment() == everyone - 1
        _assert_exact(segments)


def test_compaction_keeps_one_row_per_cell_and_the_totals(segments):
    cells = Resident.objects.filter(status=Resident.Status.ACTIVE, segment_opt_out=False).values_list(
        "age_band", "area_id", "interest_bits"
    )
    Resident.objects.update(interest_bits=5)
    Resident.objects.update(interest_bits=0)
    assert ResidentCount.objects.count() > len(set(cells))
    left = residents.counts_compact()
    assert left == len(set(cells)) == ResidentCount.objects.count()
    assert not ResidentCount.objects.filter(residents__lte=0).exists()
    _assert_exact(segments)
    assert residents.counts_compact() == left  # nothing to do: the same rows


def test_the_50_rule_counts_from_the_kept_counts(segments):
    from broadcasts.selectors import Segment, segment_reach, segment_residents

    for segment in segments:
        built = Segment.build(everyone=not segment, **segment)
        assert segment_reach(segment=built) == segment_residents(segment=built).count()  # the live count it replaces
    ResidentCount.objects.all().delete()  # the counts are what it reads (not a scan)
    assert segment_reach(segment=Segment.build(everyone=True)) == 0


def test_the_blocked_residents_purge_keeps_the_counts_exact(segments):
    from datetime import timedelta

    from django.utils import timezone

    from portal.line.retention import residents_purge_blocked

    Resident.objects.filter(pk__in=Resident.objects.order_by("pk").values("pk")[:30]).update(
        status=Resident.Status.BLOCKED, blocked_at=timezone.now() - timedelta(days=400)
    )
    residents_purge_blocked(timezone.now() - timedelta(days=90))
    _assert_exact(segments)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers (SQLite serialises them)")
def test_concurrent_writers_and_compaction_keep_the_counts_exact(transactional_db):
    segments = _segments()
    seed_residents(count=300, seed=5)
    ids = list(Resident.objects.values_list("pk", flat=True))

    def writer(offset: int) -> None:
        rng = random.Random(offset)
        for step in range(40):
            pk = rng.choice(ids)
            with transaction.atomic():
                Resident.objects.filter(pk=pk).update(
                    age_band=rng.choice(AgeBand.values), interest_bits=rng.randrange(0, 256), segment_opt_out=step % 7 == 0
                )
                if step % 5 == 0:
                    Resident.objects.create(line_user_id=f"U{offset:08x}{step:024x}")

    def compactor(_n: int) -> None:
        for _ in range(15):
            residents.counts_compact()

    outcomes = race(lambda n: writer(n) if n < 3 else compactor(n), range(4))
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    _assert_exact(segments)
    residents.counts_compact()
    _assert_exact(segments)
