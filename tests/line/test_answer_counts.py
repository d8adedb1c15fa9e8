"""The exact count with admin-defined dimensions (``residents.count_in_segment`` with
``dimension_options``: a sum over the cells the database keeps of the residents' answers)
equals a count of the residents themselves (``residents.in_segment``, one semi-join per
dimension on the answers) for every filter, after every kind of change once the cells were
built: answers changed or withdrawn, an option or a whole dimension deleted, a freed bit
given to a new option, more options than bits, blocking, 配信停止, a re-follow, the
retention purge, bulk and raw-SQL writes; before and after compaction; inside an open
transaction; and (PostgreSQL) with concurrent writers."""

import random
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from portal.line import registry, residents, services
from portal.line.devtools.demo import dimensions_load_demo, segments_load_demo
from portal.line.devtools.seed import seed_answers, seed_residents
from portal.line.models import (
    ANSWER_BITS,
    AgeBand,
    AnswerCount,
    AnswerCountBase,
    Area,
    Dimension,
    DimensionOption,
    Interest,
    Resident,
    ResidentAnswer,
)
from portal.line.retention import residents_purge_blocked
from tests.fixtures.threads import race


def _filters(rng: random.Random, option_ids: dict[int, list[int]], n: int = 120) -> list[dict]:
    """Random segments, each with one to three dimension conditions (``option_ids``: every
    option id a dimension ever had, so deleted ones are named too, as a stored broadcast
    may); a few without age, area or interests at all."""
    bands = [*AgeBand.values, ""]
    areas = list(Area.objects.values_list("pk", flat=True))
    interests = list(Interest.objects.values_list("pk", flat=True))
    dims = sorted(option_ids.items())
    found = []
    for i in range(n):
        chosen = rng.sample(dims, rng.randint(1, min(3, len(dims))))
        broad = i % 4 == 0
        found.append(
            {
                "age_bands": [] if broad else rng.sample(bands, rng.randint(0, 3)),
                "area_ids": [] if broad else rng.sample(areas, rng.randint(0, 2)),
                "interest_ids": [] if broad else rng.sample(interests, rng.randint(0, 2)),
                "dimension_options": [rng.sample(ids, rng.randint(1, min(3, len(ids)))) for _dim, ids in chosen],
            }
        )
    return found


def _assert_exact(filters: list[dict]) -> None:
    matched = 0
    for f in filters:
        scanned = residents.in_segment(**f).count()
        assert residents.count_in_segment(**f) == scanned, f
        matched += scanned > 0
    assert matched >= len(filters) // 6  # the filters do select residents (not only a comparison of zeros)


def _options_by_dimension() -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for dim_id, pk in DimensionOption.objects.values_list("dimension_id", "pk"):
        found.setdefault(dim_id, []).append(pk)
    return found


@pytest.fixture
def world(db):
    segments_load_demo()
    dimensions_load_demo()
    seed_residents(count=500, seed=21)
    seed_answers(seed=21)
    rng = random.Random(7)
    option_ids = _options_by_dimension()
    return rng, option_ids


def test_the_cells_count_what_a_scan_counts_and_are_what_is_read(world):
    rng, option_ids = world
    filters = _filters(rng, option_ids)
    assert ResidentAnswer.objects.count() > 500 and AnswerCount.objects.exists()
    assert not DimensionOption.objects.filter(bit__isnull=True).exists()  # 20 options: each has a bit
    _assert_exact(filters)
    # The count is the cells' (not a scan): without them, a dimension filter counts no one.
    gender = Dimension.objects.get(name="性別")
    everyone_answered = residents.count_in_segment(dimension_options=[option_ids[gender.pk]])
    assert everyone_answered > 300
    residents.counts_compact()  # one generation of compacted cells, counted from memory from now on
    assert AnswerCountBase.objects.get().cells == AnswerCount.objects.count()
    _assert_exact(filters)
    AnswerCount.objects.all().delete()
    AnswerCountBase.objects.all().delete()
    assert residents.count_in_segment(dimension_options=[option_ids[gender.pk]]) == 0


def test_the_counts_follow_every_kind_of_change(world):
    rng, option_ids = world
    filters = _filters(rng, option_ids)
    _assert_exact(filters)
    people = list(Resident.objects.order_by("pk"))
    dims = {d.name: d for d in Dimension.objects.filter(builtin="")}
    # Answers changed, widened and withdrawn, as 受信設定 writes them.
    for resident in rng.sample(people, 80):
        dim = rng.choice(list(dims.values()))
        ids = option_ids[dim.pk]
        services.answers_replace(resident=resident, dimension=dim, option_ids=rng.sample(ids, rng.randint(0, 3)))
    _assert_exact(filters)
    # An answer row moved to another option or another resident (an UPDATE of the answers).
    children = option_ids[dims["子どもの年代"].pk]
    moved = ResidentAnswer.objects.filter(option_id=children[0]).order_by("pk")[:10]
    ResidentAnswer.objects.filter(pk__in=[a.pk for a in moved]).exclude(resident__answers__option_id=children[5]).update(
        option_id=children[5]
    )
    answer = ResidentAnswer.objects.filter(option_id__in=children).order_by("pk").first()
    stranger = Resident.objects.exclude(answers__dimension=dims["子どもの年代"]).order_by("pk").first()
    ResidentAnswer.objects.filter(pk=answer.pk).update(resident=stranger)
    _assert_exact(filters)
    # Blocking, 配信停止, a re-follow, residents deleted, new residents answering in bulk.
    for resident in people[:15]:
        registry.resident_block(line_user_id=resident.line_user_id)
    Resident.objects.filter(pk__in=[p.pk for p in people[15:25]]).update(segment_opt_out=True)
    _assert_exact(filters)
    for resident in people[:5]:
        Resident.objects.filter(pk=resident.pk).update(status=Resident.Status.ACTIVE)  # as a re-follow writes it
    Resident.objects.filter(pk__in=[p.pk for p in people[15:20]]).update(segment_opt_out=False)
    Resident.objects.filter(pk__in=[p.pk for p in people[30:36]]).delete()
    new = Resident.objects.bulk_create(
        [Resident(line_user_id=f"U{n:032x}", age_band="40-44", area=people[40].area) for n in range(12)]
    )
    ResidentAnswer.objects.bulk_create(
        [ResidentAnswer(resident=r, dimension=dims["子どもの年代"], option_id=children[n % 6]) for n, r in enumerate(new)]
        + [ResidentAnswer(resident=r, dimension=dims["子どもの年代"], option_id=children[(n + 2) % 6]) for n, r in enumerate(new)]
    )
    with connection.cursor() as cursor:  # set-based writes, as the retention purge and the benches do
        pks = [p.pk for p in people[50:70]]
        cursor.execute(f"UPDATE line_resident SET area_id = NULL WHERE id IN ({', '.join(['%s'] * len(pks))})", pks)  # noqa: S608 - placeholders only
    _assert_exact(filters)
    residents.counts_compact()
    _assert_exact(filters)

    # An option deleted (its answers go with it), then a whole dimension; the freed bits are
    # given to new options, which residents then choose: no one counts for what they never chose.
    district = DimensionOption.objects.filter(dimension=dims["校区"]).order_by("pk").first()
    freed = {district.bit}
    district.delete()
    _assert_exact(filters)
    freed |= set(DimensionOption.objects.filter(dimension=dims["子どもの年代"]).values_list("bit", flat=True))
    dims["子どもの年代"].delete()
    assert not ResidentAnswer.objects.filter(dimension_id=dims["子どもの年代"].pk).exists()
    _assert_exact(filters)
    hobby = Dimension.objects.create(name="趣味", kind=Dimension.Kind.MULTIPLE)
    added = [DimensionOption.objects.create(dimension=hobby, label=f"趣味{n}", order=n) for n in range(4)]
    assert {o.bit for o in DimensionOption.objects.filter(dimension=hobby)} <= freed  # the lowest free bits
    for resident in rng.sample(list(Resident.objects.all()), 60):
        services.answers_replace(resident=resident, dimension=hobby, option_ids=[o.pk for o in rng.sample(added, 2)])
    option_ids[hobby.pk] = [o.pk for o in added]
    filters += _filters(random.Random(8), option_ids, n=60)
    _assert_exact(filters)

    # The retention purge (answers of long-blocked residents deleted, their row blanked).
    Resident.objects.filter(pk__in=[p.pk for p in people[100:130]]).update(
        status=Resident.Status.BLOCKED, blocked_at=timezone.now() - timedelta(days=400)
    )
    residents_purge_blocked(timezone.now() - timedelta(days=90))
    _assert_exact(filters)
    residents.counts_compact()
    _assert_exact(filters)
    # A bit never moves once given: the instance created above (which never saw its bit) is
    # saved again, and an update tries to take the bit away.
    option = added[0]
    bit = DimensionOption.objects.get(pk=option.pk).bit
    assert option.bit is None and bit is not None
    option.label = "趣味（改）"
    option.save()
    DimensionOption.objects.filter(pk=option.pk).update(bit=None)
    assert DimensionOption.objects.get(pk=option.pk).bit == bit
    _assert_exact(filters)


def test_counts_inside_an_open_transaction_see_its_own_writes(world):
    rng, option_ids = world
    filters = _filters(rng, option_ids, n=40)
    gender = Dimension.objects.get(name="性別")
    women = DimensionOption.objects.get(dimension=gender, label="女性")
    before = residents.count_in_segment(dimension_options=[[women.pk]])
    with transaction.atomic():
        resident = residents.in_segment(dimension_options=[[women.pk]]).order_by("pk").first()
        services.answers_replace(resident=resident, dimension=gender, option_ids=[])
        assert residents.count_in_segment(dimension_options=[[women.pk]]) == before - 1
        _assert_exact(filters)
        transaction.set_rollback(True)
    assert residents.count_in_segment(dimension_options=[[women.pk]]) == before


def test_more_options_than_bits_are_counted_exactly_too(world):
    rng, option_ids = world
    many = Dimension.objects.create(name="関心のある施設", kind=Dimension.Kind.MULTIPLE)
    DimensionOption.objects.bulk_create(
        [DimensionOption(dimension=many, label=f"施設{n}", order=n) for n in range(ANSWER_BITS - 20 + 8)]
    )
    facilities = list(DimensionOption.objects.filter(dimension=many).order_by("pk"))
    assert sum(o.bit is None for o in facilities) == 8  # bits 0–62 all given: the last 8 have none
    assert len({o.bit for o in DimensionOption.objects.exclude(bit=None)}) == ANSWER_BITS
    for resident in Resident.objects.all():
        chosen = rng.sample(facilities, rng.randint(0, 4))
        services.answers_replace(resident=resident, dimension=many, option_ids=[o.pk for o in chosen])
    option_ids[many.pk] = [o.pk for o in facilities]
    filters = _filters(rng, option_ids, n=80)
    without_bit = [o.pk for o in facilities if o.bit is None]
    filters += [{"dimension_options": [without_bit[:2]]}, {"dimension_options": [[facilities[0].pk, without_bit[0]]]}]
    _assert_exact(filters)
    # A freed bit goes to the next new option; the options without one keep none (they are
    # counted on the residents) and stay exact after changes.
    facilities[3].delete()
    newer = DimensionOption.objects.create(dimension=many, label="施設new", order=99)
    newer.refresh_from_db()
    assert newer.bit == facilities[3].bit
    for resident in rng.sample(list(Resident.objects.all()), 50):
        services.answers_replace(resident=resident, dimension=many, option_ids=[newer.pk, without_bit[1]])
    filters.append({"dimension_options": [[newer.pk]]})
    _assert_exact(filters)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL: concurrent writers (SQLite serialises them)")
def test_concurrent_answers_and_compaction_keep_the_counts_exact(transactional_db):
    segments_load_demo()
    dimensions_load_demo()
    seed_residents(count=200, seed=5)
    seed_answers(seed=5)
    option_ids = _options_by_dimension()
    filters = _filters(random.Random(3), option_ids, n=60)
    dims = list(Dimension.objects.filter(builtin=""))
    ids = list(Resident.objects.values_list("pk", flat=True))[:20]  # few residents: writers collide on them

    def writer(offset: int) -> None:
        rng = random.Random(offset)
        for step in range(40):
            resident = Resident.objects.get(pk=rng.choice(ids))
            dim = rng.choice(dims)
            with transaction.atomic():
                if step % 6 == 0:
                    Resident.objects.filter(pk=resident.pk).update(age_band=rng.choice(AgeBand.values))
                picked = rng.sample(option_ids[dim.pk], rng.randint(0, 2))
                try:
                    with transaction.atomic():
                        services.answers_replace(resident=resident, dimension=dim, option_ids=picked)
                except IntegrityError:  # two writers inserting the same answer: one loses, as in the chat
                    pass

    def compactor(_n: int) -> None:
        for _ in range(15):
            residents.counts_compact()

    outcomes = race(lambda n: writer(n) if n < 3 else compactor(n), range(4))
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    _assert_exact(filters)
    residents.counts_compact()
    _assert_exact(filters)


def test_answers_given_in_the_chat_are_counted_exactly_through_block_and_refollow(
    admin_client, line_resident, line_emulator, demo_segments, make_residents
):
    from tests.line.test_dimensions import add_dimension

    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性", "回答しない"])
    add_dimension(admin_client, "子どもの年代", "multiple", ["0〜2歳", "小学生"])
    women, men = DimensionOption.objects.get(label="女性"), DimensionOption.objects.get(label="男性")
    baby, school = DimensionOption.objects.get(label="0〜2歳"), DimensionOption.objects.get(label="小学生")
    hakata = Area.objects.get(code="hakata")
    others = make_residents(30, area=hakata)  # answered before: bulk rows, as the seed writes them
    ResidentAnswer.objects.bulk_create(
        ResidentAnswer(resident=r, dimension=gender, option=women if n % 2 else men)
        for n, r in enumerate(Resident.objects.filter(line_user_id__in=others))
    )
    filters = [
        {"dimension_options": [[women.pk]]},
        {"dimension_options": [[men.pk]]},
        {"area_ids": [hakata.pk], "age_bands": ["30-34"], "dimension_options": [[women.pk], [baby.pk]]},
        {"dimension_options": [[baby.pk, school.pk]]},
        {"dimension_options": [[school.pk], [women.pk, men.pk]]},
    ]

    def counts() -> list[int]:
        found = [residents.count_in_segment(**f) for f in filters]
        assert found == [residents.in_segment(**f).count() for f in filters]
        return found

    assert counts() == [15, 15, 0, 0, 0]
    user = "U" + "e" * 32
    line_resident.follow(user)
    for label in ("同意する", "30〜34歳", "博多区", "防災", "完了", "女性", "0〜2歳", "小学生", "決定"):
        line_resident.tap(user, label)
    assert "受信設定を登録しました" in line_emulator.received(user)[-1]["text"]
    assert counts() == [16, 15, 1, 1, 1]
    line_resident.text(user, "受信設定")  # answers changed: 男性, only 小学生
    for label in ("30〜34歳", "博多区", "完了", "男性", "✓0〜2歳", "決定"):
        line_resident.tap(user, label)
    assert counts() == [15, 16, 0, 1, 1]
    line_resident.unfollow(user)  # blocked: counted nowhere
    assert counts() == [15, 15, 0, 0, 0]
    line_resident.follow(user, unblocked=True)  # back: the answers count again
    assert counts() == [15, 16, 0, 1, 1]
    residents.counts_compact()
    assert counts() == [15, 16, 0, 1, 1]
    assert AnswerCount.objects.filter(residents__lte=0).count() == 0


def test_the_answers_rows_are_folded_only_once_enough_have_piled_up(world, settings):
    """Each fold is a new generation every process loads again on its next count, so the
    answers' rows wait for ``LINE_ANSWER_COUNTS_COMPACT_ROWS`` of them; the count is exact
    before, while they wait and after."""
    rng, option_ids = world
    filters = _filters(rng, option_ids, n=40)
    residents.counts_compact()
    generation = AnswerCountBase.objects.get().generation
    people = list(Resident.objects.filter(answers__isnull=False).distinct().order_by("pk")[:30])
    gender = Dimension.objects.get(name="性別")
    options = list(gender.options.order_by("pk"))
    for n, resident in enumerate(people):
        services.answers_replace(resident=resident, dimension=gender, option_ids=[options[n % len(options)].pk])
    waiting = AnswerCount.objects.filter(generation=0).count()
    assert waiting > 0

    settings.LINE_ANSWER_COUNTS_COMPACT_ROWS = waiting + 1
    residents.counts_compact()
    assert AnswerCountBase.objects.get().generation == generation  # not yet: the rows wait
    assert AnswerCount.objects.filter(generation=0).count() == waiting
    _assert_exact(filters)

    settings.LINE_ANSWER_COUNTS_COMPACT_ROWS = waiting
    residents.counts_compact()
    assert AnswerCountBase.objects.get().generation != generation
    assert not AnswerCount.objects.filter(generation=0).exists()
    _assert_exact(filters)
