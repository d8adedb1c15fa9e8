"""Rich menus: the image and tap-area rules, registering on LINE (the emulator's record),
the default, segment links in ≤ 500 batches, and 災害時モード on and back."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from broadcasts.richmenus import services
from broadcasts.richmenus.models import DisasterSwitch, LinkBatch, RichMenu
from portal.errors import Conflict, DomainError
from tests.richmenus.conftest import jpeg, png, two_areas

pytestmark = pytest.mark.django_db


def _create(author, ctx_of, **kwargs):
    values = {"name": "メニュー", "chat_bar_text": "メニュー", "image": png(), "areas": two_areas(), **kwargs}
    return services.richmenu_create(ctx=ctx_of(author), **values)


# -- the image ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("image", "code", "words"),
    [
        (png((799, 400)), "image_rules", "幅は800〜2,500"),
        (png((2501, 843)), "image_rules", "幅は800〜2,500"),
        (png((1000, 249)), "image_rules", "高さは250"),
        (png((1200, 900)), "image_rules", "横長"),  # 1.33 < 1.45
        (b"GIF89a" + b"\0" * 50, "image_broken", "読み取れません"),
        (b"", "image_missing", "画像を選んで"),
    ],
)
def test_each_image_rule_is_told_in_staffs_words(author, ctx_of, image, code, words):
    with pytest.raises(DomainError) as caught:
        _create(author, ctx_of, image=image, areas=[])
    assert caught.value.code == code
    assert words in str(caught.value)
    assert not RichMenu.objects.exists()


def test_a_gif_or_webp_is_refused_as_not_jpeg_or_png(author, ctx_of):
    out = io.BytesIO()
    Image.new("RGB", (2500, 843)).save(out, format="GIF")
    with pytest.raises(DomainError) as caught:
        _create(author, ctx_of, image=out.getvalue(), areas=[])
    assert caught.value.code == "image_type"


def test_an_image_over_1_mb_is_refused(author, ctx_of):
    import random

    rng = random.Random(1)
    noisy = Image.frombytes("RGB", (2500, 1686), bytes(rng.getrandbits(8) for _ in range(2500 * 1686 * 3)))
    out = io.BytesIO()
    noisy.save(out, format="PNG")
    assert len(out.getvalue()) > 1024 * 1024
    with pytest.raises(DomainError) as caught:
        _create(author, ctx_of, image=out.getvalue(), areas=[])
    assert "1MB" in str(caught.value)


def test_the_upload_is_re_encoded_without_its_metadata(author, ctx_of):
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x8825] = {2: (33, 35, 0)}  # GPS latitude
    menu = _create(author, ctx_of, image=jpeg(exif=exif.tobytes()), areas=[])
    stored = Image.open(io.BytesIO(bytes(menu.image)))
    assert stored.format == "JPEG" and stored.size == (2500, 843)
    assert not stored.getexif()
    assert b"Camera Maker" not in bytes(menu.image)
    text_png = png(pnginfo=__import__("PIL.PngImagePlugin", fromlist=["PngInfo"]).PngInfo())
    assert _create(author, ctx_of, image=text_png, areas=[]).image_type == "image/png"


def test_the_widest_and_smallest_sizes_line_takes_are_accepted(author, ctx_of):
    assert _create(author, ctx_of, image=png((2500, 1686)), areas=[]).height == 1686
    assert _create(author, ctx_of, image=png((800, 250)), areas=[]).width == 800
    assert _create(author, ctx_of, image=png((800, 551)), areas=[]).height == 551  # 1.4519


# -- tap areas ----------------------------------------------------------------------------------------
def _area(**values):
    return {"x": 0, "y": 0, "width": 100, "height": 100, "kind": "message", "text": "こんにちは", **values}


@pytest.mark.parametrize(
    ("areas", "words"),
    [
        ([_area(x=2450)], "画像の中に収めて"),
        ([_area(y=-1)], "画像の中に収めて"),
        ([_area(width=0)], "画像の中に収めて"),
        ([_area(x="左")], "数字で"),
        ([_area(), _area(x=50, y=50)], "領域1と領域2が重なっています"),
        ([_area(x=i * 120) for i in range(21)], "20個まで"),
        ([_area(kind="")], "動作を選んで"),
        ([_area(text="")], "送る言葉"),
        ([_area(kind="uri", uri="http://www.city.example.jp/")], "https://"),
        ([_area(kind="uri", uri="javascript:alert(1)")], "https://"),
        ([_area(kind="flow", flow="no-such-flow")], "手続きを選んで"),
        ([_area(kind="switch", menu=999999)], "切り替え先"),
        ([_area(label="あ" * 21)], "20文字以内"),
    ],
)
def test_tap_areas_are_checked_on_the_server(author, ctx_of, areas, words):
    with pytest.raises(DomainError) as caught:
        _create(author, ctx_of, areas=areas)
    assert words in str(caught.value)


def test_twenty_adjacent_areas_are_fine(author, ctx_of):
    areas = [_area(x=i * 125, width=125) for i in range(20)]
    assert len(_create(author, ctx_of, areas=areas).areas) == 20


def test_flows_are_offered_by_name_from_the_registered_chat_flows():
    from broadcasts.richmenus import selectors

    names = dict(selectors.flow_choices())
    assert {"prefs", "road", "bulky"} <= set(names)
    assert names["road"] == "道路の通報" and names["bulky"] == "粗大ごみ" and names["prefs"] == "受信設定"


# -- LINE --------------------------------------------------------------------------------------------
def test_registering_puts_the_menu_its_image_and_alias_on_line(line_emulator, make_menu, audit_actions):
    menu = make_menu(to="registered")
    record = line_emulator.richmenus
    assert menu.status == RichMenu.Status.REGISTERED and menu.line_id in record.menus
    sent = record.menus[menu.line_id]
    assert sent["size"] == {"width": 2500, "height": 843} and sent["chatBarText"] == "メニュー"
    assert sent["areas"][0]["action"] == {"type": "postback", "data": "flow=road&action=start", "label": "道路の通報",
                                          "displayText": "通報"}  # fmt: skip
    assert sent["areas"][1]["action"]["type"] == "uri"
    assert menu.line_id in record.images and record.aliases[menu.alias_id] == menu.line_id
    assert "richmenu.registered" in audit_actions()


def test_a_tab_area_switches_through_the_other_menus_alias(line_emulator, make_menu, author, ctx_of):
    other = make_menu(name="タブ2", to="registered")
    areas = [_area(kind="switch", menu=other.pk, width=1250, height=843, label="タブ2へ")]
    menu = services.richmenu_register(_create(author, ctx_of, areas=areas), ctx=ctx_of(author))
    action = line_emulator.richmenus.menus[menu.line_id]["areas"][0]["action"]
    assert action["type"] == "richmenuswitch" and action["richMenuAliasId"] == other.alias_id


def test_a_registered_menu_can_no_longer_be_edited(line_emulator, make_menu, author, ctx_of):
    menu = make_menu(to="registered")
    with pytest.raises(Conflict):
        services.richmenu_update(menu, ctx=ctx_of(author), name="x", chat_bar_text="x", areas=[])


def test_setting_the_default_changes_what_every_resident_without_a_link_sees(line_emulator, make_menu, approver, ctx_of,
                                                                            make_residents):  # fmt: skip
    first = make_menu(to="default", approver_user=approver)
    (user,) = make_residents(1)
    assert line_emulator.menu_for(user) == first.line_id
    second = make_menu(name="新しいメニュー", to="default", approver_user=approver)
    first.refresh_from_db()
    assert first.status == RichMenu.Status.REGISTERED and second.status == RichMenu.Status.DEFAULT
    assert line_emulator.menu_for(user) == second.line_id


# -- segments ------------------------------------------------------------------------------------------
def test_a_segment_is_linked_in_batches_of_at_most_500(line_emulator, make_menu, approver, ctx_of, make_residents,
                                                       segment_world, run_on_commit, audit_actions):  # fmt: skip
    area, other = segment_world.areas[0], segment_world.areas[1]
    inside = make_residents(1203, area=area)
    outside = make_residents(5, area=other)
    menu = make_menu(to="registered")
    with run_on_commit():
        services.segment_link_create(menu, ctx=ctx_of(approver), area_ids=[area.pk])
    requests = line_emulator.requests("richmenu_bulk_link")
    assert [len(r["body"]["userIds"]) for r in requests] == [500, 500, 203]
    assert all(r["status"] == 202 for r in requests)
    assert all(line_emulator.menu_for(u) == menu.line_id for u in inside)
    assert all(line_emulator.menu_for(u) is None for u in outside)
    assert not LinkBatch.objects.exclude(status=LinkBatch.Status.DONE).exists()
    assert not LinkBatch.objects.exclude(resident_ids=[]).exists()  # the lists are gone once sent
    assert "richmenu.segment_linked" in audit_actions()


def test_a_job_run_twice_sends_each_batch_once(line_emulator, make_menu, approver, ctx_of, make_residents, segment_world):
    area = segment_world.areas[0]
    make_residents(600, area=area)
    menu = make_menu(to="registered")
    link = services.segment_link_create(menu, ctx=ctx_of(approver), area_ids=[area.pk])  # not committed: no task ran
    job = link.jobs.get()
    assert services.link_job_run(job_id=job.pk).status == "done"
    assert services.link_job_run(job_id=job.pk).status == "done"
    assert len(line_emulator.requests("richmenu_bulk_link")) == 2


def test_a_rate_limited_batch_stays_pending_and_is_sent_later(line_emulator, make_menu, approver, ctx_of, make_residents,
                                                              segment_world):  # fmt: skip
    area = segment_world.areas[0]
    make_residents(10, area=area)
    menu = make_menu(to="registered")
    link = services.segment_link_create(menu, ctx=ctx_of(approver), area_ids=[area.pk])
    line_emulator.set_limits(richmenu_bulk_link=(0, 60))
    step = services.link_job_run(job_id=link.jobs.get().pk)
    assert step.status == "retry" and step.retry_in
    assert LinkBatch.objects.get().status == LinkBatch.Status.PENDING
    line_emulator.set_limits(richmenu_bulk_link=(3, 1))
    assert services.link_job_run(job_id=link.jobs.get().pk).status == "done"


# -- 災害時モード ------------------------------------------------------------------------------------------
def _world(line_emulator, make_menu, approver, ctx_of, make_residents, segment_world, run_on_commit):
    normal = make_menu(name="通常", to="default", approver_user=approver)
    disaster = make_menu(name="災害時", to="disaster", approver_user=approver)
    kids = make_menu(name="子育て", to="registered")
    area = segment_world.areas[0]
    linked = make_residents(1100, area=area)
    others = make_residents(40, area=segment_world.areas[1])
    with run_on_commit():
        services.segment_link_create(kids, ctx=ctx_of(approver), area_ids=[area.pk])
    assert all(line_emulator.menu_for(u) == kids.line_id for u in linked)
    return normal, disaster, kids, linked, others


def test_disaster_mode_switches_every_resident_and_back_within_the_limits(line_emulator, make_menu, approver, ctx_of,
                                                                         make_residents, segment_world, run_on_commit,
                                                                         audit_actions, make_staff):  # fmt: skip
    from accounts import roles

    normal, disaster, kids, linked, others = _world(line_emulator, make_menu, approver, ctx_of, make_residents, segment_world,
                                                    run_on_commit)  # fmt: skip
    everyone = linked + others
    estimate = services.disaster_estimate(direction="on")
    assert estimate.requests == 3 and "全員の表示が切り替わります" in estimate.text
    admin = make_staff(roles.ADMIN)
    with run_on_commit():
        switch = services.disaster_mode_on(ctx=ctx_of(admin))
    assert all(line_emulator.menu_for(u) == disaster.line_id for u in everyone)
    switch.refresh_from_db()
    assert switch.status == DisasterSwitch.Status.DONE
    with run_on_commit():
        back = services.disaster_mode_off(ctx=ctx_of(approver))
    assert all(line_emulator.menu_for(u) == kids.line_id for u in linked)
    assert all(line_emulator.menu_for(u) == normal.line_id for u in others)
    back.refresh_from_db()
    assert back.status == DisasterSwitch.Status.DONE
    # Never past LINE's limits: no 429 in the emulator's log, ≤ 500 user IDs a request.
    for endpoint in ("richmenu_bulk_link", "richmenu_bulk_unlink", "richmenu"):
        assert all(r["status"] != 429 for r in line_emulator.requests(endpoint))
    assert all(len(r["body"]["userIds"]) <= 500 for r in line_emulator.requests("richmenu_bulk_unlink"))
    actions = audit_actions()
    assert actions.count("richmenu.disaster_mode_on") == 1 and actions.count("richmenu.disaster_mode_off") == 1
    assert actions.count("richmenu.disaster_switch_done") == 2


def test_disaster_mode_is_refused_twice_and_blocks_menu_changes(line_emulator, make_menu, approver, ctx_of):
    make_menu(name="通常", to="default", approver_user=approver)
    with pytest.raises(Conflict):
        services.disaster_mode_on(ctx=ctx_of(approver))  # no disaster menu yet
    make_menu(name="災害時", to="disaster", approver_user=approver)
    services.disaster_mode_on(ctx=ctx_of(approver))
    with pytest.raises(Conflict):
        services.disaster_mode_on(ctx=ctx_of(approver))
    other = make_menu(name="別", to="registered")
    with pytest.raises(Conflict):
        services.richmenu_set_default(other, ctx=ctx_of(approver))
    services.disaster_mode_off(ctx=ctx_of(approver))
    with pytest.raises(Conflict):
        services.disaster_mode_off(ctx=ctx_of(approver))


def test_the_estimate_follows_the_bucket_rates():
    assert services.estimate(requests=0, bucket="richmenu_bulk_unlink").text == "1分ほどで全員の表示が切り替わります"
    # 361 requests at 2 a second after a burst of 1: 180 s, plus LINE's minute: 約4分
    assert services.estimate(requests=361, bucket="richmenu_bulk_unlink").text == "約4分で全員の表示が切り替わります"
    assert services.estimate(requests=2001, bucket="richmenu_bulk_unlink").text == "約18分で全員の表示が切り替わります"
