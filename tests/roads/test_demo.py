"""The roads demo loader: reference data and a few reports with generated photos; idempotent."""

from intake.roads.models import Category, ReportPhoto, ResponseTemplate, RoadReport, Team
from portal import demo


def test_demo_loader_is_idempotent(db):
    loader = dict((name, fn) for _order, name, fn in demo.loaders())["roads"]
    said: list[str] = []
    loader(said.append)
    loader(said.append)
    assert Category.objects.count() == 8 and Team.objects.count() == 4
    assert ResponseTemplate.objects.filter(text__contains="補修を完了しました").exists()
    assert RoadReport.objects.count() == 12
    assert ReportPhoto.objects.filter(state="ready").count() == 12
    assert RoadReport.objects.filter(status="done").exists()
    assert len(said) == 2
