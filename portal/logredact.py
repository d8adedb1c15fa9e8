"""Redaction of personal data in log lines: LINE user IDs, phone numbers and e-mail
addresses never reach a log handler.

Two layers, both installed by ``LOGGING`` (settings) naming the filter:
- ``install()`` wraps the log-record factory, so every record is redacted when it is made,
  whichever handler takes it (console, a Celery worker's own handlers, which replace the
  configured ones, test capture) — message, arguments, exception text and stack;
- ``RedactPersonalData``, a filter on every configured handler, redacts again whatever a
  record picked up after it was made (a library setting ``msg`` itself).

urllib3's retry warning (``Retrying (...) after connection broken by ...: /v2/bot/profile/U…``)
is one of the lines this exists for.
"""

from __future__ import annotations

import logging
import re
import traceback

# LINE user/group/room IDs ("U" + 32 lower-hex; also any U/C/R followed by a long hex run).
LINE_ID = re.compile(r"(?<![0-9A-Za-z])[UCR][0-9a-fA-F]{16,}(?![0-9A-Za-z])")
EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")
# Japanese phone numbers, with or without separators (090-1234-5678, 092 711 4111,
# 09012345678, +81-90-1234-5678, full-width digits too).
PHONE = re.compile(
    r"(?<![\d.０-９])(?:(?:\+|＋)?81[-\s‐－ー]?|[0０])[\d０-９]{1,4}[-\s‐－ー()（）]{0,2}[\d０-９]{1,4}[-\s‐－ー]?[\d０-９]{3,4}(?![\d０-９])"
)

LINE_ID_MARK = "<line-id>"
EMAIL_MARK = "<email>"
PHONE_MARK = "<phone>"


def redact(text: str) -> str:
    """``text`` with LINE IDs, e-mail addresses and phone numbers replaced by markers."""
    if not text:
        return text
    text = LINE_ID.sub(LINE_ID_MARK, text)
    text = EMAIL.sub(EMAIL_MARK, text)
    return PHONE.sub(PHONE_MARK, text)


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact ``record`` in place: its message is formatted now (arguments included) and
    replaced by the redacted text; exception and stack text likewise."""
    if getattr(record, "_portal_redacted", None) == (record.msg, record.args):
        return record
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a bad format string: keep what can be kept
        message = f"{record.msg!s} {record.args!s}"
    record.msg = redact(message)
    record.args = ()
    if record.exc_info and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._portal_redacted = (record.msg, record.args)
    return record


class RedactPersonalData(logging.Filter):
    """A handler filter (``LOGGING["filters"]``): never drops a record, only redacts it.
    Configuring it also installs the redacting record factory (``install``)."""

    def __init__(self, name: str = "") -> None:
        super().__init__(name)
        install()

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_installed = False


def install() -> None:
    """Redact every log record when it is made (idempotent)."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:  # noqa: ANN002, ANN003
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    _installed = True
