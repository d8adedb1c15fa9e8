"""Demo data of the LINE layer: Fukuoka's 7 wards, interests, and synthetic residents."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from portal.line.models import Area, AreaBoundary, Interest

AREAS = [
    ("higashi", "東区"),
    ("hakata", "博多区"),
    ("chuo", "中央区"),
    ("minami", "南区"),
    ("jonan", "城南区"),
    ("sawara", "早良区"),
    ("nishi", "西区"),
]
INTERESTS = [
    ("kosodate", "子育て"),
    ("bousai", "防災"),
    ("event", "イベント"),
    ("kenko", "健康・医療"),
    ("fukushi", "福祉"),
    ("sports", "スポーツ"),
    ("kankyo", "環境"),
    ("kanko", "観光"),
]
DEMO_RESIDENTS = 3000


def segments_load_demo() -> tuple[list[Area], list[Interest]]:
    """Areas and interests (idempotent: matched by code)."""
    areas = [
        Area.objects.update_or_create(code=code, defaults={"name": name, "order": i})[0] for i, (code, name) in enumerate(AREAS)
    ]
    interests = []
    for i, (code, name) in enumerate(INTERESTS):
        interest = Interest.objects.filter(code=code).first()
        if interest is None:
            used = set(Interest.objects.values_list("bit", flat=True))
            bit = next(b for b in range(63) if b not in used)
            interest = Interest.objects.create(code=code, name=name, bit=bit, order=i)
        interests.append(interest)
    area_boundaries_load_demo()
    return areas, interests


DEMO_BOUNDARIES = Path(__file__).with_name("demo_area_boundaries.geojson")


def area_boundaries_load_demo() -> int:
    """Rough demo boundaries for the demo areas (see the file's note: not the real wards);
    an area that already has a boundary keeps it."""
    from portal import geo

    features = json.loads(DEMO_BOUNDARIES.read_text(encoding="utf-8"))["features"]
    by_code = {a.code: a for a in Area.objects.filter(code__in=[f["properties"]["code"] for f in features])}
    made = 0
    for feature in features:
        area = by_code.get(feature["properties"]["code"])
        if area is not None and not AreaBoundary.objects.filter(area=area).exists():
            AreaBoundary.objects.create(area=area, geometry=geo.boundary_parse(feature))
            made += 1
    return made


def load_demo(say: Callable[[str], None]) -> None:
    from .seed import seed_answers, seed_residents

    areas, interests = segments_load_demo()
    dimensions = dimensions_load_demo()
    say(f"LINE: {len(areas)} areas, {len(interests)} interests, {len(dimensions)} more dimensions")
    made = seed_residents(count=DEMO_RESIDENTS, only_if_fewer=True)
    say(f"LINE: {made} synthetic residents added")
    answers = seed_answers(only_unanswered=True)
    say(f"LINE: {answers} answers to 性別, 子どもの年代, 校区 added")
    chosen = _demo_languages()
    if chosen:
        say(f"LINE: {chosen} synthetic residents chose a language other than Japanese (受信設定)")


def _demo_languages() -> int:
    """About one resident in eight chose やさしい日本語, English, 中文, 한국어 or Tiếng Việt
    (by id, so a second run changes nothing)."""
    from django.db.models import F

    from ..models import Resident

    made = 0
    for remainder, code in enumerate(("en", "zh", "vi", "ko", "ja-easy"), start=1):
        rows = Resident.objects.alias(m=F("pk") % 40).filter(m=remainder, language="")
        made += rows.update(language=code)
    return made


# The admin-defined dimensions the demo ships (Kamakura's 子どもの年代 and 校区, the GovTech
# kit's 性別): (name, kind, options, question).
DEMO_DIMENSIONS = [
    (
        "性別",
        "single",
        ["女性", "男性", "その他", "回答しない"],
        "性別を選んでください（女性向け検診などのお知らせに使います）。",
    ),
    (
        "子どもの年代",
        "multiple",
        ["妊娠中", "0〜2歳", "3〜5歳", "小学生", "中学生", "高校生"],
        "お子さんの年代を選んでください（お子さんが複数いる方は、あてはまるものをすべて）。",
    ),
    (
        "校区",
        "single",
        [
            "香椎小校区",
            "箱崎小校区",
            "博多小校区",
            "東光小校区",
            "舞鶴小校区",
            "警固小校区",
            "高宮小校区",
            "別府小校区",
            "西新小校区",
            "姪浜小校区",
        ],
        "お住まいの小学校区を選んでください（学校・地域の行事のお知らせに使います）。",
    ),
]
# Which ward each demo 校区 lies in (the seed picks a district of the resident's ward).
DEMO_DISTRICT_AREAS = {
    "香椎小校区": "higashi",
    "箱崎小校区": "higashi",
    "博多小校区": "hakata",
    "東光小校区": "hakata",
    "舞鶴小校区": "chuo",
    "警固小校区": "chuo",
    "高宮小校区": "minami",
    "別府小校区": "jonan",
    "西新小校区": "sawara",
    "姪浜小校区": "nishi",
}


def dimensions_load_demo() -> list:
    """性別, 子どもの年代 and 校区 with their options, after 年代, 地域, 関心分野 (idempotent:
    matched by name)."""
    from portal.line.dimensions import dimension_rows
    from portal.line.models import Dimension, DimensionOption

    dimension_rows()  # the built-in three first
    made = []
    for i, (name, kind, labels, question) in enumerate(DEMO_DIMENSIONS):
        dimension, _created = Dimension.objects.get_or_create(
            name=name, builtin="", defaults={"kind": kind, "order": 40 + 10 * i, "question": question}
        )
        for j, label in enumerate(labels):
            DimensionOption.objects.get_or_create(dimension=dimension, label=label, defaults={"order": 10 * (j + 1)})
        made.append(dimension)
    return made
