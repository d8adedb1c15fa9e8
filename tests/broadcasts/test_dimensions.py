"""A dimension added by an admin appears in 受信設定 and compose and is counted in
estimates (from the next release), in the 50 check (exact) and in the send; no migration,
no code: the test adds the dimension at runtime through the admin pages."""

import re

import pytest
from django.urls import reverse

from broadcasts import privacy
from broadcasts.models import Broadcast, ReachNoiseEpoch, ReachRelease
from portal.line.models import Dimension, DimensionOption, Resident, ResidentAnswer
from tests.fixtures.broadcasts import approve_on_page
from tests.line.test_dimensions import add_dimension

pytestmark = pytest.mark.django_db

USER = "U" + "c" * 32


def answer(uids: list[str], *labels: str) -> None:
    """Bulk answers (what residents' 受信設定 stores), for crowds too big to play."""
    options = {o.label: o for o in DimensionOption.objects.filter(label__in=labels)}
    rows = []
    for resident in Resident.objects.filter(line_user_id__in=uids):
        for label in labels:
            o = options[label]
            rows.append(ResidentAnswer(resident=resident, dimension_id=o.dimension_id, option=o))
    ResidentAnswer.objects.bulk_create(rows)


def _option(label: str) -> DimensionOption:
    return DimensionOption.objects.get(label=label)


def _estimate(client, **segment) -> dict:
    response = client.post(
        reverse("broadcasts:api_estimate"), {"audience": "segment", **segment}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    return response.json()


def _compose(client, pk=None, **fields):
    data = {"title": "女性向け検診", "audience": "segment", "bubble-0-type": "text", "bubble-0-text": "検診のお知らせ"}
    data.update(fields)
    url = reverse("broadcasts:edit", args=[pk]) if pk else reverse("broadcasts:new")
    return client.post(url, data, follow=True)


def _tap(line_resident, line_emulator, label: str) -> None:
    items = line_emulator.received(USER)[-1]["quickReply"]["items"]
    action = next(i["action"] for i in items if i["action"]["label"] == label)
    line_resident.postback(USER, action["data"])


def test_an_admin_added_dimension_is_asked_offered_and_counted_exactly(
    admin_client, client, author, segment_world, make_residents, line_resident, line_emulator
):
    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性", "回答しない"])
    a0 = segment_world.areas[0]
    answer(make_residents(49, area=a0), "女性")
    answer(make_residents(80, area=a0), "男性")
    answer(make_residents(70, area=segment_world.areas[1]), "女性")

    # A resident of a0 answers 男性 in the chat (受信設定, signed webhook).
    line_resident.follow(USER)
    for label in ("同意する", "30〜34歳", "テスト区0", "完了"):
        _tap(line_resident, line_emulator, label)
    assert "性別を選んでください" in line_emulator.received(USER)[-1]["text"]
    _tap(line_resident, line_emulator, "男性")
    assert "性別：男性" in line_emulator.received(USER)[-1]["text"]

    # Compose offers the new dimension next to 年代, 地域, 関心分野.
    client.force_login(author)
    page = client.get(reverse("broadcasts:new")).content.decode()
    female = _option("女性")
    assert "<legend>性別</legend>" in page and f'name="dim_{gender.pk}" value="{female.pk}"' in page

    # 女性 in テスト区0: 49 residents, exactly: refused, with no number.
    response = _compose(client, area_ids=[a0.pk], **{f"dim_{gender.pk}": [female.pk]}, action="submit")
    b = Broadcast.objects.get()
    assert b.dimension_filters == {str(gender.pk): [female.pk]}
    assert "50人未満" in response.content.decode() and b.status == Broadcast.Status.DRAFT
    for n in ("49人", "49 ", '"49"', ": 49", "49,", ">49<"):
        assert n not in response.content.decode()

    # The chat resident changes the answer to 女性: 50, and the same submit goes through.
    line_resident.text(USER, "受信設定")
    for label in ("30〜34歳", "テスト区0", "完了", "女性"):
        _tap(line_resident, line_emulator, label)
    response = _compose(client, b.pk, area_ids=[a0.pk], **{f"dim_{gender.pk}": [female.pk]}, action="submit")
    b.refresh_from_db()
    assert b.status == Broadcast.Status.PENDING, response.content.decode()[:2000]

    # The review page names the dimension; the detail API carries it.
    page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
    assert "性別: 女性" in page
    assert client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["dimensions"] == {str(gender.pk): [female.pk]}


def test_the_send_reaches_only_residents_with_the_chosen_answers(
    admin_client, client, author, approver, segment_world, make_residents, make_broadcast, line_emulator, run_on_commit
):
    children = add_dimension(admin_client, "子どもの年代", "multiple", ["妊娠中", "0〜2歳", "3〜5歳", "小学生"])
    a0 = segment_world.areas[0]
    baby = make_residents(40, area=a0)
    answer(baby, "0〜2歳")
    both = make_residents(30, area=a0)
    answer(both, "3〜5歳", "小学生")
    school = make_residents(25, area=a0)
    answer(school, "小学生")
    elsewhere = make_residents(60, area=segment_world.areas[1])
    answer(elsewhere, "0〜2歳")
    none = make_residents(50, area=a0)
    chosen = [_option("0〜2歳").pk, _option("3〜5歳").pk]
    b = make_broadcast(areas=[a0], dimensions={children.pk: chosen}, to="pending")
    approve_on_page(client, approver, b, run_on_commit)
    assert b.status == Broadcast.Status.DONE and b.recipients_total == 70
    counts = line_emulator.counts()
    assert all(counts.get(uid) == 1 for uid in baby + both)
    assert not any(counts.get(uid) for uid in school + elsewhere + none)


def test_the_version_covers_the_dimensions(admin_client, client, author, segment_world, make_residents):
    """What the approver approves (the version hash) includes the dimension filters."""
    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性"])
    client.force_login(author)
    _compose(client, **{f"dim_{gender.pk}": [_option("女性").pk]})
    b = Broadcast.objects.get()

    def version() -> str:
        return client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["version"]

    women = version()
    _compose(client, b.pk, **{f"dim_{gender.pk}": [_option("男性").pk]})
    men = version()
    _compose(client, b.pk)
    nobody_chosen = version()
    assert len({women, men, nobody_chosen}) == 3
    _compose(client, b.pk, **{f"dim_{gender.pk}": [_option("女性").pk]})
    assert version() == women
    page = client.get(reverse("broadcasts:edit", args=[b.pk])).content.decode()
    assert f'id="dim-{gender.pk}-{_option("女性").pk}" name="dim_{gender.pk}" value="{_option("女性").pk}" checked' in page


def test_or_inside_a_dimension_and_across_dimensions(admin_client, segment_world, make_residents):
    from broadcasts.selectors import Segment, segment_reach

    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性"])
    children = add_dimension(admin_client, "子どもの年代", "multiple", ["0〜2歳", "小学生"])
    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    answer(make_residents(3, area=a0), "女性", "0〜2歳")
    answer(make_residents(5, area=a0), "女性", "小学生")
    answer(make_residents(7, area=a0), "男性", "0〜2歳", "小学生")
    answer(make_residents(11, area=a1), "女性")
    answer(make_residents(13, area=a0, opt_out=True), "女性", "0〜2歳")  # never reachable
    make_residents(17, area=a0)
    f, m, baby, school = (_option(x).pk for x in ("女性", "男性", "0〜2歳", "小学生"))

    def reach(**kw) -> int:
        return segment_reach(segment=Segment.build(everyone=False, **kw))

    assert reach(dimensions={gender.pk: [f]}) == 3 + 5 + 11
    assert reach(dimensions={gender.pk: [f, m]}) == 3 + 5 + 7 + 11  # OR inside
    assert reach(dimensions={children.pk: [baby, school]}) == 3 + 5 + 7
    assert reach(dimensions={gender.pk: [f], children.pk: [baby]}) == 3  # AND across
    assert reach(dimensions={gender.pk: [f], children.pk: [baby, school]}) == 3 + 5
    assert reach(area_ids=[a0.pk], dimensions={gender.pk: [f]}) == 3 + 5  # and with areas
    assert reach(area_ids=[a1.pk], dimensions={children.pk: [baby]}) == 0
    assert reach(dimensions={gender.pk: []}) == reach()  # an empty dimension: no condition
    assert reach() == 3 + 5 + 7 + 11 + 17


def _new_world() -> None:
    ReachRelease.objects.all().delete()
    ReachNoiseEpoch.objects.all().delete()
    privacy.release_publish(force=True)


def test_estimates_count_answers_from_the_next_release_rounded_and_suppressed(
    admin_client, client, author, segment_world, make_residents
):
    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性", "回答しない"])
    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    women = make_residents(400, area=a0)
    men = make_residents(400, area=a0)
    women_a1 = make_residents(200, area=a1)
    client.force_login(author)
    f, m = _option("女性").pk, _option("男性").pk
    _new_world()  # published before anyone answered
    answer(women, "女性")
    answer(men, "男性")
    answer(women_a1, "女性")
    before = _estimate(client, area_ids=[a0.pk], dimensions={str(gender.pk): [f]})
    assert before["reach"] is None or before["reach"] < 200  # the old release knew no answers (400 now)

    privacy.release_publish(force=True)  # the next day's release
    women_a0 = _estimate(client, area_ids=[a0.pk], dimensions={str(gender.pk): [f]})
    assert women_a0["reach"] % 10 == 0 and abs(women_a0["reach"] - 400) <= 100, women_a0
    assert women_a0["text"] == f"約{women_a0['reach']:,}人"
    everyone_female = _estimate(client, dimensions={str(gender.pk): [f]})["reach"]
    assert abs(everyone_female - 600) <= 140
    either = _estimate(client, area_ids=[a0.pk], dimensions={str(gender.pk): [f, m]})["reach"]
    assert abs(either - 800) <= 140 and either > women_a0["reach"]
    # Asking again gives the same figure (one release: nothing to average).
    assert _estimate(client, area_ids=[a0.pk], dimensions={str(gender.pk): [f]}) == women_a0


def test_dimension_figures_are_rounded_and_suppressed_like_the_rest(
    admin_client, client, author, segment_world, make_residents, settings
):
    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise: the display rules themselves
    gender = add_dimension(admin_client, "性別", "single", ["女性", "男性", "回答しない"])
    school = add_dimension(admin_client, "校区", "single", ["東小学校区", "西小学校区"])
    a0 = segment_world.areas[0]
    women, men = make_residents(400, area=a0), make_residents(300, area=a0)
    answer(women, "女性")
    answer(men, "男性")
    answer(women[:30], "東小学校区")
    answer(men[:7], "回答しない")  # a single choice keeps one answer: re-answered below
    ResidentAnswer.objects.filter(resident__line_user_id__in=men[:7], option__label="男性").delete()
    make_residents(200, area=a0)  # not answered
    client.force_login(author)
    privacy.release_publish(force=True)
    east = _estimate(client, dimensions={str(school.pk): [_option("東小学校区").pk]})
    assert east["reach"] is None and east["below_minimum"] and east["text"] == "50人未満 — 最低配信人数に達していません"
    none = _estimate(client, area_ids=[a0.pk], dimensions={str(gender.pk): [_option("回答しない").pk]})
    assert none["reach"] is None and none["below_minimum"]
    women_fig = _estimate(client, dimensions={str(gender.pk): [_option("女性").pk]})
    assert women_fig["reach"] == 400 and women_fig["text"] == "約400人"
    assert _estimate(client, dimensions={str(gender.pk): [_option("男性").pk]})["reach"] == 290

    # The audience page breaks the new dimensions down, rounded, small rows suppressed.
    page = admin_client.get(reverse("line:audience")).content.decode()
    assert "性別別" in page and "校区別" in page
    sections = re.split(r'<h2 id="', page)
    gender_rows = dict(
        re.findall(
            r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>',
            next(x for x in sections if x.startswith(f"dim-{gender.pk}")),
        )
    )
    # 回答しない (7) alone would be total − the rest: the smallest shown row (未回答) is hidden too.
    assert gender_rows == {"女性": "約400人", "男性": "約290人", "回答しない": "50人未満", "未回答": "非表示"}
    school_rows = dict(
        re.findall(
            r'<th scope="row">([^<]+)</th><td class="num">([^<]+)</td>',
            next(x for x in sections if x.startswith(f"dim-{school.pk}")),
        )
    )
    # 東 (30) and 西 (0) are under 50 together: 未回答 is hidden too, so no total minus the rest.
    assert school_rows == {"東小学校区": "50人未満", "西小学校区": "50人未満", "未回答": "非表示"}


def test_the_budget_accounts_for_every_dimension_level(admin_client, segment_world):
    """Each added dimension is one more level of the release: the noise of all levels
    grows so that one release still costs the stated ε (OpenDP's accounting)."""
    import opendp.prelude as dp

    before = privacy.budget()
    add_dimension(admin_client, "性別", "single", ["女性", "男性"])
    add_dimension(admin_client, "子どもの年代", "multiple", ["妊娠中", "0〜2歳", "3〜5歳", "小学生", "中学生", "高校生"])
    domain = privacy.Domain.current()
    b = privacy.budget()
    assert len(domain.extras) == 2 and b.epsilon_per_release == pytest.approx(1.2)
    assert b.sigmas["AR"] > before.sigmas["AR"]
    dp.enable_features("contrib")

    def opendp_rho(sigma: float) -> float:
        space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)
        return dp.m.make_gaussian(*space, scale=sigma).map(1)

    rho = sum(c * opendp_rho(b.sigmas[level]) for level, c in domain.sensitivities().items())
    assert rho == pytest.approx(b.rho_per_release, rel=1e-6)
    shapes = domain.shapes()
    children = next(e for e in domain.extras if e.multiple)
    assert shapes[children.level] == (len(domain.ages), len(domain.areas), 2**6)
    assert Dimension.objects.filter(builtin="").count() == 2
