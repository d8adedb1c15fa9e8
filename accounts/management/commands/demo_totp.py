"""Print a staff member's current TOTP code (demo and development only: refuses when DEBUG is off)."""

import time
from typing import Any

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from portal.demo import refuse_outside_debug


class Command(BaseCommand):
    help = "Print the current TOTP code of a staff member's authenticator (DEBUG only)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_outside_debug("demo_totp")
        try:
            user = User.objects.get(email__iexact=options["email"])
            authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
        except (User.DoesNotExist, Authenticator.DoesNotExist) as exc:
            raise CommandError("no such staff member with a TOTP authenticator") from exc
        secret = decrypt(authenticator.data["secret"])
        counter = int(time.time()) // app_settings.TOTP_PERIOD
        remaining = app_settings.TOTP_PERIOD - int(time.time()) % app_settings.TOTP_PERIOD
        self.stdout.write(f"{format_hotp_value(hotp_value(secret, counter))}  (valid for {remaining}s)")
