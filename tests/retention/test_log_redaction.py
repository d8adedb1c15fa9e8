"""No log line carries a LINE user ID, a phone number or an e-mail address: the filter
configured in LOGGING redacts every record (message, arguments, exception text), whichever
handler takes it. Checked on the logs of the chat, booking and broadcast flows, and on
urllib3's retry warning, which names the profile URL with the user's ID."""

import io
import logging
import re

from django.conf import settings as django_settings

from tests.fixtures.bulky import bookable_date

LINE_ID = re.compile(r"[UCR][0-9a-fA-F]{16,}")
USER = "U" + "0123456789abcdef" * 2
PHONE = "090-1234-5678"
EMAIL = "yamada.hanako@example.jp"


def _everything_logged(caplog) -> str:
    """Each captured record as a handler would write it, plus its raw message and args."""
    formatter = logging.Formatter("%(name)s %(message)s")
    return "\n".join(f"{formatter.format(r)} {r.msg!s} {r.args!s}" for r in caplog.records)


def _assert_clean(text: str, *secrets: str) -> None:
    assert not LINE_ID.search(text), LINE_ID.search(text).group(0)
    for secret in secrets:
        assert secret not in text


def test_configured_handlers_write_redacted_lines():
    """Through the handler LOGGING configures (its filter), arguments and exceptions included."""
    stream = io.StringIO()
    config = django_settings.LOGGING
    handler = logging.StreamHandler(stream)
    for name in config["handlers"]["console"]["filters"]:
        spec = dict(config["filters"][name])
        factory = spec.pop("()")
        module, _dot, attr = factory.rpartition(".")
        handler.addFilter(getattr(__import__(module, fromlist=[attr]), attr)(**spec))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.warning("push to %s failed; call %s or mail %s", USER, PHONE, EMAIL)
        logger.info("plain %s", {"to": [USER], "tel": "09012345678", "intl": "+81-92-711-4111"})
        try:
            raise ValueError(f"bad user {USER} ({EMAIL})")
        except ValueError:
            logger.exception("failed for %s", USER)
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    _assert_clean(written, PHONE, EMAIL, "09012345678", "711-4111")
    assert written.count("<line-id>") >= 4 and "<phone>" in written and "<email>" in written
    assert "ValueError: bad user <line-id> (<email>)" in written  # the traceback is kept, redacted
    # timestamps, addresses and durations are not phone numbers
    assert logredact_keeps("2026-12-01 10:00:00,123 INFO 127.0.0.1 took 0.0123456789s") == (
        "2026-12-01 10:00:00,123 INFO 127.0.0.1 took 0.0123456789s"
    )


def logredact_keeps(text: str) -> str:
    from portal.logredact import redact

    return redact(text)


def test_urllib3_retry_warning_carries_no_line_id(line_resident, line_emulator, settings, caplog):
    """A follow while LINE cannot be reached: urllib3 warns ``Retrying … /v2/bot/profile/<id>``."""
    caplog.set_level(logging.DEBUG)
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"  # nothing listens: connection refused
    line_resident.follow(USER)
    retries = [r for r in caplog.records if r.name.startswith("urllib3") and "Retrying" in r.getMessage()]
    assert retries, [r.getMessage() for r in caplog.records]
    assert any("/v2/bot/profile/<line-id>" in r.getMessage() for r in retries)
    _assert_clean(_everything_logged(caplog))


def test_chat_booking_and_broadcast_flows_log_no_personal_data(
    bulky_setup,
    open_booking_page,
    line_resident,
    line_emulator,
    author,
    approver,
    segment_world,
    make_residents,
    caplog,
    settings,
    send_broadcast,
):
    caplog.set_level(logging.DEBUG)
    # chat: the follow while LINE's API cannot be reached (urllib3 retries the profile URL),
    # then 受信設定, a road report with a typed place, messages no flow expects
    reachable = settings.LINE_API_BASE_URL
    settings.LINE_API_BASE_URL = "http://127.0.0.1:9"
    line_resident.follow(USER)
    settings.LINE_API_BASE_URL = reachable
    line_resident.text(USER, "受信設定")
    line_resident.text(USER, f"電話は {PHONE} メール {EMAIL}")
    line_resident.text(USER, "通報")
    line_resident.location(USER, 33.5902, 130.4017, address=f"博多区1-2-3 {PHONE}")
    line_resident.image(USER)
    line_resident.sticker(USER)
    line_emulator.expire_reply_tokens()  # replies are pushed instead: the sender logs
    line_resident.text(USER, "設定確認")
    # booking: the link from the chat, the page, a booking with address and phone
    page = open_booking_page(USER)
    page.client.get("/bulky/r/")
    page.book(page.form(area=bulky_setup.chuo.pk, collection_date=bookable_date(7).isoformat(), phone=PHONE))
    # broadcast: 60 recipients in one area, sent
    ids = make_residents(60, area=segment_world.areas[0])
    send_broadcast(areas=[segment_world.areas[0]])  # approval sends it (承認後すぐに配信)
    assert line_emulator.received_texts(ids[0]) == ["お知らせです"]
    logged = _everything_logged(caplog)
    assert len(caplog.records) > 10  # the flows did log (Celery task lines among them)
    _assert_clean(logged, PHONE, EMAIL, *ids[:5])
