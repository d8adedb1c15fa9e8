"""The road CSV export streams every report of the filtered queue once, in the queue's order
(read in keyset chunks, so more reports than one chunk), with spreadsheet formulas
neutralised, and is audited once with its row count. (Timings: bench/export.py.)"""

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from accounts.models import AuditEntry
from intake.roads.models import ReportPhoto, RoadReport, Status

COUNT = 2_150  # more than one chunk of the export's reads (2,000)


@pytest.fixture
def many_reports(road_setup):
    """COUNT reports; many share a created_at (ties broken by id), priorities and statuses mixed."""
    categories = list(road_setup.values())
    start = timezone.now() - timedelta(days=30)
    statuses = [Status.RECEIVED, Status.CHECKING, Status.DONE]
    RoadReport.objects.bulk_create(
        [
            RoadReport(
                reference=f"R-EXP-{i:05d}",
                category=categories[i % len(categories)],
                status=statuses[i % 3],
                priority=1 + i % 4,
                created_at=start + timedelta(minutes=i // 7),  # seven reports a minute: ties
                updated_at=start + timedelta(minutes=i // 7),
                comment=f"段差 {i}",
            )
            for i in range(COUNT)
        ]
    )
    first = RoadReport.objects.order_by("id").first()
    ReportPhoto.objects.bulk_create([ReportPhoto(report=first, state="ready") for _ in range(3)])
    return first


def _export(client, query: str = "") -> tuple[StreamingHttpResponse, list[list[str]]]:
    response = client.get(f"/roads/export.csv{query}")
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return response, list(csv.reader(io.StringIO(body)))


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("new", ("-created_at", "-id")),
        ("old", ("created_at", "id")),
        ("priority", ("-priority", "-created_at", "-id")),
        ("status", ("status", "-created_at", "-id")),
    ],
)
def test_export_streams_every_report_once_in_the_queues_order(road_client, many_reports, sort, order):
    response, rows = _export(road_client, f"?sort={sort}")
    assert isinstance(response, StreamingHttpResponse) and response.streaming
    assert response["Content-Type"].startswith("text/csv") and response["Cache-Control"] == "private, no-store"
    references = [r[0] for r in rows[1:]]
    assert len(references) == COUNT and len(set(references)) == COUNT
    assert references == list(RoadReport.objects.order_by(*order).values_list("reference", flat=True))
    photos = {r[0]: r[13] for r in rows[1:]}
    assert photos.pop(many_reports.reference) == "3" and set(photos.values()) == {"0"}


def test_filtered_export_has_exactly_the_filtered_reports_and_is_audited_once(road_client, many_reports):
    _response, rows = _export(road_client, "?status=done")
    expected = set(RoadReport.objects.filter(status=Status.DONE).values_list("reference", flat=True))
    assert {r[0] for r in rows[1:]} == expected and len(rows) - 1 == len(expected) > 700
    assert {r[3] for r in rows[1:]} == {"完了"}  # the staff's label, not the code
    entry = AuditEntry.objects.get(action="roads.exported")
    assert entry.detail["rows"] == len(expected) and entry.detail["filters"] == {"status": ["done"]}


def test_exported_cells_cannot_run_as_formulas(road_client, make_report):
    make_report(comment='=HYPERLINK("http://evil.example","詳細")', address_text="+81-92-000-0000")
    make_report(comment="＝１＋１", address_text="@SUM(A1)")
    _response, rows = _export(road_client)
    cells = [c for r in rows[1:] for c in (r[11], r[12])]
    assert sorted(cells) == sorted(["'+81-92-000-0000", '\'=HYPERLINK("http://evil.example","詳細")', "'＝１＋１", "'@SUM(A1)"])
    assert rows[0][0] == "受付番号"  # the BOM is stripped by utf-8-sig: the header starts clean
