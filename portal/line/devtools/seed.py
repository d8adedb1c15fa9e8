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
