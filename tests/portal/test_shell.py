"""The portal shell: navigation shows only what the user may open, the dashboard's counts
come from real queries, English is selectable, and production settings pass --deploy."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from accounts import audit, roles
from accounts.models import AuditEntry
from accounts.services import audit_record

ROOT = Path(__file__).resolve().parents[2]
PAGE = "/accounts/2fa/"


def _nav(html: str) -> str:
    start = html.index('<nav class="site-nav"')
    return html[start : html.index("</nav>", start)]


@pytest.mark.django_db
def test_navigation_shows_only_the_sections_a_role_may_open(client, make_staff):
    # /accounts/2fa/ renders the shell (navigation) without anyone's dashboard cards
    client.force_login(make_staff(roles.ADMIN))
    nav = _nav(client.get(PAGE).content.decode())
    assert "/staff/" in nav and "/staff/audit/" in nav

    client.force_login(make_staff(roles.AUDITOR))
    nav = _nav(client.get(PAGE).content.decode())
    assert "/staff/audit/" in nav and 'href="/staff/"' not in nav

    client.force_login(make_staff(roles.ROAD))
    nav = _nav(client.get(PAGE).content.decode())
    assert "/staff/" not in nav and "ダッシュボード" in nav


@pytest.mark.django_db
def test_admin_dashboard_counts_come_from_real_queries(client, make_staff):
    admin = make_staff(roles.ADMIN)
    make_staff(roles.ROAD)
    make_staff(roles.WASTE, is_active=False)
    for _ in range(3):
        audit_record(action=audit.LOGIN_SUCCESS, actor=admin)
    audit_record(action=audit.LOGIN_FAILED)
    client.force_login(admin)
    cards = {str(c.title): c.value for c in client.get("/").context["cards"]}
    assert cards["有効な職員"] == 2
    assert cards["本日のサインイン"] == 4  # three recorded + the force_login above (audited too)
    assert cards["本日のサインイン失敗"] == 1
    assert cards["本日の監査ログ"] == AuditEntry.objects.count()
    make_staff(roles.PR_AUTHOR)
    cards = {str(c.title): c.value for c in client.get("/").context["cards"]}
    assert cards["有効な職員"] == 3


@pytest.mark.django_db
def test_auditor_sees_audit_card_but_no_staff_cards(client, make_staff):
    client.force_login(make_staff(roles.AUDITOR))
    audit_record(action=audit.LOGIN_SUCCESS)
    titles = [str(c.title) for c in client.get("/").context["cards"]]
    assert "本日の監査ログ" in titles
    assert "有効な職員" not in titles


@pytest.mark.django_db
def test_switching_to_english_changes_the_page_text(client, make_staff):
    client.force_login(make_staff(roles.ADMIN))
    html = client.get("/staff/").content.decode()
    assert "ダッシュボード" in html and "職員を招待" in html and '<html lang="ja">' in html
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/staff/"})
    assert response.status_code == 302
    html = client.get("/staff/").content.decode()
    assert '<html lang="en">' in html
    assert "Dashboard" in html and "Audit log" in html and "Sign out" in html
    assert "Invite staff" in html and "Role settings" in html and "System administrator" in html
    assert "ダッシュボード" not in html and "職員を招待" not in html
    client.logout()
    client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})  # works signed out too
    login = client.get("/accounts/login/").content.decode()
    assert "Staff sign-in" in login and "Forgot your password?" in login


@pytest.mark.django_db
def test_security_headers_and_no_cdn(client):
    html = client.get("/accounts/login/").content.decode()
    assert "https://" not in html.split("<body>")[0]  # styles are served locally


def test_production_settings_pass_check_deploy():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "portal.city.example.jp",
        "LINE_CHANNEL_SECRET": secrets.token_hex(16),
        "LINE_CHANNEL_ACCESS_TOKEN": secrets.token_hex(32),
        "BROADCAST_RECIPIENT_HASH_KEY": secrets.token_hex(32),
        "PORTAL_BASE_URL": "https://portal.city.example.jp",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_secrets():
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "LINE_CHANNEL_SECRET"}}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_forbidden_page_is_in_the_portal_layout_and_translated(client, make_staff):
    client.force_login(make_staff(roles.ROAD))
    response = client.get("/staff/")
    assert response.status_code == 403
    assert "このページを開く権限がありません" in response.content.decode()
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "You may not open this page" in client.get("/staff/").content.decode()


@pytest.mark.django_db
def test_django_admin_signs_in_through_allauth_not_its_own_form(client, make_staff):
    response = client.get("/django-admin/login/?next=/django-admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    developer = make_staff(is_staff=True, is_superuser=True)
    response = client.post("/django-admin/login/", {"username": developer.email, "password": "pass-word-123"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/django-admin/").status_code == 302  # not signed in by the admin form
