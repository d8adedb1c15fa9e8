"""Counts of residents, played from the attacker's side (a curious staff member with the
PR author's, approver's or auditor's role): every figure comes from the differentially
private release (broadcasts/PRIVACY.md), so asking more questions never sharpens it."""

import re
import statistics

import pytest
from django.urls import reverse

from broadcasts import fanout, privacy, services
from broadcasts.models import ReachNoiseEpoch, ReachRelease
from tests.fixtures.broadcasts import compose_form

pytestmark = pytest.mark.django_db

ESTIMATE = "broadcasts:api_estimate"


def _ask(client, **segment) -> dict:
    response = client.post(reverse(ESTIMATE), {"audience": "segment", **segment}, content_type="application/json")
    assert response.status_code == 200, response.content
    return response.json()


def _new_world() -> None:
    """A fresh release with fresh epoch noise (what a year's rollover does): another
    independent draw of everything an attacker can see."""
    ReachRelease.objects.all().delete()
    ReachNoiseEpoch.objects.all().delete()
    privacy.release_publish(force=True)


def test_below_50_is_never_a_number_and_figures_are_rounded_to_tens():
    for value in (-30, 0, 1, 49, 49.9):
        assert privacy.figure(value) is None
    assert privacy.figure_text(None) == "50人未満"
    assert privacy.below_minimum_text() == "50人未満 — 最低配信人数に達していません"
    for value in (50, 55, 123, 999, 5_432, 54_321, 654_321):
        fig = privacy.figure(value)
        assert fig >= 50 and fig % 10 == 0 and abs(fig - value) <= max(5, value * 0.001)
    assert privacy.figure_text(1230) == "約1,230人"


def test_the_stated_budget_matches_the_noise():
    """ε per release is the setting; the noise scales give exactly that ρ (zCDP) with
    OpenDP's accounting; static data costs at most twice one release, however many."""
    b = privacy.budget()
    assert b.epsilon_per_release == pytest.approx(1.2)
    assert privacy.epsilon_for(b.rho_per_release, b.delta) == pytest.approx(1.2)
    assert b.rho_static_any_number_of_releases == pytest.approx(2 * b.rho_per_release)
    import opendp.prelude as dp

    dp.enable_features("contrib")

    def opendp_rho(sigma: float) -> float:  # OpenDP's own accounting of its Gaussian
        space = dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int)
        return dp.m.make_gaussian(*space, scale=sigma).map(1)

    domain = privacy.Domain.current()
    rho = sum(c * opendp_rho(b.sigmas[level]) for level, c in domain.sensitivities().items())
    assert rho == pytest.approx(b.rho_per_release, rel=1e-6)


def test_asking_the_same_or_more_questions_gives_nothing_new(client, author, segment_world, make_residents):
    """Within a release every answer is fixed: 200 askings (and rewordings) of one segment
    give one answer, so there is no fresh noise to average."""
    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    make_residents(300, area=a0, age_band="30-34")
    make_residents(200, area=a1, age_band="50+")
    client.force_login(author)
    answers = {_ask(client, area_ids=[a0.pk])["text"] for _ in range(100)}
    answers |= {_ask(client, area_ids=[a0.pk, a0.pk])["text"] for _ in range(100)}
    assert len(answers) == 1
    assert ReachRelease.objects.count() == 1  # questions never trigger a new release


def test_averaging_many_pairs_does_not_recover_a_7_person_group(client, author, segment_world, make_residents, settings):
    """The attack of the issue: pairs (S, S ∪ G) over many bases S (age bands × areas ×
    interests), where G is a group of 7 in area 1. In each world the attacker averages the
    differences; over independent worlds the attacker's answer is spread far wider than
    the group itself (the old keyed rounding gave 6.6 ± 2.1), and a world where G is empty
    gives the same kind of answers."""
    a0, a1, a2 = segment_world.areas
    i0, i1, i2 = segment_world.interests
    bands = ["20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50+"]
    for band in bands:
        make_residents(70, area=a0, age_band=band, interests=[i0])
        make_residents(60, area=a2, age_band=band, interests=[i1])
    group = make_residents(7, area=a1, age_band="30-34", interests=[i0, i2])
    client.force_login(author)
    bases = []
    for k in range(1, len(bands) + 1):
        for start in range(len(bands) - k + 1):
            bases.append({"age_bands": bands[start : start + k]})
    bases = bases[::4][:6]

    def attack() -> float:
        diffs = []
        for base in bases:
            for others in ([a0.pk], [a0.pk, a2.pk]):
                s = _ask(client, area_ids=others, **base)
                g = _ask(client, area_ids=[*others, a1.pk], **base)
                if s["reach"] is not None and g["reach"] is not None:
                    diffs.append(g["reach"] - s["reach"])
        return statistics.mean(diffs)

    with_group = []
    for _world in range(10):
        _new_world()
        with_group.append(attack())
    from portal.line.models import Resident

    Resident.objects.filter(line_user_id__in=group).delete()
    without_group = []
    for _world in range(10):
        _new_world()
        without_group.append(attack())
    spread = statistics.stdev(with_group + without_group)
    assert spread >= 6, (with_group, without_group)  # the old rounding: the same answer in every world
    # mostly off by more than the group itself: the attack tells neither 7 nor "nobody"
    assert sum(abs(x - 7) <= 2 for x in with_group) <= 5, with_group


def test_a_group_under_50_alone_reads_below_minimum(client, author, segment_world, make_residents, settings):
    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise: the display rule itself
    a1 = segment_world.areas[1]
    make_residents(7, area=a1)
    client.force_login(author)
    small = _ask(client, area_ids=[a1.pk], age_bands=["30-34"])
    assert small["reach"] is None and small["below_minimum"] and small["text"] == "50人未満 — 最低配信人数に達していません"


def test_figures_at_the_default_epsilon_are_useful(client, author, segment_world, make_residents):
    a0, _a1, a2 = segment_world.areas
    make_residents(1200, area=a0, age_band="40-44")
    make_residents(300, area=a2, age_band="50+")
    client.force_login(author)
    big = _ask(client, area_ids=[a0.pk])
    assert abs(big["reach"] - 1200) <= 120 and big["text"] == f"約{big['reach']:,}人"
    mid = _ask(client, area_ids=[a2.pk], age_bands=["50+"])
    assert abs(mid["reach"] - 300) <= 75


def test_segment_logic_or_inside_and_across(segment_world, make_residents):
    """OR inside one dimension, AND across dimensions (the exact selector of the 50 rule)."""
    from broadcasts.selectors import Segment, segment_reach

    a0, a1, a2 = segment_world.areas
    i0, i1, _i2 = segment_world.interests
    make_residents(10, area=a0, age_band="30-34", interests=[i0])
    make_residents(20, area=a1, age_band="30-34", interests=[i1])
    make_residents(40, area=a1, age_band="50+", interests=[i0, i1])
    make_residents(80, area=a2, age_band="30-34", interests=[])
    seg = Segment.build
    assert segment_reach(segment=seg(everyone=False, area_ids=[a0.pk, a1.pk])) == 70
    assert segment_reach(segment=seg(everyone=False, area_ids=[a1.pk], age_bands=["30-34"])) == 20
    assert segment_reach(segment=seg(everyone=False, interest_ids=[i0.pk])) == 50
    assert segment_reach(segment=seg(everyone=False, interest_ids=[i0.pk, i1.pk])) == 70
    assert segment_reach(segment=seg(everyone=False, interest_ids=[i1.pk], age_bands=["50+", "30-34"])) == 60
    assert segment_reach(segment=seg(everyone=True)) == 150


def test_estimates_follow_the_release_schedule_and_the_rule_counts_live(
    client, author, segment_world, make_residents, make_broadcast, settings
):
    """Estimates come from the release, which the beat job publishes at most once per
    BROADCAST_PRIVACY_RELEASE_HOURS (refreshing cells every minute does not make more
    releases); the 50 rule always counts live residents, exactly."""
    from broadcasts import tasks
    from portal.errors import DomainError
    from portal.line.models import Resident

    settings.BROADCAST_PRIVACY_EPSILON = 200.0  # tiny noise, to see which data a figure reflects
    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    i0 = segment_world.interests[0]
    make_residents(600, area=a0, interests=[i0])
    make_residents(300, area=a1, age_band="50+")
    make_residents(100, area=a0, opt_out=True)
    tasks.refresh_reach_cells.delay().get()
    client.force_login(author)
    assert _ask(client, area_ids=[a0.pk], interest_ids=[i0.pk])["reach"] == 600
    assert _ask(client, age_bands=["50+"])["reach"] == 300
    Resident.objects.filter(area=a0, segment_opt_out=False).update(status=Resident.Status.BLOCKED)
    for _ in range(3):
        tasks.refresh_reach_cells.delay().get()
    assert ReachRelease.objects.count() == 1
    assert _ask(client, area_ids=[a0.pk])["reach"] == 600  # the release of the day
    b = make_broadcast(areas=[a0])
    with pytest.raises(DomainError):
        services.broadcast_submit(broadcast=b, actor=author)  # live: 0 < 50
    privacy.release_publish(force=True)  # the next day's release
    assert _ask(client, area_ids=[a0.pk])["reach"] is None


def test_estimate_near_50_never_blocks_submitting(client, author, segment_world, make_residents):
    """Whatever the noisy figure says, the compose page submits and the exact check decides."""
    from broadcasts.models import Broadcast

    area = segment_world.areas[0]
    make_residents(50, area=area)
    client.force_login(author)
    page = client.get(reverse("broadcasts:new")).content.decode()
    assert "申請時に正確な人数で確認します" in page
    _ask(client, area_ids=[area.pk])  # whatever it says (under 50 about one time in six)
    response = client.post(
        reverse("broadcasts:new"),
        compose_form(areas=[area], action="submit"),
    )
    assert response.status_code == 302
    assert Broadcast.objects.get().status == Broadcast.Status.PENDING


def test_noisy_sent_totals_vary_between_broadcasts_and_are_drawn_once():
    draws = [privacy.noisy_total(60) for _ in range(300)]
    assert statistics.pstdev(draws) >= 12 and abs(statistics.mean(draws) - 60) <= 6


def test_two_sent_totals_do_not_give_a_groups_size(
    client,
    author,
    approver,
    make_staff,
    segment_world,
    make_residents,
    line_emulator,
    send_broadcast,
):
    """Broadcasts to A (60) and A ∪ B (67): pages, progress JSON, API and audit entries
    show rounded noisy figures (drawn once per broadcast), never 60, 67 or 7."""
    from accounts import roles
    from accounts.models import AuditEntry

    a0, a1 = segment_world.areas[0], segment_world.areas[1]
    make_residents(60, area=a0)
    make_residents(7, area=a1)
    sent = []
    for areas in ([a0], [a0, a1]):
        b = send_broadcast(areas=areas)  # approval sends it (承認後すぐに配信)
        sent.append(b)
    auditor = make_staff(roles.AUDITOR)
    figures = []
    for who in (author, auditor):
        client.force_login(who)
        for b in sent:
            api = client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["progress"]
            progress = client.get(reverse("broadcasts:progress", args=[b.pk])).json()
            page = client.get(reverse("broadcasts:detail", args=[b.pk])).content.decode()
            assert api["total"] == progress["total"]
            assert progress["total"] in page
            for text in (api["total"], api["reached"], progress["reached"]):
                assert re.fullmatch(r"約[\d,]+人|50人未満", text), text
            for body in (page, str(api), str(progress)):
                assert not re.search(r"(?<![\d,約])(60|67|7)人", body)
            figures.append(progress["total"])
    assert figures[:2] == figures[2:]  # the same figure for everyone, every time
    for entry in AuditEntry.objects.filter(action__startswith="broadcast."):
        assert not {"60", "67", "7"} & {str(v) for v in entry.detail.values()}


def test_all_friends_minus_an_earlier_broadcast_is_refused_below_50(
    client, author, approver, make_broadcast, segment_world, make_residents, line_emulator, send_broadcast
):
    """友だち全員 excluding a 60-person broadcast leaves the 3 who joined since: refused on
    every path (service, page, API), like any other filter."""
    from broadcasts.models import Broadcast
    from portal.errors import DomainError

    a0 = segment_world.areas[0]
    make_residents(60, area=a0)
    first = send_broadcast(everyone=True)  # approval sends it (承認後すぐに配信)
    assert first.status == Broadcast.Status.DONE
    make_residents(3, area=a0)
    rest = make_broadcast(everyone=True, exclude=first)
    with pytest.raises(DomainError):
        services.broadcast_submit(broadcast=rest, actor=author)
    client.force_login(author)
    response = client.post(reverse("broadcasts:api_submit", args=[rest.pk]), content_type="application/json")
    assert response.status_code == 400 and "50人未満" in response.json()["detail"][0]
    answer = client.post(
        reverse(ESTIMATE), {"audience": "all", "exclude_broadcast_id": first.pk}, content_type="application/json"
    ).json()
    assert answer["upper_bound"] and "3" not in answer["text"]
    rest.refresh_from_db()
    assert rest.status == Broadcast.Status.DRAFT


def test_exclusion_that_shrinks_after_approval_is_halted_at_the_snapshot(
    author, approver, make_broadcast, segment_world, make_residents, line_emulator, send_broadcast
):
    from broadcasts.models import Broadcast
    from portal.line.models import Resident

    a0 = segment_world.areas[0]
    make_residents(60, area=a0)
    first = send_broadcast(areas=[a0])  # approval sends it (承認後すぐに配信)
    later = make_residents(55, area=a0)
    rest = make_broadcast(everyone=True, exclude=first, to="approved", approver=approver)
    Resident.objects.filter(line_user_id__in=later[:10]).update(status=Resident.Status.BLOCKED)
    fanout.broadcast_start(broadcast_id=rest.pk)
    rest.refresh_from_db()
    assert rest.status == Broadcast.Status.CANCELLED and rest.halt_reason == Broadcast.HaltReason.BELOW_MINIMUM


def test_under_50_refusals_are_limited_per_staff_member_and_audited(
    client, author, make_broadcast, segment_world, make_residents, settings
):
    """A refusal is a one-bit answer: after BROADCAST_MINIMUM_REFUSALS_PER_DAY of them a
    staff member gets no more checks that day (not even for a segment of 50+)."""
    from accounts.models import AuditEntry
    from broadcasts.models import Broadcast

    settings.BROADCAST_MINIMUM_REFUSALS_PER_DAY = 3
    small, big = segment_world.areas[0], segment_world.areas[1]
    make_residents(20, area=small)
    make_residents(80, area=big)
    client.force_login(author)
    drafts = [make_broadcast(areas=[small]) for _ in range(4)]
    messages = []
    for b in drafts:
        response = client.post(reverse("broadcasts:api_submit", args=[b.pk]), content_type="application/json")
        assert response.status_code == 400
        messages.append(response.json()["detail"][0])
    assert all("50人未満" in m for m in messages[:3]) and "上限" in messages[3]
    ok = make_broadcast(areas=[big])
    response = client.post(reverse("broadcasts:api_submit", args=[ok.pk]), content_type="application/json")
    assert response.status_code == 400 and "上限" in response.json()["detail"][0]
    assert AuditEntry.objects.filter(action="broadcast.minimum_refused", actor=author).count() == 3
    assert AuditEntry.objects.filter(action="broadcast.minimum_check_limited", actor=author).count() == 2
    ok.refresh_from_db()
    assert ok.status == Broadcast.Status.DRAFT


def test_estimate_use_is_audited_per_staff_member_per_day(client, author, segment_world, make_residents, time_machine):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import AuditEntry
    from broadcasts import tasks

    make_residents(60, area=segment_world.areas[0])
    client.force_login(author)
    for _ in range(25):
        _ask(client, area_ids=[segment_world.areas[0].pk])
    assert tasks.audit_estimate_usage.delay().get() == 0  # the day is not over
    time_machine.move_to(timezone.now() + timedelta(days=1))
    assert tasks.audit_estimate_usage.delay().get() == 1
    entry = AuditEntry.objects.get(action="broadcast.estimate_usage")
    assert entry.actor == author and entry.detail["questions"] == 25
    assert tasks.audit_estimate_usage.delay().get() == 0  # once per member and day


def test_broadcasts_sent_again_and_again_to_one_segment_show_the_same_figure(
    client, author, approver, segment_world, make_residents, line_emulator, send_broadcast
):
    """Sending to the same ward week after week gives nothing to average: the sent total is
    the release's figure for the segment, the same as its estimate."""
    area = segment_world.areas[0]
    make_residents(120, area=area)
    client.force_login(author)
    estimate = _ask(client, area_ids=[area.pk])["text"]
    totals = []
    for _ in range(3):
        b = send_broadcast(areas=[area])  # approval starts sending (承認後すぐに配信)
        totals.append(client.get(reverse("broadcasts:api_detail", args=[b.pk])).json()["progress"]["total"])
    assert totals == [estimate] * 3


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="needs PostgreSQL: concurrent writers (SQLite serialises them)",
)
@pytest.mark.django_db(transaction=True)
def test_parallel_submits_get_no_more_refusals_than_the_daily_limit(
    author, make_broadcast, segment_world, make_residents, settings
):
    """The attacker fires many 申請 at once (several web processes) to get more "under 50"
    answers than the limit allows: each refusal is counted before the next check runs, so
    no more than BROADCAST_MINIMUM_REFUSALS_PER_DAY of them come back as 「50人未満」."""
    from django.test import Client

    from accounts.models import AuditEntry
    from tests.fixtures.threads import race

    settings.BROADCAST_MINIMUM_REFUSALS_PER_DAY = 2
    small = segment_world.areas[0]
    make_residents(20, area=small)
    drafts = [make_broadcast(areas=[small]) for _ in range(12)]
    clients = [Client() for _ in drafts]
    for c in clients:
        c.force_login(author)

    def submit(n: int) -> str:
        response = clients[n].post(reverse("broadcasts:api_submit", args=[drafts[n].pk]), content_type="application/json")
        return response.json()["detail"][0]

    results = [r if isinstance(r, str) else repr(r) for r in race(submit, range(len(drafts)))]
    refused = [r for r in results if "配信対象者が50人未満" in r]
    limited = [r for r in results if "上限" in r]
    assert len(refused) == 2 and len(limited) == len(drafts) - 2, results
    assert AuditEntry.objects.filter(action="broadcast.minimum_refused", actor=author).count() == 2


def test_changing_areas_or_interests_gives_no_fresh_persistent_noise_to_average(admin_client, segment_world, make_residents):
    """An admin adds an area (and an interest) through the settings pages day after day, so
    that each day's release starts a new epoch: if each epoch drew its persistent noise
    anew, a year of daily figures would average to the exact count. The cells that still
    count the same residents keep the epoch's persistent noise, and the epoch keeps its end."""
    from portal.line.models import Area, Interest

    a0 = segment_world.areas[0]
    make_residents(60, area=a0)
    privacy.release_publish(force=True)
    first = ReachRelease.objects.latest("created_at").epoch
    old_domain = privacy.Domain.current()
    for day in range(3):
        response = admin_client.post(
            reverse("line:area_create"),
            {"name": f"新しい区{day}", "code": f"new-area-{day}", "order": 10 + day, "is_active": "on"},
        )
        assert response.status_code == 302, response.content.decode()[:500]
        response = admin_client.post(
            reverse("line:interest_create"),
            {"name": f"新しい関心{day}", "code": f"new-int-{day}", "bit": 10 + day, "order": 10 + day},
        )
        assert Interest.objects.filter(code=f"new-int-{day}").exists(), response.content.decode()[:500]
        privacy.release_publish(force=True)  # the next day's release (the beat job)
    epoch = ReachRelease.objects.latest("created_at").epoch
    assert epoch.pk != first.pk and epoch.started_at == first.started_at
    domain = privacy.Domain.current()
    assert len(domain.areas) == len(old_domain.areas) + 3
    for level in ("T", "A", "S"):
        assert epoch.noise[level] == first.noise[level]
    for i, area in enumerate(old_domain.areas):
        j = domain.areas.index(area)
        assert epoch.noise["R"][j] == first.noise["R"][i]
        cols_old, cols_new = len(old_domain.areas), len(domain.areas)
        for a in range(len(domain.ages)):
            assert epoch.noise["AR"][a * cols_new + j] == first.noise["AR"][a * cols_old + i]
    assert Area.objects.filter(code="new-area-2").exists()
