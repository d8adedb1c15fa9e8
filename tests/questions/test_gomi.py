"""ごみ分別 lookups over the tests' own dictionary."""

import pytest

from intake.questions.gomi import gomi_lookup


@pytest.mark.parametrize("text", ["ソファ", "ソファー", "そふぁー", "ｿﾌｧを捨てたい", "ソファってどうやって捨てるの？"])
def test_sofa_is_bulky_and_flagged_for_booking(gomi_index, text):
    found = gomi_lookup(text, gomi_index)
    assert found is not None
    assert found.item.name == "ソファー"
    assert found.item.kind == "粗大ごみ"
    assert found.bulky


def test_dry_cell_gives_its_kind_and_how_to_put_it_out(gomi_index):
    found = gomi_lookup("乾電池", gomi_index)
    assert found.item.kind == "有害ごみ"
    assert "テープ" in found.item.note
    assert not found.bulky


def test_longest_item_wins_and_alternates_are_found(gomi_index):
    assert gomi_lookup("電気カーペットの捨て方", gomi_index).item.kind == "燃やさないごみ"
    assert gomi_lookup("じゅうたん", gomi_index).item.kind == "粗大ごみ"
    assert gomi_lookup("アイロン", gomi_index).item.name == "アイロン（コード付き）"


def test_fuzzy_match_and_unknown_item(gomi_index):
    assert gomi_lookup("電池", gomi_index).via == "fuzzy"
    assert gomi_lookup("冷蔵庫", gomi_index) is None
    assert gomi_lookup("", gomi_index) is None
