"""Demo staff: one account per role, with printed passwords (demo only).

The demo admin's TOTP authenticator is set up with a fixed, printed secret so the demo can
be tried without a phone: ``python manage.py demo_totp admin@city.example.jp`` prints the
current code (or add the secret to any authenticator app)."""

from collections.abc import Callable

from django.contrib.auth.models import Group

from . import roles
from .models import User

DEMO_STAFF = [
    ("admin@city.example.jp", "管理 太郎", [roles.ADMIN], "demo-admin-pass"),
    ("pr@city.example.jp", "広報 花子", [roles.PR_AUTHOR], "demo-pr-pass"),
    ("approver@city.example.jp", "承認 次郎", [roles.PR_APPROVER], "demo-approver-pass"),
    ("road@city.example.jp", "道路 三郎", [roles.ROAD], "demo-road-pass"),
    ("waste@city.example.jp", "環境 四郎", [roles.WASTE], "demo-waste-pass"),
    ("auditor@city.example.jp", "監査 五郎", [roles.AUDITOR], "demo-auditor-pass"),
]
# Base32; demo only. Real admins scan their own QR code at first sign-in.
DEMO_ADMIN_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def load_demo_staff(say: Callable[[str], None]) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    for email, name, codes, password in DEMO_STAFF:
        user, created = User.objects.get_or_create(email=email, defaults={"full_name": name})
        if created:
            user.set_password(password)
            user.save()
        user.groups.set(Group.objects.filter(name__in=codes))
        if roles.ADMIN in codes and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_ADMIN_TOTP_SECRET)
    for line in demo_login_lines():
        say(line)


def demo_login_lines() -> list[str]:
    """The demo logins and the TOTP hint, as ``demo_setup`` and ``make run`` print them."""
    lines = []
    for email, _name, codes, password in DEMO_STAFF:
        labels = "・".join(roles.role_label(c) for c in codes)
        lines.append(f"  {labels:<10} {email:<28} password: {password}")
    lines += [
        f"  (システム管理者 needs a TOTP code: MFA is mandatory for admins. Demo TOTP secret: {DEMO_ADMIN_TOTP_SECRET};",
        "   current code: DJANGO_SETTINGS_MODULE=portal.settings.local "
        ".venv/bin/python manage.py demo_totp admin@city.example.jp",
        "   a code signs in once: for a second sign-in within the same 30 seconds, wait for the next code)",
    ]
    return lines
