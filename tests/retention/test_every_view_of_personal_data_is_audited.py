"""Every view of a resident's personal data is audited, found generically: staff of every
role open every GET URL of the portal (each ``<int:...>`` parameter tried with the ids of the
world's objects). Whenever an answer (page, API, CSV, photo) carries a resident's LINE ID,
name, typed address, comment, booking address or phone, the same request must have added
an audit entry naming that staff member; and every such answer is ``private, no-store``."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts import roles
from accounts.models import AuditEntry

TYPED_PLACE = "自宅前 山田花子 090-1234-5678 博多区1-2-3"
COMMENT = "夜は自宅 092-111-2222 におります"
NAME = "山田 梅子"


def _get_paths(ids: list[int], strings: dict[str, list[str]]) -> list[str]:
    """Every URL of the portal, parameters filled with ``ids`` (ints) or ``strings[name]``."""
    paths: set[str] = set()

    def fill(route: str) -> list[str]:
        match = re.search(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>[^)]*\)", route)
        if not match:
            return [route.replace("^", "").replace("$", "").replace("\\", "")]
        if match.group(3):  # a DRF router's regex group: (?P<pk>[^/.]+)
            converter, name = ("int" if match.group(3) == "pk" else "str"), match.group(3)
        else:
            converter, name = match.group(1) or "str", match.group(2)
        values = [str(i) for i in ids] if converter == "int" or name == "pk" else strings.get(name, [])
        out = []
        for value in values:
            out += fill(route[: match.start()] + value + route[match.end() :])
        return out

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                for path in fill(route):
                    paths.add("/" + path)

    walk(get_resolver().url_patterns, "")
    return sorted(p for p in paths if not p.startswith(("/line/webhook", "/accounts/logout", "/i18n/")))


@pytest.mark.django_db
def test_an_answer_with_personal_data_is_always_audited_and_never_stored(portal_world):
    from intake.roads.models import RoadReport

    w = portal_world
    w.resident.display_name = NAME
    w.resident.save(update_fields=["display_name"])
    RoadReport.objects.filter(pk=w.report.pk).update(address_text=TYPED_PLACE, comment=COMMENT)
    secrets = [w.resident.line_user_id, NAME, "090-1234-5678", "092-111-2222", w.booking.address, w.booking.phone]
    ids = sorted(
        {w.report.pk, w.booking.pk, w.photo.pk, w.draft.pk, w.member.pk, w.resident.pk, w.item.pk, w.area.pk, w.inquiry.pk}
    )
    strings = {
        "variant": ["full", "thumb", "preview"],
        "kind": ["categories", "templates", "teams"],
        "fmt": ["json", "xml"],
        "code": [w.category.code],
        "request_id": [w.report.reference],
        "token": [w.photo.public_token] if w.photo.public_token else [],
        "format": ["json"],
    }
    paths = _get_paths(ids, strings)
    paths.append(f"/bulky/routes/?area={w.collection_area.pk}&date={w.booking.collection_date.isoformat()}")
    paths.append(f"/bulky/routes.csv?area={w.collection_area.pk}&date={w.booking.collection_date.isoformat()}")

    unaudited, cached, seen = [], [], 0
    for role in [*roles.ROLE_ORDER, "none"]:
        user = w.users[role]
        client = Client()
        client.force_login(user)
        for path in paths:
            before = AuditEntry.objects.filter(actor=user).count()
            response = client.get(path)
            body = b"".join(response.streaming_content) if response.streaming else response.content
            text = body.decode("utf-8", "replace")
            found = [s for s in secrets if s and s in text]
            if not found:
                continue
            seen += 1
            if AuditEntry.objects.filter(actor=user).count() == before:
                unaudited.append(f"{role} {path} shows {found}")
            value = response.get("Cache-Control", "")
            if "no-store" not in value or "private" not in value:
                cached.append(f"{role} {path} {value!r}")
    assert seen >= 5, "no answer carried personal data: the walk reached nothing"
    assert not unaudited, unaudited
    assert not cached, cached
