"""Broadcast bubbles with translations: each resident gets the variant of the language they
chose in 受信設定 (Japanese otherwise), exactly once; the version an approver approves covers
the translations; the pages show them."""

from collections import Counter

import pytest
from django.urls import reverse

from broadcasts import services
from broadcasts.models import Batch, Broadcast
from portal.errors import DomainError
from portal.line.models import Resident
from tests.fixtures.broadcasts import approve_on_page, compose_form

pytestmark = pytest.mark.django_db

JA = "お知らせです"
EN = "This is a notice from the city."


def _bubbles(**translations):
    return [{"type": "text", "text": JA, "translations": translations}]


def _draft(author, area, **translations) -> Broadcast:
    return services.broadcast_save(
        actor=author,
        title="翻訳つき",
        audience=Broadcast.Audience.SEGMENT,
        area_ids=[area.pk],
        bubbles=_bubbles(**translations),
    )


def test_english_residents_get_english_and_everyone_else_japanese_exactly_once(
    client, author, approver, segment_world, make_residents, line_emulator, run_on_commit
):
    area = segment_world.areas[0]
    english = make_residents(520, area=area)
    korean = make_residents(30, area=area)  # chose a language the broadcast has no translation in
    unchosen = make_residents(600, area=area)
    Resident.objects.filter(line_user_id__in=english).update(language="en")
    Resident.objects.filter(line_user_id__in=korean).update(language="ko")
    b = services.broadcast_submit(broadcast=_draft(author, area, en=EN), actor=author)
    approve_on_page(client, approver, b, run_on_commit)
    assert b.status == Broadcast.Status.DONE and b.recipients_total == 1150
    batches = Counter((row.language, row.size) for row in b.batches.all())
    assert batches == Counter({("", 500): 1, ("", 130): 1, ("en", 500): 1, ("en", 20): 1})
    counts = line_emulator.counts()
    assert all(counts.get(uid) == 1 for uid in english + korean + unchosen), "someone got it other than once"
    assert line_emulator.received_texts(english[0]) == [EN] and line_emulator.received_texts(english[-1]) == [EN]
    assert line_emulator.received_texts(korean[0]) == [JA]
    assert line_emulator.received_texts(unchosen[0]) == [JA]
    # one retry key per batch, each sent once and stored with the snapshot
    sent = [r["retry_key"] for r in line_emulator.requests("multicast") if r["status"] == 200]
    assert sorted(sent) == sorted(str(k) for k in Batch.objects.filter(broadcast=b).values_list("retry_key", flat=True))


def test_without_translations_the_batches_are_as_before(author, approver, segment_world, make_residents, run_on_commit):
    area = segment_world.areas[0]
    english = make_residents(600, area=area)
    Resident.objects.filter(line_user_id__in=english).update(language="en")
    b = services.broadcast_submit(broadcast=_draft(author, area), actor=author)
    with run_on_commit():
        b = services.broadcast_approve(broadcast=b, approver=approver, version=services.content_version(b))
    assert list(b.batches.order_by("number").values_list("language", "size")) == [("", 500), ("", 100)]


def test_the_version_changes_when_a_translation_changes(author, segment_world):
    area = segment_world.areas[0]
    b = _draft(author, area)
    plain = services.content_version(b)
    b = services.broadcast_save(actor=author, broadcast=b, title="翻訳つき", audience=Broadcast.Audience.SEGMENT,
                                area_ids=[area.pk], bubbles=_bubbles(en=EN))  # fmt: skip
    with_en = services.content_version(b)
    b = services.broadcast_save(actor=author, broadcast=b, title="翻訳つき", audience=Broadcast.Audience.SEGMENT,
                                area_ids=[area.pk], bubbles=_bubbles(en=EN + "!"))  # fmt: skip
    assert len({plain, with_en, services.content_version(b)}) == 3


def test_an_approval_of_the_version_before_a_translation_changed_is_refused(author, approver, segment_world, make_residents):
    area = segment_world.areas[0]
    make_residents(60, area=area)
    b = services.broadcast_submit(broadcast=_draft(author, area, en=EN), actor=author)
    reviewed = services.content_version(b)
    b.bubbles.update(translations={"en": "Changed after the review."})
    with pytest.raises(DomainError):
        services.broadcast_approve(broadcast=b, approver=approver, version=reviewed)


def test_unknown_languages_and_long_translations_are_refused(author, segment_world):
    area = segment_world.areas[0]
    with pytest.raises(DomainError):
        _draft(author, area, fr="Bonjour")
    with pytest.raises(DomainError):
        _draft(author, area, en="a" * 5001)


def test_an_emergency_broadcast_is_one_japanese_message(author, segment_world):
    b = services.broadcast_save(actor=author, title="緊急", kind=Broadcast.Kind.EMERGENCY, bubbles=_bubbles(en=EN))
    assert list(b.bubbles.values_list("translations", flat=True)) == [{}]


def test_compose_saves_translations_and_the_detail_page_shows_them(client, author, segment_world):
    area = segment_world.areas[0]
    b = _draft(author, area, en=EN, vi="Đây là thông báo của thành phố.")
    client.force_login(author)
    compose = client.get(reverse("broadcasts:edit", args=[b.pk])).content.decode()
    assert 'name="bubble-0-text-en"' in compose and EN in compose and 'name="bubble-0-text-zh"' in compose
    detail = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert EN in detail and 'lang="vi"' in detail and "Tiếng Việt" in detail


def test_a_translation_typed_on_the_compose_page_is_saved_and_changes_the_version(client, author, segment_world):
    area = segment_world.areas[0]
    b = _draft(author, area)
    before = services.content_version(b)
    client.force_login(author)
    fields = compose_form(text=JA, areas=[area])
    response = client.post(
        reverse("broadcasts:edit", args=[b.pk]), {**fields, "bubble-0-text-en": f"  {EN} ", "bubble-0-text-ko": ""}
    )
    assert response.status_code == 302
    assert list(b.bubbles.values_list("translations", flat=True)) == [{"en": EN}]
    assert services.content_version(b) != before
    review = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert '<div class="line-msg__bubble" lang="en">' in review


def test_the_approvers_review_page_shows_the_translations(client, author, approver, segment_world, make_residents):
    area = segment_world.areas[0]
    make_residents(60, area=area)
    b = services.broadcast_submit(broadcast=_draft(author, area, en=EN, zh="这是市政府的通知。"), actor=author)
    client.force_login(approver)
    page = client.get(reverse("broadcasts:review", args=[b.pk])).content.decode()
    assert EN in page and '<div class="line-msg__bubble" lang="zh">' in page and "这是市政府的通知。" in page
    assert services.content_version(b) in page  # the version approved is the one shown, translations included


def test_the_api_takes_and_shows_translations_and_refuses_an_unknown_language(client, author, segment_world):
    area = segment_world.areas[0]
    client.force_login(author)

    def create(translations):
        body = {"title": "API翻訳", "audience": "segment", "area_ids": [area.pk],
                "bubbles": [{"type": "text", "text": JA, "translations": translations}]}  # fmt: skip
        return client.post(reverse("broadcasts:api_draft_create"), body, content_type="application/json")

    created = create({"en": EN, "ko": ""})
    assert created.status_code == 201, created.content
    assert created.json()["bubbles"][0]["translations"] == {"en": EN}  # a blank one is dropped
    detail = client.get(reverse("broadcasts:api_detail", args=[created.json()["id"]])).json()
    assert detail["bubbles"][0]["translations"] == {"en": EN}
    assert Broadcast.objects.get(pk=detail["id"]).bubbles.get().translations == {"en": EN}
    refused = create({"xx": "?"})
    assert refused.status_code == 400 and refused.json()["code"] == "bad_translation"
    assert Broadcast.objects.filter(title="API翻訳").count() == 1  # the refused one saved nothing
