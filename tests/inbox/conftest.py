"""Fixtures of the staff-inbox tests: a resident whose message nobody answers, staff who handle it."""

from __future__ import annotations

import pytest

from accounts import roles
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.commit import CommitClient

RESIDENT = user_id_for("inbox-resident")


@pytest.fixture
def handler(make_staff):
    return make_staff(roles.PR_AUTHOR, full_name="広報 花子")


@pytest.fixture
def handler_client(handler) -> CommitClient:
    client = CommitClient()
    client.force_login(handler)
    return client


@pytest.fixture
def asked(line_resident, line_emulator):
    """The resident asked something no flow or answerer takes: the inbox has it."""
    from intake.inbox.models import Inquiry

    line_resident.follow(RESIDENT)
    line_resident.text(RESIDENT, "キャンセル")  # leaves the greeting's 受信設定 questions
    line_resident.text(RESIDENT, "市民プールは年末も開いていますか？")
    return Inquiry.objects.get(resident__line_user_id=RESIDENT)
