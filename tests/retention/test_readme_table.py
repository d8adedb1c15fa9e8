"""The README's retention table (個人情報の保存期間) and its Configuration rows say what the
code does: the same stores as ``portal.retention``'s registry, each with the setting (or the
admin-set period) the store reads and that setting's default."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from intake.bulky.models import BulkySettings
from portal import retention
from portal.line.models import LineSettings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BASE_SETTINGS = (ROOT / "portal" / "settings" / "base.py").read_text(encoding="utf-8")
SETTING = re.compile(r"`(RETENTION_[A-Z_]+_DAYS)` \((\d+)(?:[^)]*)\)")
DEFINED = dict(re.findall(r'^(RETENTION_[A-Z_]+_DAYS) = env\.int\("\1", default=(\d+)\)', BASE_SETTINGS, re.M))
# Periods set by admins in the portal: the README names the page; the default is the model's.
DB_PERIODS = {
    "line.residents": LineSettings._meta.get_field("blocked_retention_days").default,
    "bulky.bookings": BulkySettings._meta.get_field("retention_days").default,
}


def _table_rows() -> dict[str, list[str]]:
    section = README.split("## 個人情報の保存期間", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        key = re.search(r"\(`([a-z_]+\.[a-z_]+)`\)", cells[0]) if line.startswith("|") else None
        if key:
            rows[key.group(1)] = cells
    return rows


def _configuration_defaults() -> dict[str, int]:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    found: dict[str, int] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or "RETENTION_" not in cells[0]:
            continue
        names = re.findall(r"`(RETENTION_[A-Z_]+_DAYS)`", cells[0])
        values = [int(v) for v in re.findall(r"`(\d+)`", cells[1])]
        assert len(names) == len(values), line
        found.update(zip(names, values, strict=True))
    return found


def test_the_readme_names_every_registered_store_and_nothing_else():
    assert set(_table_rows()) == {store.key for store in retention.stores()}


def test_each_settings_default_in_the_readme_is_the_code_default():
    rows = _table_rows()
    named = {name: int(days) for cells in rows.values() for name, days in SETTING.findall(cells[-1])}
    assert named == {name: int(days) for name, days in DEFINED.items()}  # every setting, its default
    assert _configuration_defaults() == named  # the Configuration table agrees


@pytest.mark.django_db
def test_each_stores_period_with_the_defaults_is_the_one_its_row_gives(settings):
    for name, days in DEFINED.items():
        setattr(settings, name, int(days))  # the defaults, whatever the environment says
    LineSettings.current()
    BulkySettings.load()
    rows = _table_rows()
    for store in retention.stores():
        cells = rows[store.key]
        if store.key in DB_PERIODS:
            assert store.period_days() == DB_PERIODS[store.key], store.key
            assert f"({DB_PERIODS[store.key]})" in cells[-1], (store.key, cells[-1])
        else:
            given = [int(days) for _name, days in SETTING.findall(cells[-1])]
            assert store.period_days() in given, (store.key, store.period_days(), cells[-1])


def test_settings_module_reads_every_period_from_the_environment():
    for name in DEFINED:
        assert isinstance(getattr(settings, name), int), name
