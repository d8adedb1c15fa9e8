"""Demo data: teams, the eight categories, reply templates and a few reports with
generated photos (portal.demo loader; idempotent)."""

import io
import random
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from portal.context import AuditContext

from .models import Category, ReportPhoto, ResponseTemplate, RoadReport, Status, Team

TEAMS = [
    ("road-east", "道路維持課 東部班"),
    ("road-west", "道路維持課 西部班"),
    ("parks", "公園管理課"),
    ("lights", "道路照明班"),
]

CATEGORIES = [
    ("pothole", "道路の穴・陥没", "road-east", "092-711-4000"),
    ("guardrail", "ガードレール・柵", "road-east", "092-711-4000"),
    ("drain", "側溝・マンホール", "road-west", "092-711-4001"),
    ("mirror-sign", "カーブミラー・標識", "road-west", "092-711-4001"),
    ("streetlight", "街路灯", "lights", "092-711-4002"),
    ("playground", "公園遊具", "parks", "092-711-4003"),
    ("fallen", "倒木・落下物", "road-east", "092-711-4000"),
    ("other", "その他", "road-west", "092-711-4001"),
]

TEMPLATES = [
    ("確認を開始", Status.CHECKING, None, "ご連絡ありがとうございます。担当者が現地の状況を確認します。"),
    ("対応予定", Status.PLANNED, None, "現地を確認しました。補修を予定しています。"),
    ("対応中", Status.IN_PROGRESS, None, "現在、補修作業を行っています。"),
    ("穴の補修完了", Status.DONE, "pothole", "ご連絡いただいた道路の穴は補修を完了しました。ご協力ありがとうございました。"),
    ("完了（共通）", Status.DONE, None, "ご連絡いただいた箇所の対応を完了しました。ご協力ありがとうございました。"),
    ("対応不可（管理外）", Status.REJECTED, None, "確認したところ、市の管理外の場所でした。管理者へ情報を伝えました。"),
]


def seed_reference_data() -> None:
    """Teams, categories and templates (also used by tests)."""
    teams = {}
    for code, name in TEAMS:
        teams[code], _ = Team.objects.get_or_create(code=code, defaults={"name": name})
    for order, (code, name, team, phone) in enumerate(CATEGORIES):
        Category.objects.get_or_create(
            code=code, defaults={"name": name, "team": teams[team], "emergency_phone": phone, "order": order}
        )
    for name, status, cat, text in TEMPLATES:
        ResponseTemplate.objects.get_or_create(
            name=name, defaults={"status": status, "category": Category.objects.filter(code=cat).first(), "text": text}
        )


def demo_photo(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), (118, 118, 122))
    draw = ImageDraw.Draw(image)
    for y in range(0, 480, 12):
        shade = 100 + y // 8 + rng.randint(-5, 5)
        draw.rectangle([0, y, 640, y + 12], fill=(shade, shade, shade + 3))
    cx, cy = rng.randint(150, 490), rng.randint(150, 330)
    draw.ellipse([cx - 70, cy - 40, cx + 70, cy + 40], fill=(35, 33, 31))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


@transaction.atomic
def load(say: Callable[[str], None]) -> None:
    from . import services

    seed_reference_data()
    if RoadReport.objects.filter(comment__startswith="[demo]").exists():
        say("roads: demo reports already present")
        return
    from portal.line.models import Resident

    rng = random.Random(5)
    categories = list(Category.objects.all())
    residents = list(Resident.objects.order_by("id")[:12])
    now = timezone.now()
    for i in range(12):
        category = categories[i % len(categories)]
        report = services.report_create(
            category=category,
            latitude=33.5902 + rng.uniform(-0.03, 0.03),
            longitude=130.4017 + rng.uniform(-0.04, 0.04),
            location_source="line",
            address_text="",
            comment=f"[demo] {category.name}の通報（デモ）",
            created_at=now - timedelta(days=rng.randint(0, 40), hours=rng.randint(0, 20)),
            resident=residents[i] if i < len(residents) else None,
        )
        photo = ReportPhoto.objects.create(report=report)
        services._store(photo, demo_photo(i), folder="photos")
        photo.save()
        if i == 1:
            RoadReport.objects.filter(pk=report.pk).update(is_dangerous=True, priority=4)
        if i % 3 == 0:
            services.report_change_status(report=report, to=Status.CHECKING, ctx=AuditContext.system())
        if i % 4 == 0:
            services.report_change_status(report=report, to=Status.PLANNED, ctx=AuditContext.system())
            services.report_change_status(report=report, to=Status.IN_PROGRESS, ctx=AuditContext.system())
            services.report_change_status(report=report, to=Status.DONE, ctx=AuditContext.system())
    say("roads: 8 categories, 4 teams, reply templates, 12 demo reports with photos")
