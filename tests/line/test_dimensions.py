"""Segment dimensions as data: an admin adds one through the pages (no migration, no code),
residents answer it in 受信設定 through the signed webhook, and 設定確認 shows it."""

from django.urls import reverse

from accounts.models import AuditEntry
from portal.line.models import Dimension, DimensionOption, Resident, ResidentAnswer
from tests.fixtures.line import quick_reply_labels

USER = "U" + "d" * 32


def _last(line_emulator) -> dict:
    return line_emulator.received(USER)[-1]


def add_dimension(admin_client, name: str, kind: str, labels: list[str]) -> Dimension:
    """What an admin does on 受信設定の属性: add the dimension, then its options."""
    response = admin_client.post(reverse("line:dimension_create"), {"name": name, "kind": kind, "is_active": "on"})
    assert response.status_code == 302, response.content.decode()[:800]
    dimension = Dimension.objects.get(name=name)
    for label in labels:
        response = admin_client.post(reverse("line:option_create", args=[dimension.pk]), {"label": label, "is_active": "on"})
        assert response.status_code == 302, response.content.decode()[:800]
    return dimension


def _through_builtins(line_resident, line_emulator) -> None:
    line_resident.follow(USER)
    line_resident.tap(USER, "同意する")
    line_resident.tap(USER, "30〜34歳")
    line_resident.tap(USER, "博多区")
    line_resident.tap(USER, "防災")
    line_resident.tap(USER, "完了")


def test_a_dimension_added_by_an_admin_is_asked_in_the_chat_in_order(admin_client, line_resident, line_emulator, demo_segments):
    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性", "その他", "回答しない"])
    children = add_dimension(
        admin_client, "子どもの年代", "multiple", ["妊娠中", "0〜2歳", "3〜5歳", "小学生", "中学生", "高校生"]
    )
    assert AuditEntry.objects.filter(action="line.dimension_changed").count() == 2 + 4 + 6
    page = admin_client.get(reverse("line:dimensions")).content.decode()
    assert page.index("関心分野") < page.index("性別") < page.index("子どもの年代") and "妊娠中" in page

    _through_builtins(line_resident, line_emulator)
    question = _last(line_emulator)
    assert "性別を選んでください" in question["text"]
    assert quick_reply_labels(question) == ["女性", "男性", "その他", "回答しない"]  # its own 回答しない, not a second one
    line_resident.tap(USER, "女性")
    question = _last(line_emulator)
    assert "子どもの年代" in question["text"] and "複数選べます" in question["text"]
    assert quick_reply_labels(question) == ["妊娠中", "0〜2歳", "3〜5歳", "小学生", "中学生", "高校生", "決定", "回答しない"]
    line_resident.tap(USER, "0〜2歳")
    line_resident.tap(USER, "小学生")
    line_resident.tap(USER, "✓0〜2歳")  # toggled off
    line_resident.text(USER, "高校生")  # typing a label works too
    assert "選択中：小学生、高校生" in _last(line_emulator)["text"]
    line_resident.tap(USER, "決定")
    done = _last(line_emulator)["text"]
    assert "受信設定を登録しました" in done and "性別：女性" in done and "子どもの年代：小学生、高校生" in done

    resident = Resident.objects.get(line_user_id=USER)
    answers = set(ResidentAnswer.objects.filter(resident=resident).values_list("option__label", flat=True))
    assert answers == {"女性", "小学生", "高校生"}

    # The admin asks 性別 first from now on; 設定確認 shows every answer; changing them updates.
    admin_client.post(reverse("line:dimension_move", args=[gender.pk]), {"direction": "up"})
    admin_client.post(reverse("line:dimension_move", args=[gender.pk]), {"direction": "up"})
    admin_client.post(reverse("line:dimension_move", args=[gender.pk]), {"direction": "up"})
    assert [d.name for d in Dimension.objects.all()][:2] == ["性別", "年代"]
    line_resident.text(USER, "受信設定")
    assert "性別を選んでください" in _last(line_emulator)["text"]
    line_resident.tap(USER, "回答しない")
    assert "年代を選んでください" in _last(line_emulator)["text"]
    line_resident.text(USER, "設定確認")
    shown = _last(line_emulator)["text"]
    assert "性別：回答しない" in shown and "子どもの年代：小学生、高校生" in shown and "年代：30〜34歳" in shown

    # Retired: no longer asked, answers kept.
    admin_client.post(reverse("line:dimension_edit", args=[children.pk]), {"name": "子どもの年代", "kind": "multiple"})
    assert not Dimension.objects.get(pk=children.pk).is_active
    line_resident.text(USER, "キャンセル")
    line_resident.text(USER, "受信設定")
    for label in ("回答しない", "30〜34歳", "博多区", "完了"):
        line_resident.tap(USER, label)
    assert "子どもの年代" not in _last(line_emulator)["text"]
    assert ResidentAnswer.objects.filter(resident=resident, dimension=children).count() == 2


def test_long_option_lists_are_paged_within_13_quick_replies(admin_client, line_resident, line_emulator, demo_segments):
    districts = [f"第{n}小学校区" for n in range(1, 26)]
    add_dimension(admin_client, "校区", "single", districts)
    _through_builtins(line_resident, line_emulator)
    first = _last(line_emulator)
    assert (
        len(quick_reply_labels(first)) <= 13
        and quick_reply_labels(first)[:2] == districts[:2]
        and "次へ" in quick_reply_labels(first)
    )
    assert "（1/3ページ）" in first["text"]
    line_resident.tap(USER, "次へ")
    second = quick_reply_labels(_last(line_emulator))
    assert len(second) <= 13 and "前へ" in second and "次へ" in second and districts[10] in second
    line_resident.tap(USER, "次へ")
    line_resident.tap(USER, "第23小学校区")
    assert "受信設定を登録しました" in _last(line_emulator)["text"]
    resident = Resident.objects.get(line_user_id=USER)
    assert list(ResidentAnswer.objects.filter(resident=resident).values_list("option__label", flat=True)) == ["第23小学校区"]

    many = add_dimension(admin_client, "関心のある施設", "multiple", [f"施設{n}" for n in range(1, 15)])
    line_resident.text(USER, "受信設定")
    for label in ("30〜34歳", "博多区", "完了", "第1小学校区"):
        line_resident.tap(USER, label)
    labels = quick_reply_labels(_last(line_emulator))
    assert len(labels) == 12 and labels[-2:] == ["決定", "回答しない"] and "次へ" in labels
    line_resident.tap(USER, "施設1")
    line_resident.tap(USER, "次へ")
    line_resident.tap(USER, "施設14")
    line_resident.tap(USER, "決定")
    chosen = ResidentAnswer.objects.filter(resident=resident, dimension=many).values_list("option__label", flat=True)
    assert set(chosen) == {"施設1", "施設14"}


def test_the_dimension_pages_are_admin_only_and_builtin_options_stay_where_they_are(admin_client, client, demo_segments):
    response = admin_client.get(reverse("line:dimensions"))
    page = response.content.decode()
    for name in ("年代", "地域", "関心分野"):
        assert name in page
    builtin = Dimension.objects.get(builtin="area")
    response = admin_client.post(reverse("line:option_create", args=[builtin.pk]), {"label": "x", "is_active": "on"})
    assert response.status_code == 404
    response = admin_client.post(reverse("line:dimension_edit", args=[builtin.pk]), {"name": "お住まいの区", "is_active": "on"})
    assert response.status_code == 302
    assert Dimension.objects.get(pk=builtin.pk).name == "お住まいの区" and not DimensionOption.objects.exists()


def test_the_demo_ships_gender_children_and_school_districts(demo_segments):
    from portal.line.devtools.demo import DEMO_DISTRICT_AREAS, dimensions_load_demo
    from portal.line.devtools.seed import seed_answers, seed_residents

    dimensions_load_demo()
    dimensions_load_demo()  # idempotent
    names = [d.name for d in Dimension.objects.all()]
    assert names == ["年代", "地域", "関心分野", "性別", "子どもの年代", "校区"]
    children = Dimension.objects.get(name="子どもの年代")
    assert children.is_multiple and [o.label for o in children.options.all()] == [
        "妊娠中", "0〜2歳", "3〜5歳", "小学生", "中学生", "高校生"
    ]  # fmt: skip
    assert "回答しない" in Dimension.objects.get(name="性別").options.values_list("label", flat=True)
    seed_residents(count=400, seed=7)
    made = seed_answers(seed=7)
    assert made > 300 and seed_answers(only_unanswered=True) == 0
    for resident_area, label in ResidentAnswer.objects.filter(dimension__name="校区").values_list(
        "resident__area__code", "option__label"
    ):
        assert DEMO_DISTRICT_AREAS[label] == resident_area
