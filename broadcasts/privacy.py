"""How resident counts are shown: the one place that turns an exact count into words.

Below the 50-recipient minimum a count is never a number: 「50人未満」.

Estimates (``rounded_reach``) are rounded to coarse buckets (50 below 1,000, then 100,
1,000, 10,000) with the bucket edges shifted by deterministic noise. The noise is an HMAC,
under the server's secret key, of the *exact count itself*, not of the segment's wording:

- two estimates that differ only by a small group (say 7 people) come out either equal or
  one bucket apart, whichever the group's size; the difference of the two shown figures is
  always a multiple of the bucket width, so it never equals the group's size and is
  consistent with every group size up to the bucket width (tests/broadcasts/test_privacy.py);
- the same exact count always gives the same figure, however the segment is worded, so
  asking many equivalent questions cannot average the noise away;
- the secret key keeps the bucket edges unknown, so a figure cannot be inverted into the
  exact count.
"""

import hashlib
import hmac

from django.conf import settings
from django.utils.translation import gettext as _

from .models import MIN_RECIPIENTS


def bucket_width(count: int) -> int:
    if count < 1000:
        return 50
    if count < 10_000:
        return 100
    if count < 100_000:
        return 1000
    return 10_000


def _offset(count: int, width: int) -> int:
    digest = hmac.new(settings.SECRET_KEY.encode(), f"reach:{count}".encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big") % width


def rounded_reach(count: int) -> int | None:
    """The figure shown for an estimate of ``count`` recipients; None below the minimum."""
    if count < MIN_RECIPIENTS:
        return None
    width = bucket_width(count)
    value = ((count + _offset(count, width)) // width) * width
    return max(value, MIN_RECIPIENTS)


def below_minimum_text() -> str:
    return _("50人未満 — 最低配信人数に達していません")


def reach_text(count: int) -> str:
    shown = rounded_reach(count)
    if shown is None:
        return below_minimum_text()
    return _("約%(count)s人") % {"count": f"{shown:,}"}


def people(count: int) -> str:
    """An exact count of residents for progress/results: 「50人未満」 below the minimum."""
    if count < MIN_RECIPIENTS:
        return _("50人未満")
    return _("%(count)s人") % {"count": f"{count:,}"}
