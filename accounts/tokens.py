"""Single-use, expiring invitation links (Django's token generator with its own salt).

The token hashes the password, so it stops working the moment the password is set."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int

from .models import User

# Overridable with STAFF_INVITATION_TIMEOUT (seconds) in settings.
DEFAULT_INVITATION_TIMEOUT = int(timedelta(days=7).total_seconds())


def invitation_timeout() -> int:
    return int(getattr(settings, "STAFF_INVITATION_TIMEOUT", DEFAULT_INVITATION_TIMEOUT))


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.tokens.InvitationTokenGenerator"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if not (user and token):
            return False
        try:
            ts_b36, _hash = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token):
                break
        else:
            return False
        return (self._num_seconds(self._now()) - ts) <= invitation_timeout()


invitation_tokens = InvitationTokenGenerator()
