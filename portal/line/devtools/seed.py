"""Synthetic residents at scale (``manage.py seed_demo --subscribers N``): realistic
distributions over age bands, areas (by ward population) and interests (age-dependent).
PostgreSQL gets COPY; other databases get ``bulk_create`` in batches."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from portal.line.models import AgeBand, Area, Interest, Resident

from .emulator import fake_display_name

# Share of LINE friends by age band (a municipal account skews to 30–59).
AGE_WEIGHTS = {
    "0-14": 1,
    "15-19": 3,
    "20-24": 6,
    "25-29": 8,
    "30-34": 10,
    "35-39": 12,
    "40-44": 13,
    "45-49": 13,
    "50+": 34,
}
# Fukuoka's wards, by population (thousands).
AREA_WEIGHTS = {"higashi": 320, "hakata": 240, "chuo": 200, "minami": 260, "jonan": 130, "sawara": 220, "nishi": 210}
# Base probability of each interest; 子育て depends on age.
INTEREST_P = {"bousai": 0.45, "event": 0.35, "kenko": 0.3, "fukushi": 0.15, "sports": 0.18, "kankyo": 0.12, "kanko": 0.2}
KOSODATE_BY_AGE = {"25-29": 0.35, "30-34": 0.6, "35-39": 0.6, "40-44": 0.45, "45-49": 0.2}

COLUMNS = [
    "line_user_id",
    "display_name",
    "status",
    "segment_opt_out",
    "age_band",
    "area_id",
    "interest_bits",
    "consented_at",
    "followed_at",
    "blocked_at",
    "purged_at",
    "created_at",
]


def _rows(count: int, rng: random.Random, tag: int) -> list[tuple]:
    areas = {a.code: a.pk for a in Area.objects.filter(is_active=True)}
    area_codes = [c for c in AREA_WEIGHTS if c in areas] or list(areas)
    area_weights = [AREA_WEIGHTS.get(c, 100) for c in area_codes]
    interests = {i.code: i.mask for i in Interest.objects.filter(is_active=True)}
    bands = list(AGE_WEIGHTS)
    band_weights = list(AGE_WEIGHTS.values())
    valid_bands = {v for v, _label in AgeBand.choices}
    bands = [b for b in bands if b in valid_bands]
    now = timezone.now()
    ages = rng.choices(bands, weights=band_weights[: len(bands)], k=count)
    area_picks: list[Any] = rng.choices(area_codes, weights=area_weights, k=count) if area_codes else [None] * count
    base_p = [(interests[c], p) for c, p in INTEREST_P.items() if c in interests]
    kosodate = interests.get("kosodate")
    random_ = rng.random
    rows = []
    for i in range(count):
        age = ages[i]
        consented = random_() < 0.8
        bits = 0
        if consented:
            for mask, p in base_p:
                if random_() < p:
                    bits |= mask
            if kosodate and random_() < KOSODATE_BY_AGE.get(age, 0.03):
                bits |= kosodate
        blocked = random_() < 0.07
        followed = now - timedelta(days=int(random_() * 1500))
        user_id = f"U{tag:08x}{i:024x}"
        rows.append(
            (
                user_id,
                fake_display_name(user_id),
                Resident.Status.BLOCKED if blocked else Resident.Status.ACTIVE,
                random_() < 0.04,
                age if consented else "",
                areas.get(area_picks[i]) if consented and area_picks[i] else None,
                bits,
                followed if consented else None,
                followed,
                followed + timedelta(days=int(random_() * 30)) if blocked else None,
                None,
                now,
            )
        )
    return rows


def seed_residents(
    *,
    count: int,
    only_if_fewer: bool = False,
    batch_size: int = 20000,
    seed: int | None = None,
    say: Callable[[str], None] | None = None,
) -> int:
    """Add ``count`` synthetic residents (``only_if_fewer``: only up to ``count`` in all).
    Their user IDs are valid LINE user IDs (``U`` + 32 lower-case hex digits: a random
    8-digit run tag, then a counter)."""
    if only_if_fewer:
        count = max(0, count - Resident.objects.count())
    if count <= 0:
        return 0
    rng = random.Random(seed)
    tag = int.from_bytes(os.urandom(4), "big") if seed is None else seed & 0xFFFFFFFF
    made = 0
    use_copy = connection.vendor == "postgresql"
    while made < count:
        n = min(batch_size, count - made)
        rows = _rows(n, rng, tag)
        # user ids must differ between batches of one run
        rows = [(f"U{tag:08x}{made + i:024x}", *row[1:]) for i, row in enumerate(rows)]
        with transaction.atomic():
            if use_copy:
                _copy(rows)
            else:
                Resident.objects.bulk_create([Resident(**dict(zip(COLUMNS, row, strict=True))) for row in rows], batch_size=2000)
        made += n
        if say:
            say(f"{made}/{count}")
    return made


def _copy(rows: list[tuple]) -> None:
    table = Resident._meta.db_table
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg 3
        with raw.copy(f"COPY {table} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)


# Answers to the demo's admin-defined dimensions (devtools/demo.py DEMO_DIMENSIONS), of
# residents who consented: 性別 (most answer), 子どもの年代 by the resident's age band
# (several children possible), 校区 among the districts of the resident's ward.
GENDER_P = {"女性": 0.5, "男性": 0.41, "その他": 0.01, "回答しない": 0.05}  # the rest skip
CHILDREN_BY_AGE = {"20-24": 0.12, "25-29": 0.35, "30-34": 0.6, "35-39": 0.65, "40-44": 0.55, "45-49": 0.35, "50+": 0.08}
CHILD_STAGES_BY_AGE = {
    "20-24": ["妊娠中", "0〜2歳", "3〜5歳"],
    "25-29": ["妊娠中", "0〜2歳", "3〜5歳", "小学生"],
    "30-34": ["妊娠中", "0〜2歳", "3〜5歳", "小学生"],
    "35-39": ["0〜2歳", "3〜5歳", "小学生", "中学生"],
    "40-44": ["3〜5歳", "小学生", "中学生", "高校生"],
    "45-49": ["小学生", "中学生", "高校生"],
    "50+": ["中学生", "高校生"],
}
DISTRICT_P = 0.6
ANSWER_COLUMNS = ["resident_id", "dimension_id", "option_id", "answered_at"]


def seed_answers(*, only_unanswered: bool = False, seed: int | None = None, say: Callable[[str], None] | None = None) -> int:
    """Answers of every consented resident to 性別, 子どもの年代 and 校区 (the demo's
    dimensions, when loaded); ``only_unanswered``: nothing when any answer exists."""
    from portal.line.models import Dimension, DimensionOption, ResidentAnswer

    from .demo import DEMO_DISTRICT_AREAS

    if only_unanswered and ResidentAnswer.objects.exists():
        return 0
    dims = {d.name: d for d in Dimension.objects.filter(builtin="", name__in=["性別", "子どもの年代", "校区"])}
    if not dims:
        return 0
    options: dict[str, dict[str, int]] = {name: {} for name in dims}
    for dim_name, label, pk in DimensionOption.objects.filter(dimension__in=dims.values()).values_list(
        "dimension__name", "label", "pk"
    ):
        options[dim_name][label] = pk
    area_codes = dict(Area.objects.values_list("pk", "code"))
    districts: dict[str, list[int]] = {}
    for label, code in DEMO_DISTRICT_AREAS.items():
        if label in options.get("校区", {}):
            districts.setdefault(code, []).append(options["校区"][label])
    rng = random.Random(seed)
    now = timezone.now()
    gender = [(options["性別"][label], p) for label, p in GENDER_P.items() if "性別" in dims and label in options["性別"]]
    made = 0
    use_copy = connection.vendor == "postgresql"
    rows: list[tuple] = []

    def flush() -> None:
        nonlocal rows, made
        if not rows:
            return
        with transaction.atomic():
            if use_copy:
                table = ResidentAnswer._meta.db_table
                with (
                    connection.cursor() as cursor,
                    cursor.cursor.copy(f"COPY {table} ({', '.join(ANSWER_COLUMNS)}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)
            else:
                ResidentAnswer.objects.bulk_create(
                    [ResidentAnswer(**dict(zip(ANSWER_COLUMNS, r, strict=True))) for r in rows], batch_size=2000
                )
        made += len(rows)
        rows = []
        if say:
            say(f"{made} answers")

    residents = Resident.objects.filter(consented_at__isnull=False).order_by("pk").values_list("pk", "age_band", "area_id")
    last = 0
    while True:
        chunk = list(residents.filter(pk__gt=last)[:20000])  # keyset pages: no cursor open across the COPYs
        if not chunk:
            break
        last = chunk[-1][0]
        _answers_of(chunk, rows, rng, dims, options, districts, area_codes, gender, now)
        if len(rows) >= 50000:
            flush()
    flush()
    return made


def _answers_of(
    chunk: list,
    rows: list,
    rng: random.Random,
    dims: dict,
    options: dict,
    districts: dict,
    area_codes: dict,
    gender: list,
    now: object,
) -> None:
    random_ = rng.random
    for pk, age, area_id in chunk:
        if gender:
            roll, acc = random_(), 0.0
            for option_id, p in gender:
                acc += p
                if roll < acc:
                    rows.append((pk, dims["性別"].pk, option_id, now))
                    break
        if "子どもの年代" in dims and random_() < CHILDREN_BY_AGE.get(age, 0.0):
            stages = CHILD_STAGES_BY_AGE[age]
            chosen = {rng.choice(stages)}
            if random_() < 0.35:
                chosen.add(rng.choice(stages))  # a second child
            for label in chosen:
                rows.append((pk, dims["子どもの年代"].pk, options["子どもの年代"][label], now))
        near = districts.get(area_codes.get(area_id, ""), [])
        if near and random_() < DISTRICT_P:
            rows.append((pk, dims["校区"].pk, rng.choice(near), now))
