"""A request Django refuses as suspicious (a Host not in ``ALLOWED_HOSTS``, a body over
``DATA_UPLOAD_MAX_MEMORY_SIZE``, too many fields or files) already gets its 400; Django
also logs it on ``django.security.<Name>`` at ERROR *with the exception's traceback*, so
anyone on the internet could fill the operations log with tracebacks that point at no bug.
This filter, on those loggers, keeps the one line at WARNING and drops the traceback."""

from __future__ import annotations

import logging

# The django.security.* loggers Django writes to for a refused request (one per exception).
SECURITY_LOGGERS = [
    "django.security.DisallowedHost",
    "django.security.DisallowedRedirect",
    "django.security.RequestDataTooBig",
    "django.security.TooManyFieldsSent",
    "django.security.TooManyFilesSent",
    "django.security.SuspiciousOperation",
    "django.security.SuspiciousFileOperation",
    "django.security.SuspiciousMultipartForm",
    "django.security.SuspiciousSession",
]


class RefusedRequestWithoutTraceback(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            exc = record.exc_info[1]
            record.exc_info = None
            record.exc_text = None
            record.msg, record.args = f"refused request ({type(exc).__name__}): %s", (record.getMessage(),)
        if record.levelno > logging.WARNING:
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
