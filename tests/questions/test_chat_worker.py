"""The chat's indexes are kept per process (a worker's main process builds the published
version's and the ごみ分別 dictionary's once, before it forks its pool): a publish or an import
made in another process (here the test's, as the staff pages' web process would) is answered
from by the next message, never a stale copy."""

from django.conf import settings

from intake.questions import services
from intake.questions.demo import load_demo
from intake.questions.models import FaqBase, FaqEntry
from portal.context import AuditContext
from portal.line.devtools.simulate import user_id_for
from tests.fixtures.line import ResidentSimulator
from tests.fixtures.worker import wait_for

QUESTION = "粗大ごみの手数料はいくらですか"
NEW_ANSWER = "粗大ごみの手数料は、この春から一律800円になりました。"


def test_a_worker_answers_from_what_another_process_published_or_imported(celery_worker_factory, line_emulator):
    load_demo(lambda _text: None)
    residents = ResidentSimulator(line_emulator)
    worker = celery_worker_factory(CELERY_TASK_DEFAULT_QUEUE=settings.CELERY_TASK_DEFAULT_QUEUE)
    user = user_id_for("published-elsewhere")

    def answer_to(text: str) -> str:
        seen = line_emulator.count(user)
        assert residents.text(user, text).status_code == 200
        assert wait_for(lambda: line_emulator.count(user) == seen + 1, timeout=60), worker.log[-3000:]
        return line_emulator.received_texts(user)[-1]

    # Loaded once by the worker's main process before it forked its pool (each pool process
    # used to build the FAQ index on its first message: about 2 s of CPU each).
    assert "chat answerers loaded before the pool starts: faq" in worker.log, worker.log[-3000:]
    # The worker answers from version 1 and the demo dictionary: both now in its memory.
    assert answer_to(QUESTION).startswith("粗大ごみの手数料は品目ごとに")
    assert "「乾電池」は「有害ごみ」です。" in answer_to("乾電池")

    ctx = AuditContext.system()
    entry = FaqEntry.objects.get(key="FAQ-0002")
    services.entry_update(entry, ctx=ctx, values={**entry.content(), "answer": NEW_ANSWER})
    services.base_publish(FaqBase.load(), ctx=ctx)
    assert answer_to(QUESTION).startswith(NEW_ANSWER)

    services.gomi_import(data="種別,品目,注意,ふりがな\n有害ごみ,乾電池,新しい出し方：回収箱へ。,かんでんち\n".encode(), ctx=ctx)
    assert "新しい出し方：回収箱へ。" in answer_to("乾電池")
