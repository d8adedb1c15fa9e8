"""Matching on a small base of the tests' own: answer, candidates, handoff, keywords, English."""

from intake.questions.matching import MAX_CANDIDATES, Entry, FaqIndex, answer, index_for


def test_confident_paraphrase_is_answered(faq_index):
    decision = answer("住民票ってどこでもらえるの", faq_index)
    assert decision.kind == "answer"
    assert decision.entry.id == "T001"
    assert decision.language == "ja"


def test_kana_and_colloquial_spelling_still_answered(faq_index):
    decision = answer("じゅうみんひょうほしい", faq_index)
    assert (decision.kind, decision.entry.id) == ("answer", "T001")


def test_out_of_scope_is_handed_off(faq_index):
    for text in ("今日の天気は？", "おすすめのラーメン屋ある？", "彼氏と別れそうでつらい"):
        decision = answer(text, faq_index)
        assert decision.kind == "handoff", text
        assert decision.entry is None and decision.candidates == ()


def test_middling_question_offers_at_most_three_candidates(faq_index):
    decision = answer("ごみ", faq_index)
    assert decision.kind == "candidates"
    assert 1 <= len(decision.candidates) <= MAX_CANDIDATES
    assert {"T003", "T004"} <= {e.id for e in decision.candidates}


def test_keyword_rule_answers_a_bare_keyword(faq_index):
    decision = answer("印鑑証明", faq_index)
    assert (decision.kind, decision.entry.id) == ("answer", "T002")
    assert decision.top.keyword


def test_english_question_matches_the_english_translation(faq_index):
    decision = answer("where can i get my residence certificate copy?", faq_index)
    assert decision.language == "en"
    assert (decision.kind, decision.entry.id) == ("answer", "T001")
    text, translated = decision.entry.answer_in("en")
    assert translated and text.startswith("You can get a copy")


def test_english_answer_falls_back_to_japanese_without_translation(faq_index):
    entry = next(e for e in faq_index.entries if e.id == "T002")
    assert entry.answer_in("en") == (entry.answer, False)


def test_ranking_puts_the_expected_entry_first(faq_index):
    ranked = faq_index.rank("保育園入りたいんだけど")
    assert ranked[0].entry.id == "T006"
    assert ranked[0].confidence > ranked[1].confidence


def test_empty_base_hands_everything_off():
    assert answer("住民票", FaqIndex([])).kind == "handoff"


def test_index_is_cached_per_version():
    calls = []

    def load():
        calls.append(1)
        return [Entry(id="X1", question="住民票を取りたい", answer="市民課へ")]

    first = index_for("test:1", load)
    assert index_for("test:1", load) is first
    assert index_for("test:2", load) is not first
    assert len(calls) == 2
