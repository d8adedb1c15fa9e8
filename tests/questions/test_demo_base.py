"""The shipped demo base and dictionary, measured on the shipped test set (written apart from
the entries): the goals of bench/faq.py hold, and the chat's key answers come out right."""

import csv
from pathlib import Path

import pytest

from intake.questions.gomi import gomi_lookup
from intake.questions.loaders import demo_faq_index, demo_gomi_index
from intake.questions.matching import answer

HERE = Path(__file__).resolve().parent


def _cases(name):
    with (HERE / name).open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def results():
    index = demo_faq_index()
    return [(case, index.decide(case["text"])) for case in _cases("testset.csv")]


def test_test_set_is_large_enough_and_apart_from_the_entries():
    cases = _cases("testset.csv")
    inside = [c for c in cases if c["expected"] != "handoff"]
    assert len(inside) >= 200
    assert len(cases) - len(inside) >= 100
    assert sum(1 for c in inside if c["language"] == "en") >= 20
    from intake.questions.normalize import fold

    written = {fold(t) for e in demo_faq_index().entries for t in (e.question, *e.variants)}
    assert not [c["text"] for c in cases if fold(c["text"]) in written]
    ids = {e.id for e in demo_faq_index().entries}
    assert {c["expected"] for c in inside} <= ids


def test_top1_and_top3_accuracy_meet_the_goals(results):
    inside = [(c, d) for c, d in results if c["expected"] != "handoff"]
    top1 = sum(1 for c, d in inside if d.ranked and d.ranked[0].entry.id == c["expected"]) / len(inside)
    top3 = sum(1 for c, d in inside if c["expected"] in [m.entry.id for m in d.ranked[:3]]) / len(inside)
    assert top1 >= 0.85, f"top-1 {top1:.1%}"
    assert top3 >= 0.95, f"top-3 {top3:.1%}"


def test_out_of_scope_questions_go_to_staff(results):
    outside = [d for c, d in results if c["expected"] == "handoff"]
    handed = sum(1 for d in outside if d.kind == "handoff") / len(outside)
    assert handed >= 0.90, f"handed off {handed:.1%}"


def test_answers_given_are_rarely_wrong(results):
    answered = [(c, d) for c, d in results if d.kind == "answer"]
    wrong = [c["text"] for c, d in answered if d.entry.id != c["expected"]]
    assert len(wrong) <= 0.06 * len(answered), wrong  # 4.8 % today


def test_english_question_gets_the_english_answer():
    decision = answer("how can I get a copy of my residence certificate", demo_faq_index())
    assert decision.language == "en"
    assert decision.kind == "answer" and decision.entry.id == "FAQ-0059"
    text, translated = decision.entry.answer_in("en")
    assert translated and text == decision.entry.translations["en"].answer


def test_translations_file_adds_languages():
    entry = next(e for e in demo_faq_index().entries if e.id == "FAQ-0001")
    assert {"en", "zh", "ko", "vi"} <= set(entry.translations)
    assert entry.answer_in("vi")[1]


def test_sofa_is_bulky_in_the_demo_dictionary():
    found = gomi_lookup("ソファを捨てたい", demo_gomi_index())
    assert found.item.kind == "粗大ごみ" and found.bulky


def test_dry_cells_in_the_demo_dictionary():
    found = gomi_lookup("乾電池", demo_gomi_index())
    assert found.item.kind == "有害ごみ"
    assert "燃えないごみの日" in found.item.note
    assert not found.bulky
