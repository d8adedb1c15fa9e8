"""Normalisation: the spellings a resident may type for one phrase meet in one key."""

import pytest

from intake.questions.normalize import fold, normalize


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ＡＢＣ１２３", "abc123"),  # 全角英数 → 半角, lower case
        ("ｿﾌｧｰ", "ソファー"),  # 半角カナ → 全角
        ("ソファーーーー", "ソファー"),  # repeated 長音 collapsed
        ("住民票がほしい！！😀", "住民票がほしい"),  # punctuation and emoji dropped
        ("申込み方法", "申し込み方法"),
        ("申込書", "申し込み書"),
        ("住民票の写しがほしい", "住民票がほしい"),
        ("証明書を取りたい", "証明書を取りたい"),  # the canonical form is not expanded again
        ("塵の日", "ごみの日"),
        ("粗大ゴミ", "粗大ごみ"),
    ],
)
def test_normalize(typed, expected):
    assert normalize(typed) == expected


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("ゴミ", "ごみ"),  # カナ / かな
        ("ソファー", "そふぁ"),  # 長音 and small kana
        ("ｿﾌｧ", "ソファ"),  # 半角 / 全角
        ("時々", "時時"),  # 々
        ("ヴァイオリン", "ばいおりん"),
        ("じゅうみんひょう", "住民票"),  # a reading the synonym table knows
    ],
)
def test_fold_meets(one, other):
    assert fold(one) == fold(other)


def test_fold_keeps_different_words_apart():
    assert fold("ごみ") != fold("こみ")
    assert fold("住民票") != fold("住民税")
