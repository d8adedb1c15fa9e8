"""Staff pages of the Q&A base and the ごみ分別 dictionary, through HTTP (and the chat through
the signed webhook where a page's change must, or must not yet, reach residents)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts import roles
from accounts.models import AuditEntry
from intake.questions.demo import load_demo
from intake.questions.models import FaqBase, FaqEntry, FaqVersion, GomiItem
from portal.line.devtools.simulate import user_id_for


@pytest.fixture
def demo_base(db):
    load_demo(lambda _text: None)


@pytest.fixture
def author_client(client, make_staff):
    client.force_login(make_staff(roles.PR_AUTHOR))
    return client


@pytest.fixture
def waste_client(client, make_staff):
    client.force_login(make_staff(roles.WASTE))
    return client


def content_of(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def upload(text: str, name: str = "faq.csv", encoding: str = "utf-8") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(encoding), content_type="text/csv")


def edit_values(entry: FaqEntry, **changes) -> dict:
    values = {
        "question": entry.question,
        "variants": "\n".join(entry.variants),
        "keywords": "\n".join(entry.keywords),
        "answer": entry.answer,
        "link": entry.link,
        "quick_replies": "\n".join(entry.quick_replies),
        "category": entry.category,
    }
    for code, t in entry.translations.items():
        values[f"{code}_question"], values[f"{code}_answer"] = t["question"], t["answer"]
    values.update(changes)
    return values


def base_rows() -> list[tuple]:
    return list(
        FaqEntry.objects.exclude(status__in=["withdrawn", "retired"])
        .order_by("key")
        .values_list("key", "question", "answer", "category", "variants", "keywords", "link", "quick_replies", "translations")
    )


def test_demo_base_is_published_with_translations_and_the_dictionary(demo_base):
    assert FaqEntry.objects.count() == 146
    assert FaqVersion.objects.get().entry_count == 146
    assert FaqBase.load().status == FaqBase.Status.PUBLISHED
    first = FaqEntry.objects.get(key="FAQ-0001")
    assert {"en", "zh", "ko", "vi", "ja-easy"} <= set(first.translations)
    assert GomiItem.objects.count() == 472
    load_demo(lambda _text: None)  # idempotent
    assert FaqVersion.objects.count() == 1 and GomiItem.objects.count() == 472


def test_export_then_import_gives_the_same_base(demo_base, author_client):
    before = base_rows()
    imports = AuditEntry.objects.filter(action="questions.faq_imported").count()  # the demo's
    exported = content_of(author_client.get("/questions/export.csv"))
    header = next(csv.reader(io.StringIO(exported)))
    assert header[:4] == ["ID", "問い合わせ文", "応答文", "カテゴリ"]
    # Change the draft: an edit, a withdrawal and a new entry.
    fees = FaqEntry.objects.get(key="FAQ-0002")
    author_client.post(f"/questions/{fees.pk}/edit/", edit_values(fees, answer="書き換えた回答です。", variants="一つだけ"))
    author_client.post(f"/questions/{FaqEntry.objects.get(key='FAQ-0003').pk}/withdraw/")
    author_client.post("/questions/new/", {"question": "新しい質問ですか？", "answer": "新しい回答です。"})
    assert base_rows() != before
    response = author_client.post("/questions/import/", {"file": upload(exported), "replace": "on"})
    assert response.status_code == 302
    assert base_rows() == before
    assert content_of(author_client.get("/questions/export.csv")) == exported
    assert AuditEntry.objects.filter(action="questions.faq_imported").count() == imports + 1


def test_import_into_an_empty_base_then_export_gives_the_same_file(demo_base, author_client):
    exported = content_of(author_client.get("/questions/export.csv"))
    FaqEntry.objects.all().delete()
    author_client.post("/questions/import/", {"file": upload(exported)})
    assert FaqEntry.objects.count() == 146
    assert content_of(author_client.get("/questions/export.csv")) == exported


def test_a_formula_like_answer_survives_export_and_import(demo_base, author_client):
    entry = FaqEntry.objects.get(key="FAQ-0005")
    author_client.post(f"/questions/{entry.pk}/edit/", edit_values(entry, answer="-2度以下の日は凍結に注意してください。"))
    exported = content_of(author_client.get("/questions/export.csv"))
    assert "'-2度以下" in exported  # guarded for spreadsheet software
    author_client.post("/questions/import/", {"file": upload(exported)})
    assert FaqEntry.objects.get(key="FAQ-0005").answer == "-2度以下の日は凍結に注意してください。"


def test_bad_csv_lists_every_problem_and_imports_nothing(demo_base, author_client):
    before = base_rows()
    audited = AuditEntry.objects.count()
    bad = (
        "ID,問い合わせ文,応答文,カテゴリ,リンク,クイックリプライ\n"
        "FAQ-0001,粗大ごみは？,書き換えます,ゴミ・リサイクル,,\n"  # fine on its own
        "FAQ-0900,応答文のない質問,,税金,,\n"
        "FAQ-0001,重複,重複した回答,税金,,\n"
        "FAQ-0901,リンクが変,回答,税金,javascript:alert(1),\n"
        "FAQ-0902,ボタンが長い,回答,税金,,とても長いクイックリプライのラベルでLINEの上限を超えます\n"
    )
    response = author_client.post("/questions/import/", {"file": upload(bad)})
    assert response.status_code == 200
    page = response.content.decode()
    assert "CSVに問題があるため、何も取り込んでいません。" in page
    assert "3行目：応答文が空です" in page
    assert "4行目：ID「FAQ-0001」が2行目と重複しています" in page
    assert "5行目：リンクは https:// または / で始まるアドレスにしてください" in page
    assert "6行目：クイックリプライ「" in page
    assert base_rows() == before
    assert AuditEntry.objects.count() == audited


def test_csv_without_the_required_columns_and_in_shift_jis(demo_base, author_client):
    page = author_client.post("/questions/import/", {"file": upload("質問,回答\nあ,い\n")}).content.decode()
    assert "1行目：必要な列がありません：ID、問い合わせ文、応答文、カテゴリ" in page
    sjis = "ID,問い合わせ文,応答文,カテゴリ\n,犬の登録はどこでできますか,保健所の窓口で登録できます。,窓口の受付時間\n"
    author_client.post("/questions/import/", {"file": upload(sjis, encoding="cp932")})
    added = FaqEntry.objects.get(question="犬の登録はどこでできますか")
    assert added.key == "FAQ-0147" and added.status == FaqEntry.Status.NEW


def test_try_answers_from_the_draft_and_the_chat_only_after_publishing(demo_base, author_client, line_resident, line_emulator):
    entry = FaqEntry.objects.get(key="FAQ-0002")
    new_answer = "粗大ごみの手数料は、この春から一律800円になりました。"
    response = author_client.post(f"/questions/{entry.pk}/edit/", edit_values(entry, answer=new_answer))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.CHANGED and FaqBase.load().status == FaqBase.Status.CHANGED
    tried = author_client.post("/questions/try/", {"text": "粗大ごみの手数料はいくらですか"}).content.decode()
    assert "回答します" in tried and new_answer in tried
    user = user_id_for("draft")
    line_resident.text(user, "粗大ごみの手数料はいくらですか")
    assert line_emulator.received(user)[-1]["text"].startswith("粗大ごみの手数料は品目ごとに")  # still the published one
    published = author_client.post(f"/questions/base/{FaqBase.load().pk}/publish/", follow=True).content.decode()
    assert "第2版を公開しました" in published
    line_resident.text(user, "粗大ごみの手数料はいくらですか")
    assert line_emulator.received(user)[-1]["text"].startswith(new_answer)
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.PUBLISHED


def test_try_shows_candidates_and_handoff(demo_base, author_client):
    assert "候補の質問を出します" in author_client.post("/questions/try/", {"text": "手続き"}).content.decode()
    assert "職員に引き継ぎます" in author_client.post("/questions/try/", {"text": "明日の天気は晴れますか"}).content.decode()


def test_withdrawn_entry_is_answered_until_published(demo_base, author_client, line_resident, line_emulator):
    entry = FaqEntry.objects.get(key="FAQ-0002")
    author_client.post(f"/questions/{entry.pk}/withdraw/")
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.WITHDRAWN
    tried = author_client.post("/questions/try/", {"text": "粗大ごみの手数料はいくらですか"}).content.decode()
    assert "FAQ-0002 粗大ごみの手数料はいくらですか。" not in tried.split("近い項目")[0]
    user = user_id_for("withdrawn")
    line_resident.text(user, "粗大ごみの手数料はいくらですか")
    assert line_emulator.received(user)[-1]["text"].startswith("粗大ごみの手数料は品目ごとに")
    author_client.post(f"/questions/base/{FaqBase.load().pk}/publish/")
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.RETIRED
    # A withdrawn entry cannot be edited until it is restored (the table says so).
    assert author_client.post(f"/questions/{entry.pk}/edit/", edit_values(entry, answer="x")).status_code == 302
    entry.refresh_from_db()
    assert entry.answer != "x"
    author_client.post(f"/questions/{entry.pk}/restore/")
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.NEW


def test_changes_are_audited_with_field_diffs(demo_base, author_client, make_staff):
    entry = FaqEntry.objects.get(key="FAQ-0002")
    old = entry.answer
    author_client.post(f"/questions/{entry.pk}/edit/", edit_values(entry, answer="新しい回答。", en_answer="New answer."))
    changed = AuditEntry.objects.get(action="questions.entry_changed")
    assert changed.target_id == str(entry.pk) and changed.actor is not None
    assert changed.detail["changes"]["answer"] == [old, "新しい回答。"]
    assert "New answer." in changed.detail["changes"]["translations"][1]
    author_client.post("/questions/new/", {"question": "追加の質問？", "answer": "追加の回答。", "category": "税金"})
    created = AuditEntry.objects.filter(action="questions.entry_created", actor__isnull=False).get()
    assert created.detail["changes"]["question"] == [None, "追加の質問？"]
    author_client.post(f"/questions/{entry.pk}/withdraw/")
    author_client.post(f"/questions/{entry.pk}/restore/")
    author_client.post(f"/questions/base/{FaqBase.load().pk}/publish/")
    published = AuditEntry.objects.get(action="questions.base_published", actor__isnull=False)
    assert published.detail["version"] == 2 and published.detail["new"] == 1
    assert {"questions.entry_withdrawn", "questions.entry_restored"} <= set(AuditEntry.objects.values_list("action", flat=True))


def test_an_unchanged_save_is_not_audited_and_keeps_the_state(demo_base, author_client):
    entry = FaqEntry.objects.get(key="FAQ-0002")
    author_client.post(f"/questions/{entry.pk}/edit/", edit_values(entry))
    entry.refresh_from_db()
    assert entry.status == FaqEntry.Status.PUBLISHED
    assert not AuditEntry.objects.filter(action="questions.entry_changed").exists()


def test_bad_entry_input_is_refused_with_its_reason(demo_base, author_client):
    entry = FaqEntry.objects.get(key="FAQ-0002")
    page = author_client.post(
        f"/questions/{entry.pk}/edit/", edit_values(entry, link="ftp://x", quick_replies="a|b", answer="")
    ).content.decode()
    assert "https:// または / で始まるアドレスにしてください。" in page
    assert "「|」は使えません" in page
    entry.refresh_from_db()
    assert entry.link.startswith("https://")


def test_english_question_on_an_entry_translated_only_in_its_question_gets_japanese_with_a_note(
    demo_base, author_client, line_resident, line_emulator
):
    author_client.post(
        "/questions/new/",
        {
            "question": "犬の登録はどこでできますか",
            "answer": "犬の登録は保健所の窓口でできます。",
            "en_question": "Where do I register my dog?",
        },
    )
    author_client.post(f"/questions/base/{FaqBase.load().pk}/publish/")
    user = user_id_for("dog")
    line_resident.text(user, "Where do I register my dog?")
    text = line_emulator.received(user)[-1]["text"]
    assert text.startswith("(This answer is only available in Japanese.)")
    assert "犬の登録は保健所の窓口でできます。" in text


def test_feedback_counts_are_shown_on_the_list(demo_base, author_client, line_resident, line_emulator):
    user = user_id_for("counts")
    line_resident.postback(user, "flow=faq&action=feedback&entry=FAQ-0002&value=no&lang=ja")
    line_resident.postback(user, "flow=faq&action=feedback&entry=FAQ-0002&value=no&lang=ja")
    line_resident.postback(user, "flow=faq&action=feedback&entry=FAQ-9999&value=yes&lang=ja")  # unknown: nothing counted
    assert FaqEntry.objects.get(key="FAQ-0002").not_helpful == 2
    page = author_client.get("/questions/?q=手数料").content.decode()
    row = page.split("FAQ-0002")[1].split("</tr>")[0]
    assert row.rstrip().endswith('<td class="nowrap">0</td>\n      <td class="nowrap">2</td>')


def test_list_search_and_category_filter(demo_base, author_client):
    page = author_client.get("/questions/?category=観光").content.decode()
    assert page.count('href="/questions/') - page.count('href="/questions/?') > 0
    assert "FAQ-0001" not in page and "観光" in page
    assert "FAQ-0002" in author_client.get("/questions/?q=処理券").content.decode()


def test_gomi_import_replaces_the_dictionary_and_the_chat_uses_it(demo_base, waste_client, line_resident, line_emulator):
    text = (
        "種別,品目,注意,ふりがな\n"
        "有害ごみ,乾電池,新しい出し方：透明な袋に入れて回収箱へ。,かんでんち\n"
        "粗大ごみ,ソファ,申し込みが必要です。,そふぁ\n"
    )
    response = waste_client.post("/questions/gomi/import/", {"file": upload(text, "gomi.csv")})
    assert response.status_code == 302
    assert GomiItem.objects.count() == 2
    user = user_id_for("gomi-new")
    line_resident.text(user, "乾電池")
    assert "新しい出し方：透明な袋に入れて回収箱へ。" in line_emulator.received(user)[-1]["text"]
    entry = AuditEntry.objects.filter(action="questions.gomi_imported", actor__isnull=False).get()
    assert entry.detail["items"] == 2 and entry.detail["counts"]["removed"] == 470
    exported = content_of(waste_client.get("/questions/gomi/export.csv"))
    assert exported.splitlines()[0] == "種別,品目,注意,ふりがな"
    waste_client.post("/questions/gomi/import/", {"file": upload(exported, "gomi.csv")})
    assert content_of(waste_client.get("/questions/gomi/export.csv")) == exported


def test_bad_gomi_csv_lists_rows_and_keeps_the_dictionary(demo_base, waste_client):
    bad = "種別,品目,注意,ふりがな\n燃えるごみ,,注意,\n,なべ,,\n燃えるごみ,生ごみ,,\n燃えるごみ,生ごみ,,\n"
    page = waste_client.post("/questions/gomi/import/", {"file": upload(bad, "gomi.csv")}).content.decode()
    assert "2行目：品目が空です" in page and "3行目：種別が空です" in page
    assert "5行目：品目「生ごみ」が4行目と重複しています" in page
    assert GomiItem.objects.count() == 472
    assert AuditEntry.objects.filter(action="questions.gomi_imported").count() == 1  # only the demo's


def test_gomi_page_searches(demo_base, waste_client):
    page = waste_client.get("/questions/gomi/?q=乾電池").content.decode()
    assert "有害ごみ" in page and "1品目" in page


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, user, roles, 2 × permissions; categories, entries, the base's state
        ("/questions/", 8),
        ("/questions/?q=ごみ&category=ゴミ・リサイクル", 8),
        # session, user, roles, 2 × permissions; kinds, items
        ("/questions/gomi/", 7),
        ("/questions/gomi/?q=電池", 7),
    ],
)
def test_list_pages_make_a_fixed_number_of_queries(demo_base, author_client, assert_queries, url, queries):
    author_client.get(url)  # warm: the session's first use
    with assert_queries(queries):
        assert author_client.get(url).status_code == 200


def test_base_and_entry_pages_make_a_fixed_number_of_queries(demo_base, author_client, assert_queries):
    author_client.get("/questions/")
    base = FaqBase.load()
    with assert_queries(8):  # 5 for the staff member; the base, its entries' states, the versions
        assert author_client.get(f"/questions/base/{base.pk}/").status_code == 200
    entry = FaqEntry.objects.get(key="FAQ-0001")
    with assert_queries(7):  # 5 for the staff member; the entry (with who updated it), the base
        assert author_client.get(f"/questions/{entry.pk}/").status_code == 200
