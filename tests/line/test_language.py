"""Residents' languages through the signed webhook, read back from the emulator's record:
the 受信設定 language question, 「言語」, answers in the chosen language, the purge."""

from collections import Counter
from datetime import timedelta

import pytest
from django.utils import timezone

from intake.questions.demo import load_demo
from portal.line.devtools.demo import segments_load_demo
from portal.line.devtools.simulate import user_id_for
from portal.line.language import CODES, NAMES, WORDS, detect_language
from portal.line.models import Resident
from portal.line.retention import residents_purge_blocked
from tests.fixtures.line import quick_reply_labels

USER = user_id_for("language-resident")


@pytest.fixture
def base(db):
    segments_load_demo()
    load_demo(lambda _text: None)


def test_choosing_english_in_preferences_then_a_japanese_question_is_answered_in_english(base, line_resident, line_emulator):
    line_resident.answer_preferences(USER)
    done = line_emulator.received(USER)[-1]
    assert "受信設定を登録しました" in done["text"]
    assert quick_reply_labels(done) == ["日本語", "やさしい日本語", "English", "中文", "한국어", "Tiếng Việt"]
    line_resident.tap(USER, "English")
    assert Resident.objects.get(line_user_id=USER).language == "en"
    chosen = line_emulator.received(USER)[-1]["text"]
    assert chosen.startswith("Your language is now English.") and WORDS["en"]["note"] in chosen
    line_resident.text(USER, "粗大ごみの手数料はいくらですか。")  # written in Japanese: the choice wins
    answer = line_emulator.received(USER)[-1]
    assert answer["text"].startswith("The fee is 200, 500, 1,000 or 1,500 yen per item")
    assert quick_reply_labels(answer)[-3:] == ["Helpful", "Not helpful", "Ask staff"]


def test_an_entry_without_the_translation_comes_in_japanese_with_a_note_in_theirs(base, line_resident, line_emulator):
    line_resident.follow(USER)
    line_resident.text(USER, "言語")  # the word starts just the language question
    question = line_emulator.received(USER)[-1]
    assert "Please choose your language." in question["text"] and "언어를 선택해 주세요." in question["text"]
    line_resident.tap(USER, "Tiếng Việt")
    line_resident.text(USER, "生ごみ処理機の購入に補助はありますか。")  # FAQ-0015: Japanese (and English) only
    answer = line_emulator.received(USER)[-1]["text"]
    assert "(Câu trả lời này chỉ có bằng tiếng Nhật.)" in answer
    assert "補助" in answer


def test_an_english_question_without_a_choice_gets_the_english_translation(base, line_resident, line_emulator):
    line_resident.text(USER, "How much does bulky waste collection cost?")
    assert line_emulator.received(USER)[-1]["text"].startswith("The fee is 200, 500, 1,000 or 1,500 yen per item")
    assert Resident.objects.get(line_user_id=USER).language == ""  # detected per message, not stored


@pytest.mark.parametrize("word", ["language", "Language", "言語", "언어", "语言", "ngôn ngữ"])
def test_language_words_start_the_question(base, line_resident, line_emulator, word):
    line_resident.text(USER, word)
    assert quick_reply_labels(line_emulator.received(USER)[-1]) == [NAMES[c] for c in CODES]


def test_a_forged_language_value_is_not_stored(base, line_resident, line_emulator):
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=lang&value=xx")
    assert Resident.objects.get(line_user_id=USER).language == ""
    assert "Please choose your language." in line_emulator.received(USER)[-1]["text"]


def test_every_language_has_the_question_and_the_japanese_only_note():
    for code in CODES:
        assert WORDS[code]["question"]
        assert code == "ja" or WORDS[code]["note"]


def test_the_choice_is_cleared_with_the_residents_other_personal_data(base, line_resident, line_emulator):
    line_resident.follow(USER)
    line_resident.postback(USER, "flow=lang&value=ko")
    Resident.objects.filter(line_user_id=USER).update(status="blocked", blocked_at=timezone.now() - timedelta(days=400))
    residents_purge_blocked(timezone.now() - timedelta(days=1))
    assert Resident.objects.get().language == ""


def test_questions_app_reexports_the_layers_detection():
    from intake.questions import language

    assert language.detect_language is detect_language
    assert detect_language("Where do I put out batteries?") == "en"


def test_the_demo_has_residents_who_chose_other_languages(db):
    from portal.line.devtools.demo import load_demo

    load_demo(lambda _text: None)
    chosen = dict(Counter(Resident.objects.exclude(language="").values_list("language", flat=True)))
    assert set(chosen) == {"en", "zh", "ko", "vi", "ja-easy"}
    assert sum(chosen.values()) == Resident.objects.count() // 8
    load_demo(lambda _text: None)
    assert dict(Counter(Resident.objects.exclude(language="").values_list("language", flat=True))) == chosen
