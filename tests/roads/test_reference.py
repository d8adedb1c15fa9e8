"""Reference numbers R-YYYY-NNNNNN stay unique when many reports are filed at once."""

import re
import threading

import pytest
from django.db import connection

from intake.roads import services


@pytest.mark.django_db(transaction=True)
def test_reference_numbers_unique_under_concurrency():
    refs: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        from django.db import connection as conn

        try:
            for _ in range(10):
                ref = services.reference_next(year=2026)
                with lock:
                    refs.append(ref)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(refs) == 60 and len(set(refs)) == 60, connection.vendor
    assert all(re.fullmatch(r"R-2026-\d{6}", r) for r in refs)
    assert max(int(r[-6:]) for r in refs) == 60
