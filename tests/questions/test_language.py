"""On-device language detection of residents' messages."""

import pytest

from intake.questions.language import LANGUAGES, detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("住民票がほしい", "ja"),
        ("住民票", "ja"),
        ("窓口受付時間変更", "ja"),
        ("ｿﾌｧ", "ja"),
        ("How do I get a residence certificate?", "en"),
        ("where is city hall", "en"),
        ("我想扔垃圾", "zh"),
        ("在哪里办理住民票", "zh"),
        ("쓰레기 버리는 방법", "ko"),
        ("Tôi muốn vứt rác ở đâu", "vi"),
        ("😀", "ja"),
    ],
)
def test_detect_language(text, expected):
    assert detect_language(text) == expected
    assert expected in LANGUAGES
