"""manage.py line_simulate against a live portal and the emulator."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from portal.line.devtools.demo import segments_load_demo
from portal.line.models import Resident, WebhookEvent

USER = "U" + "9" * 32


def _sim(live_server, line_emulator, *args, **kwargs) -> str:
    out = StringIO()
    call_command(
        "line_simulate", *args, user=USER, url=f"{live_server.url}/line/webhook", emulator=line_emulator.url, wait=2,
        stdout=out, **kwargs,
    )  # fmt: skip
    return out.getvalue()


def test_resident_follows_and_completes_settings_from_the_command_line(transactional_db, live_server, line_emulator):
    segments_load_demo()
    out = _sim(live_server, line_emulator, "follow")
    assert "webhook answered 200" in out and "同意しますか" in out and "buttons: 同意する | 同意しない" in out
    for label in ("同意する", "30〜34歳", "博多区", "防災", "完了"):
        out = _sim(live_server, line_emulator, "tap", label=label)
    assert "受信設定を登録しました" in out
    resident = Resident.objects.get(line_user_id=USER)
    assert resident.age_band == "30-34" and resident.area.code == "hakata" and resident.interest_bits
    _sim(live_server, line_emulator, "image")
    _sim(live_server, line_emulator, "location", lat=33.59, lng=130.40, address="福岡市博多区")
    _sim(live_server, line_emulator, "postback", data="flow=none")
    _sim(live_server, line_emulator, "unfollow")
    assert Resident.objects.get(line_user_id=USER).status == Resident.Status.BLOCKED
    kinds = list(WebhookEvent.objects.order_by("pk").values_list("event_type", flat=True))
    assert kinds[0] == "follow" and kinds[-1] == "unfollow" and "postback" in kinds and "message" in kinds


def test_wrong_secret_is_refused(transactional_db, live_server, line_emulator):
    with pytest.raises(CommandError):
        _sim(live_server, line_emulator, "follow", secret="not-the-secret")
    assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize("user", ["Udemo0001", "U" + "A" * 32, "U" + "a" * 31])
def test_simulator_refuses_user_ids_line_never_issues(db, user):
    with pytest.raises(CommandError, match="32 lower-case hex"):
        call_command("line_simulate", "follow", user=user, url="http://127.0.0.1:9/line/webhook", wait=0, stdout=StringIO())
    assert not WebhookEvent.objects.exists()
