"""Demo data for intake.bulky: catalogue, areas' collection days, a few bookings."""

from collections.abc import Callable

from portal.line.models import Area, Resident

from .models import Booking, BulkySettings, CollectionArea, Item

# (name, category, fee, points, refusal reason or "")
CATALOGUE = [
    ("椅子", "家具", 500, 1, ""),
    ("ソファー（1人掛け）", "家具", 1000, 2, ""),
    ("ソファー（2人掛け以上）", "家具", 1500, 4, ""),
    ("たんす（高さ100cm未満）", "家具", 1000, 3, ""),
    ("たんす（高さ100cm以上）", "家具", 1500, 5, ""),
    ("テーブル", "家具", 1000, 2, ""),
    ("ベッド（シングル）", "家具", 1000, 4, ""),
    ("マットレス", "寝具", 1000, 3, ""),
    ("布団", "寝具", 500, 1, ""),
    ("自転車", "その他", 500, 2, ""),
    ("電子レンジ", "家電", 500, 1, ""),
    ("扇風機", "家電", 500, 1, ""),
    ("カーペット", "その他", 500, 1, ""),
    ("冷蔵庫", "家電", 0, 1, "家電リサイクル法の対象です。購入店または指定引取場所へ"),
    ("テレビ", "家電", 0, 1, "家電リサイクル法の対象です。購入店または指定引取場所へ"),
    ("エアコン", "家電", 0, 1, "家電リサイクル法の対象です。購入店または指定引取場所へ"),
    ("洗濯機", "家電", 0, 1, "家電リサイクル法の対象です。購入店または指定引取場所へ"),
    ("パソコン", "家電", 0, 1, "メーカーによる回収（資源有効利用促進法）の対象です"),
]

# Weekdays (Monday = 0) per area code; Fukuoka's wards in the demo.
WEEKDAYS = ["14", "03", "25", "14", "03", "25", "14"]


def load_demo(say: Callable[[str], None]) -> None:
    BulkySettings.load()
    for order, (name, category, fee, points, reason) in enumerate(CATALOGUE):
        Item.objects.update_or_create(
            name=name,
            defaults={
                "category": category,
                "fee_yen": fee,
                "size_points": points,
                "accepted": not reason,
                "refusal_reason": reason,
                "order": order,
            },
        )
    say(f"粗大ごみ品目: {Item.objects.count()}件")
    for index, area in enumerate(Area.objects.all()):
        CollectionArea.objects.get_or_create(
            area=area, defaults={"weekdays": WEEKDAYS[index % len(WEEKDAYS)], "capacity_points": 40}
        )
    say(f"粗大ごみ収集地域: {CollectionArea.objects.count()}地域")
    if Booking.objects.exists():
        return
    from . import selectors, services

    residents = list(Resident.objects.filter(status=Resident.Status.ACTIVE).order_by("pk")[:4])
    chair, sofa, bike = (Item.objects.get(name=n) for n in ("椅子", "ソファー（1人掛け）", "自転車"))
    made = 0
    for index, resident in enumerate(residents):
        collection_area = CollectionArea.objects.filter(area=resident.area).first() or CollectionArea.objects.first()
        if collection_area is None:
            break
        dates = selectors.available_dates(area=collection_area, points=4, limit=3)
        if not dates:
            continue
        try:
            services.booking_create(
                resident=resident,
                area=collection_area,
                collection_date=dates[index % len(dates)][0],
                quantities={chair.pk: 2, sofa.pk: 1} if index % 2 else {bike.pk: 1},
                address=f"福岡市{collection_area.area.name}デモ町{index + 1}-{index + 2}",
                phone=f"092-000-{1000 + index}",
            )
            made += 1
        except (services.BookingError, ImportError):
            continue
        except Exception as error:  # noqa: BLE001 - the LINE sender may be unreachable in the demo
            say(f"粗大ごみ申込のデモ作成を中断: {type(error).__name__}")
            break
    say(f"粗大ごみ申込: {made}件")
