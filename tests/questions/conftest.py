"""Fixtures of the questions tests: a small Q&A base and ごみ dictionary of their own."""

from pathlib import Path

import pytest

from intake.questions.gomi import GomiIndex
from intake.questions.loaders import entries_from_csv, gomi_items_from_csv
from intake.questions.matching import FaqIndex

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def faq_index() -> FaqIndex:
    return FaqIndex(entries_from_csv(HERE / "fixture_faq.csv"))


@pytest.fixture(scope="session")
def gomi_index() -> GomiIndex:
    return GomiIndex(gomi_items_from_csv(HERE / "fixture_gomi.csv"))
