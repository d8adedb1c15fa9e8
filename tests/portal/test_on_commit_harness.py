"""The tests' one on-commit harness (tests/fixtures/commit.py) behaves as a real commit."""

import pytest
from django.db import transaction


@pytest.mark.django_db
def test_callbacks_of_a_rolled_back_savepoint_do_not_run(run_on_commit):
    ran = []
    with run_on_commit():
        transaction.on_commit(lambda: ran.append("kept"))
        with pytest.raises(RuntimeError), transaction.atomic():
            transaction.on_commit(lambda: ran.append("rolled back"))
            raise RuntimeError("refused")
    assert ran == ["kept"]


@pytest.mark.django_db
def test_callbacks_added_by_callbacks_run_and_each_runs_once(run_on_commit):
    ran = []
    with run_on_commit():
        transaction.on_commit(lambda: transaction.on_commit(lambda: ran.append("second")))
        with run_on_commit():  # e.g. a CommitClient request inside the block
            transaction.on_commit(lambda: ran.append("inner"))
        assert ran == ["inner"]
    assert ran == ["inner", "second"]


@pytest.mark.django_db
def test_nothing_runs_outside_the_block():
    ran = []
    transaction.on_commit(lambda: ran.append("waits for a commit that never comes"))
    assert ran == []
