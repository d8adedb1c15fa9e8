"""Demo broadcasts (idempotent): a draft to a segment and one awaiting approval."""

from collections.abc import Callable

from portal import demo
from portal.errors import DomainError


def load_demo(say: Callable[[str], None]) -> None:
    from portal.line.models import Area

    from . import services
    from .models import Broadcast

    staff = demo.staff_for(say, "broadcasts", Broadcast, "pr@city.example.jp")
    if staff is None:
        return
    [author] = staff
    areas = list(Area.objects.filter(is_active=True).values_list("pk", flat=True)[:2])
    services.broadcast_save(
        actor=author,
        title="【下書き】子育て応援イベントのお知らせ",
        audience=Broadcast.Audience.SEGMENT,
        age_bands=["25-29", "30-34", "35-39"],
        area_ids=areas,
        bubbles=[{"type": "text", "text": "今週末、市民センターで子育て応援イベントを開催します。"}],
    )
    pending = services.broadcast_save(
        actor=author,
        title="ごみ収集日変更のお知らせ",
        audience=Broadcast.Audience.ALL,
        bubbles=[
            {
                "type": "text",
                "text": "年末年始のごみ収集日が変わります。詳しくは市のホームページをご覧ください。",
                # residents who chose these languages in 受信設定 get them (broadcasts/README.md)
                "translations": {
                    "ja-easy": "ねんまつ ねんしの ごみを あつめる ひが かわります。しの ホームページを みて ください。",
                    "en": "Garbage collection days change over the New Year holidays. See the city's website for details.",
                    "zh": "年末年初的垃圾收集日有所变更。详情请查看市政府网站。",
                    "ko": "연말연시 쓰레기 수거일이 변경됩니다. 자세한 내용은 시 홈페이지를 확인해 주세요.",
                    "vi": "Lịch thu gom rác thay đổi vào dịp cuối năm và đầu năm mới. Xem chi tiết trên trang web của thành phố.",
                },
            }
        ],
    )
    try:
        services.broadcast_submit(broadcast=pending, actor=author)
    except DomainError:  # below the minimum on a tiny demo: stays a draft
        pass
    say("broadcasts: 2 demo broadcasts (a draft, one awaiting approval)")
