"""Demo data, the rich-menu postback, and the dashboard card."""

from accounts import roles
from intake.bulky.demo import load_demo
from intake.bulky.models import Booking, CollectionArea, CollectionDay, Item
from portal.line.devtools.simulate import user_id_for
from portal.line.models import Area, Resident


def test_demo_loader_is_idempotent(db, line_emulator):
    for n, name in enumerate(["東区", "博多区", "中央区"]):
        area = Area.objects.create(code=f"demo-{n}", name=name, order=n)
        Resident.objects.create(line_user_id=user_id_for(f"demo-{n}"), area=area)
    said: list[str] = []
    load_demo(said.append)
    load_demo(said.append)
    assert Item.objects.get(name="椅子").fee_yen == 500
    assert Item.objects.get(name="ソファー（1人掛け）").fee_yen == 1000
    assert Item.objects.get(name="自転車").fee_yen == 500
    fridge = Item.objects.get(name="冷蔵庫")
    assert not fridge.accepted and "家電リサイクル" in fridge.refusal_reason
    assert CollectionArea.objects.count() == 3
    assert all(len(a.weekday_numbers) == 2 for a in CollectionArea.objects.all())
    bookings = Booking.objects.count()
    assert bookings == 3
    assert sum(CollectionDay.objects.values_list("used_points", flat=True)) == sum(
        Booking.objects.values_list("total_points", flat=True)
    )
    assert any("粗大ごみ申込: 3件" in line for line in said)


def test_rich_menu_postback_replies_with_a_link(bulky_setup, line_resident, line_emulator):
    line_resident.follow(user_id_for("menu"))
    line_resident.postback(user_id_for("menu"), "flow=bulky&action=start")
    text = line_emulator.received_texts(user_id_for("menu"))[-1]
    assert "/bulky/r/link/" in text and "30分間有効" in text
    line_resident.text(user_id_for("menu"), "予約確認")
    assert "受付中の粗大ごみの申込はありません" in line_emulator.received_texts(user_id_for("menu"))[-1]


def test_dashboard_card_for_waste_staff(bulky_setup, open_booking_page, make_staff, client):
    page = open_booking_page(user_id_for("dash"))
    form = page.form(area=bulky_setup.chuo.pk, items={bulky_setup.chair: 1})
    page.book(form)
    client.force_login(make_staff(roles.WASTE))
    html = client.get("/").content.decode()
    assert "粗大ごみ：未確認の申込" in html and "1件" in html
    client.force_login(make_staff(roles.ROAD))
    assert "粗大ごみ：未確認の申込" not in client.get("/").content.decode()
