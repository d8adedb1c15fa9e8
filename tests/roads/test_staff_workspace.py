"""The triage workspace in staff's words: a reply that leaves the status alone, readable
assignment notes, settings and audit entries, unique element ids, safe redirects, the CSV."""

import csv
import io
import re
from collections import Counter
from html.parser import HTMLParser

import pytest

from accounts.models import AuditEntry
from intake.roads.models import Category, ResponseTemplate, RoadReport, TimelineEntry
from portal.line.models import OutboundMessage, Resident

USER = "U" + "4" * 32


@pytest.fixture
def resident(db):
    return Resident.objects.create(line_user_id=USER)


def test_message_only_reply_reaches_the_resident_once_and_leaves_the_status(road_client, make_report, resident, line_emulator):
    report = make_report(resident=resident)
    road_client.post(f"/roads/{report.pk}/status/", {"status": "checking"})
    before = line_emulator.count(USER)
    response = road_client.post(f"/roads/{report.pk}/reply/", {"message": "明日、現地を確認します。"})
    assert response.status_code == 302
    # The same form sent twice (a double click) is one reply.
    road_client.post(f"/roads/{report.pk}/reply/", {"message": "明日、現地を確認します。"})
    report.refresh_from_db()
    assert report.status == "checking"
    received = line_emulator.received_texts(USER)
    assert line_emulator.count(USER) == before + 1
    assert sum("明日、現地を確認します。" in t for t in received) == 1
    assert report.reference in received[-1]
    entry = TimelineEntry.objects.get(report=report, kind="message")
    assert entry.text == "明日、現地を確認します。" and entry.status_to == ""
    # The status timeline did not move.
    assert list(report.timeline.filter(kind="status").values_list("status_to", flat=True)) == ["received", "checking"]
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    assert "住民への連絡" in page and "明日、現地を確認します。" in page


def test_reply_from_a_template(road_client, make_report, resident, line_emulator):
    report = make_report(resident=resident)
    template = ResponseTemplate.objects.get(name="確認を開始")
    road_client.post(f"/roads/{report.pk}/reply/", {"template": template.pk, "message": ""})
    assert any("担当者が現地の状況を確認します" in t for t in line_emulator.received_texts(USER))
    report.refresh_from_db()
    assert report.status == "received"
    assert OutboundMessage.objects.filter(resident=resident, purpose="road-report").count() == 1


def test_reply_needs_a_text_and_a_resident(road_client, make_report, resident, line_emulator):
    report = make_report(resident=resident)
    response = road_client.post(f"/roads/{report.pk}/reply/", {"message": "  "}, follow=True)
    assert "メッセージを入力するか" in response.content.decode() or "入力内容を確認" in response.content.decode()
    nobody = make_report(resident=None)
    response = road_client.post(f"/roads/{nobody.pk}/reply/", {"message": "こんにちは"}, follow=True)
    assert "連絡できる住民がいません" in response.content.decode()
    assert line_emulator.count(USER) == 0
    assert not TimelineEntry.objects.filter(kind="message").exists()


def test_status_menu_preselects_nothing(road_client, make_report):
    report = make_report()
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    select = re.search(r'<select name="status"[^>]*id="status-status"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert select.startswith('<option value="" selected>') or "selected" not in select.split("</option>", 1)[1]
    response = road_client.post(f"/roads/{report.pk}/status/", {"status": "", "message": "x"})
    report.refresh_from_db()
    assert report.status == "received" and response.status_code == 302


def test_assignment_note_in_words(road_client, make_report, road_staff):
    report = make_report()
    road_client.post(f"/roads/{report.pk}/assign/", {"assignee": road_staff.pk, "priority": 3, "team": report.team_id})
    note = report.notes.get()
    assert note.text == "担当を 道路 太郎 に変更、優先度を 高 に変更"
    road_client.post(f"/roads/{report.pk}/assign/", {"assignee": "", "priority": 3, "team": report.team_id})
    assert report.notes.order_by("-id").first().text == "担当を解除"
    page = road_client.get(f"/roads/{report.pk}/").content.decode()
    notes = re.search(r'<ul class="notes">(.*?)</ul>', page, re.S).group(1)
    assert "担当を 道路 太郎 に変更、優先度を 高 に変更" in notes
    assert "assignee" not in notes and "priority" not in notes


def test_settings_show_words_not_true(road_client):
    page = road_client.get("/roads/settings/categories/").content.decode()
    assert "True" not in page and "False" not in page
    assert "有効" in page
    templates = road_client.get("/roads/settings/templates/").content.decode()
    assert "True" not in templates and "None" not in templates


def test_category_and_template_changes_are_audited_with_field_diffs(road_client, road_setup, road_staff):
    pothole = road_setup["pothole"]
    data = {
        "code": pothole.code,
        "name": pothole.name,
        "team": pothole.team_id,
        "emergency_phone": "092-000-1111",
        "description": "",
        "order": pothole.order,
        "is_active": "on",
    }
    assert road_client.post(f"/roads/settings/categories/{pothole.pk}/", data).status_code == 302
    entry = AuditEntry.objects.get(action="roads.settings_changed", target_id=str(pothole.pk))
    assert entry.detail["changes"] == {"emergency_phone": ["092-711-4000", "092-000-1111"]}
    assert entry.actor == road_staff and entry.target_repr == pothole.name

    template = ResponseTemplate.objects.get(name="確認を開始")
    data = {"name": template.name, "status": template.status, "category": "", "text": "新しい本文", "is_active": ""}
    road_client.post(f"/roads/settings/templates/{template.pk}/", data)
    entry = AuditEntry.objects.filter(action="roads.settings_changed", target_type="roads.responsetemplate").get()
    assert set(entry.detail["changes"]) == {"text", "is_active"}
    assert entry.detail["changes"]["is_active"] == [True, False]

    road_client.post("/roads/settings/teams/", {"code": "north", "name": "北部班", "is_active": "on"})
    created = AuditEntry.objects.get(action="roads.settings_changed", target_type="roads.team")
    assert created.detail["created"] is True and created.detail["changes"]["name"] == [None, "北部班"]
    # Saving without a change writes nothing.
    count = AuditEntry.objects.filter(action="roads.settings_changed").count()
    unchanged = {"code": pothole.code, "name": pothole.name, "team": pothole.team_id, "emergency_phone": "092-000-1111",
                 "description": "", "order": pothole.order, "is_active": "on"}  # fmt: skip
    assert road_client.post(f"/roads/settings/categories/{pothole.pk}/", unchanged).status_code == 302
    assert AuditEntry.objects.filter(action="roads.settings_changed").count() == count
    assert Category.objects.get(pk=pothole.pk).emergency_phone == "092-000-1111"


def test_audit_log_names_targets_in_words(client, make_staff, make_report, road_client):
    report = make_report()
    road_client.get(f"/roads/{report.pk}/")  # audited view
    from accounts.services import audit_record

    auditor = make_staff("auditor")
    pr = make_staff("pr_author", full_name="広報 花子")
    audit_record(action="staff.updated", actor=auditor, target=pr)
    client.force_login(auditor)
    page = client.get("/staff/audit/").content.decode()
    assert f"道路通報 {report.reference}" in page
    assert "職員 広報 花子" in page
    assert "roads.roadreport#" not in page and "accounts.user#" not in page


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_for: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_for.append(attrs["for"])


def _check_ids(html: str) -> None:
    parser = _Ids()
    parser.feed(html)
    duplicates = [i for i, n in Counter(parser.ids).items() if n > 1]
    assert duplicates == []
    assert set(parser.label_for) <= set(parser.ids), set(parser.label_for) - set(parser.ids)


def test_queue_and_report_pages_have_unique_ids_and_labels_point_at_controls(road_client, make_report, resident):
    report = make_report(resident=resident)
    make_report("drain")
    queue = road_client.get("/roads/").content.decode()
    _check_ids(queue)
    # The filter and the bulk form each own their controls.
    assert 'id="id_status"' in queue and 'id="bulk_status"' in queue
    _check_ids(road_client.get(f"/roads/{report.pk}/").content.decode())


def test_queue_table_comes_before_the_map_and_filters_fold(road_client, make_report):
    make_report()
    page = road_client.get("/roads/").content.decode()
    assert page.index('id="queue-table"') < page.index('id="queue-map"')
    assert re.search(r'<details class="card road-filters">', page)  # folded when no filter is set
    assert re.search(r'<details class="card road-filters" open>', road_client.get("/roads/?status=received").content.decode())


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/roads/", "///evil.example", "javascript:alert(1)"])
def test_bulk_next_must_stay_in_the_portal(road_client, make_report, target):
    report = make_report()
    response = road_client.post("/roads/bulk/", {"report": [report.pk], "action": "status", "status": "checking", "next": target})
    assert response.status_code == 302
    assert response["Location"] == "/roads/"
    empty = road_client.post("/roads/bulk/", {"next": target})
    assert empty["Location"] == "/roads/"


def test_bulk_next_inside_the_portal_is_kept(road_client, make_report):
    report = make_report()
    response = road_client.post(
        "/roads/bulk/", {"report": [report.pk], "action": "status", "status": "checking", "next": "/roads/?page=2"}
    )
    assert response["Location"] == "/roads/?page=2"
    assert RoadReport.objects.get(pk=report.pk).status == "checking"


def test_csv_export_streams_through_the_one_writer(road_client, make_report):
    make_report(comment='=HYPERLINK("http://evil.example","x")', address_text="@SUM(1+1)")
    response = road_client.get("/roads/export.csv")
    assert response.streaming
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))
    header, row = rows[0], rows[1]
    assert row[header.index("コメント")].startswith("'=HYPERLINK")
    assert row[header.index("住所・目印")] == "'@SUM(1+1)"
    assert AuditEntry.objects.filter(action="roads.exported").count() == 1


def test_pages_with_personal_data_are_not_stored(road_client, make_report):
    report = make_report(address_text="自宅前")
    for url in ("/roads/", f"/roads/{report.pk}/"):
        cache = road_client.get(url)["Cache-Control"]
        assert "no-store" in cache and "private" in cache


def test_dashboard_counts_open_urgent_reports(road_client, make_report):
    urgent = make_report(dangerous=True)
    make_report()
    page = road_client.get("/").content.decode()
    value = re.search(r"緊急の通報（未完了）</a></h2>\s*<p class=\"card__value\">(\d+)</p>", page)
    assert value and value.group(1) == "1"
    listed = road_client.get("/roads/?priority=4&status=received").content.decode()
    assert urgent.reference in listed and listed.count('data-ref="') == 1
