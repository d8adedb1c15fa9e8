"""Every count of residents that any page, API answer, CSV or audit entry shows comes from
here: a differentially private release of the reach cells, never an exact count.

Threat model, mechanism, ε and composition: ``broadcasts/PRIVACY.md``.

Public functions (stable names; other modules use only these)
-------------------------------------------------------------
Display
  ``figure(value) -> int | None``        a noisy count rounded for display (never finer than
                                          10 people); None when it looks under 50.
  ``figure_text(fig) -> str``             「約1,230人」, or 「50人未満」 for None.
  ``below_minimum_text() -> str``         「50人未満 — 最低配信人数に達していません」.
Estimates (compose meter, estimate API, review page, approvals list)
  ``estimate(segment, *, actor=None) -> Estimate``  post-processing of the current release
                                          (``actor``: the question is counted for the
                                          per-staff-member daily usage audit).
Sent broadcasts (detail page, progress JSON, API, CSV, audit entries)
  ``sent_noisy_total(*, segment, exact) -> int``  services call it once when a snapshot
                                          is complete and store it (``Broadcast.recipients_noisy``):
                                          the release's figure for the segment, or, for an
                                          exclusion, ``noisy_total(exact)``: one discrete-Gaussian
                                          draw. Asking again shows the same stored figure.
  ``sent_figures(*, broadcast, batches_total, batches_done, batches_failed) -> SentFigures``
                                          rounded noisy total/reached/failed and whole-number
                                          percentages (from batch counts, never from exact
                                          recipient counts), e.g. 「配信中 約1,200 / 約2,700人」.
Audience page and dashboard
  ``audience_figures() -> dict``         totals and breakdowns (with suppression).
  ``friends_text() -> str``             LINE friends, for the dashboard card.
Release
  ``release_publish(*, force=False) -> ReachRelease | None``  publish a release when due
                                          (the beat job ``broadcasts.refresh_reach_cells``).
  ``budget() -> Budget``                 ε/ρ per release and over time (PRIVACY.md, tests).

Mechanism (short): each release adds discrete Gaussian noise (OpenDP) to every cell of
several levels (total, age, area, age×area, interest×age×area, age×area×interest-pattern,
status). A segment is answered from the level that gives it the least noise; all answers
of one release are post-processing, so any number of questions costs nothing more. The
noise of every cell is the sum of a part drawn once per epoch (``ReachNoiseEpoch``) and a
part drawn fresh per release: averaging many releases converges to (count + epoch noise),
not to the count.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import MIN_RECIPIENTS

if TYPE_CHECKING:
    from .models import Broadcast, ReachRelease
    from .selectors import Segment

# Interests beyond this many get no full-pattern cells (2**10 patterns per age × area);
# OR-queries over them are answered as an upper bound from the interest level.
MAX_PATTERN_BITS = 10
# Noise of the full-pattern level relative to the others (it is summed over many cells).
PATTERN_SIGMA_RATIO = 0.4
# Admin-defined dimensions (性別, 子どもの年代, 校区 …): one level each, of age × area ×
# answer cells. A multiple-choice dimension with at most this many options gets a cell per
# answer pattern (each resident in one cell); one with more gets a cell per option.
MAX_DIMENSION_PATTERN_BITS = 6
# Their noise relative to the base levels: they are only used as within-cell fractions,
# so more noise per cell costs little there and leaves more budget to the base levels.
DIMENSION_SIGMA_RATIO = 1.5
# Status categories of the audience page (each resident in exactly one).
STATUS_CATEGORIES = ("reachable_registered", "reachable_unregistered", "optout_registered", "optout_unregistered", "blocked")


# -- settings -------------------------------------------------------------------------------


def _epsilon() -> float:
    return float(getattr(settings, "BROADCAST_PRIVACY_EPSILON", 1.2))


def _delta() -> float:
    return float(getattr(settings, "BROADCAST_PRIVACY_DELTA", 1e-6))


def _release_interval() -> timedelta:
    return timedelta(hours=float(getattr(settings, "BROADCAST_PRIVACY_RELEASE_HOURS", 24)))


def _epoch_length() -> timedelta:
    return timedelta(days=float(getattr(settings, "BROADCAST_PRIVACY_EPOCH_DAYS", 365)))


def _sent_epsilon() -> float:
    return float(getattr(settings, "BROADCAST_PRIVACY_SENT_EPSILON", 0.25))


def rho_for(epsilon: float, delta: float) -> float:
    """The zCDP ρ whose (ε, δ) conversion ρ + 2√(ρ ln 1/δ) equals ``epsilon``."""
    log = math.log(1 / delta)
    root = -math.sqrt(log) + math.sqrt(log + epsilon)
    return root * root


def epsilon_for(rho: float, delta: float) -> float:
    return rho + 2 * math.sqrt(rho * math.log(1 / delta))


# -- display --------------------------------------------------------------------------------


def figure(value: float | int | None) -> int | None:
    """A noisy count as shown: rounded (10 below 10,000, 100 below 100,000, then 1,000);
    None when it is under 50."""
    if value is None or value < MIN_RECIPIENTS:
        return None
    step = 10 if value < 10_000 else 100 if value < 100_000 else 1000
    return max(MIN_RECIPIENTS, int(math.floor(value / step + 0.5)) * step)


def figure_text(fig: int | None) -> str:
    if fig is None:
        return _("50人未満")
    return _("約%(count)s人") % {"count": f"{fig:,}"}


def below_minimum_text() -> str:
    return _("50人未満 — 最低配信人数に達していません")


# -- noise (OpenDP) -------------------------------------------------------------------------

_opendp_lock = threading.Lock()


def _gaussian(sigma: float, size: int) -> list[int]:
    """``size`` independent discrete-Gaussian draws of scale ``sigma`` (OpenDP's sampler)."""
    import opendp.prelude as dp

    with _opendp_lock:
        dp.enable_features("contrib")
        m = dp.m.make_gaussian(dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=float(sigma))
    out: list[int] = []
    for start in range(0, size, 50_000):
        out.extend(m([0] * min(50_000, size - start)))
    return out


def _gaussian_rho(sigma: float) -> float:
    """OpenDP's ρ (zCDP) for sensitivity 1 at ``sigma``."""
    import opendp.prelude as dp

    with _opendp_lock:
        dp.enable_features("contrib")
        m = dp.m.make_gaussian(dp.vector_domain(dp.atom_domain(T=int)), dp.l2_distance(T=int), scale=float(sigma))
    return float(m.map(1))


def _sent_sigma() -> float:
    return math.sqrt(1 / (2 * rho_for(_sent_epsilon(), _delta())))


def noisy_total(exact: int) -> int:
    """A count as one discrete-Gaussian draw (ε = ``BROADCAST_PRIVACY_SENT_EPSILON``); the
    caller stores it, it is never redrawn."""
    return int(exact) + _gaussian(_sent_sigma(), 1)[0]


def sent_noisy_total(*, segment: Segment, exact: int) -> int:
    """What a sent broadcast's total is shown from (services store it once, when the
    snapshot is complete): the current release's figure for its segment, post-processing
    that costs nothing and agrees with every estimate (so broadcasts sent again and again to
    one segment show the same figure within an epoch: nothing to average). Only a segment
    the release cannot answer (an exclusion of earlier recipients) gets one fresh noisy draw
    of the exact snapshot size (``noisy_total``)."""
    if not segment.exclude_broadcast_id:
        rel = _current()
        if rel is not None:
            value, _var, bound = _answer(rel, segment)
            if not bound:
                return int(math.floor(value + 0.5))
    return noisy_total(exact)


# -- the release ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Extra:
    """An admin-defined dimension in a release: its id, kind and (active) options in order."""

    id: int
    multiple: bool
    options: tuple[int, ...]

    @property
    def level(self) -> str:
        return f"D{self.id}"

    @property
    def patterns(self) -> bool:
        """One cell per answer pattern (else one per option, for a long multiple choice)."""
        return self.multiple and len(self.options) <= MAX_DIMENSION_PATTERN_BITS

    @property
    def columns(self) -> int:
        """Answer cells per age × area: single choice: each option + 未回答; a short multiple
        choice: every pattern (0 = none); a long one: each option."""
        if not self.multiple:
            return len(self.options) + 1
        return 2 ** len(self.options) if self.patterns else len(self.options)

    @property
    def sigma_ratio(self) -> float:
        """Noise per cell relative to the base levels: ``DIMENSION_SIGMA_RATIO``, less for
        answer patterns, whose OR-queries sum about columns / (options + 1) cells, so that a
        query on one option gets about the same noise whatever the kind."""
        if not self.patterns:
            return DIMENSION_SIGMA_RATIO
        return DIMENSION_SIGMA_RATIO * math.sqrt((len(self.options) + 1) / self.columns)

    @property
    def sensitivity(self) -> int:
        """Squared L2 sensitivity: 1 when every resident is in one cell; a long multiple
        choice counts a resident once per chosen option (at most every option)."""
        return 1 if not self.multiple or self.patterns else max(1, len(self.options))


@dataclass(frozen=True)
class Domain:
    ages: tuple[str, ...]
    areas: tuple[int | None, ...]
    interests: tuple[tuple[int, int], ...]  # (interest pk, bit), in bit order
    extras: tuple[Extra, ...] = ()  # admin-defined dimensions, by id

    @property
    def pattern_bits(self) -> int:
        return min(len(self.interests), MAX_PATTERN_BITS)

    def shapes(self) -> dict[str, tuple[int, ...]]:
        a, r, k = len(self.ages), len(self.areas), len(self.interests)
        return {
            "T": (1,),
            "A": (a,),
            "R": (r,),
            "AR": (a, r),
            "I": (k, a, r),
            "F": (a, r, 2**self.pattern_bits),
            "S": (len(STATUS_CATEGORIES),),
            **{e.level: (a, r, e.columns) for e in self.extras},
        }

    def sensitivities(self) -> dict[str, int]:
        """Squared L2 sensitivity of each level for adding/removing one resident."""
        base = {"T": 1, "A": 1, "R": 1, "AR": 1, "I": max(1, len(self.interests)), "F": 1, "S": 1}
        return {**base, **{e.level: e.sensitivity for e in self.extras}}

    def key(self) -> str:
        parts: list[Any] = [self.ages, self.areas, self.interests]
        if self.extras:  # a domain without them keeps the key it always had
            parts.append([[e.id, e.multiple, list(e.options)] for e in self.extras])
        raw = json.dumps(parts, sort_keys=True)
        return hashlib.sha256(raw.encode()).hexdigest()

    def as_json(self) -> dict:
        return {
            "ages": list(self.ages),
            "areas": list(self.areas),
            "interests": [list(i) for i in self.interests],
            "extras": [[e.id, e.multiple, list(e.options)] for e in self.extras],
        }

    @classmethod
    def from_json(cls, data: dict) -> Domain:
        return cls(
            ages=tuple(data["ages"]),
            areas=tuple(data["areas"]),
            interests=tuple((int(p), int(b)) for p, b in data["interests"]),
            extras=tuple(Extra(int(i), bool(m), tuple(int(o) for o in opts)) for i, m, opts in data.get("extras", [])),
        )

    @classmethod
    def current(cls) -> Domain:
        from portal.line import dimensions as line_dimensions
        from portal.line.models import AgeBand, Area, Interest

        extras = tuple(
            Extra(d.id, d.is_multiple, tuple(int(o.id) for o in d.options))
            for d in sorted(line_dimensions.custom_dimensions(active_only=True), key=lambda d: d.id)
            if d.options
        )
        return cls(
            ages=(*AgeBand.values, ""),
            areas=(*Area.objects.order_by("pk").values_list("pk", flat=True), None),
            interests=tuple(Interest.objects.order_by("bit").values_list("pk", "bit")),
            extras=extras,
        )


def sigmas(domain: Domain, epsilon: float | None = None, delta: float | None = None) -> dict[str, float]:
    """Noise scale of each level so that one release is (ε, δ)-DP (via ρ-zCDP)."""
    rho = rho_for(_epsilon() if epsilon is None else epsilon, _delta() if delta is None else delta)
    ratios = {level: (PATTERN_SIGMA_RATIO if level == "F" else 1.0) for level in domain.shapes()}
    for extra in domain.extras:
        ratios[extra.level] = extra.sigma_ratio
    weight = sum(c / ratios[level] ** 2 for level, c in domain.sensitivities().items())
    scale = math.sqrt(weight / (2 * rho))
    return {level: scale * ratio for level, ratio in ratios.items()}


@dataclass(frozen=True)
class Budget:
    epsilon_per_release: float
    delta: float
    rho_per_release: float
    release_hours: float
    epoch_days: float
    releases_per_epoch: int
    rho_static_any_number_of_releases: float
    epsilon_static_any_number_of_releases: float
    rho_worst_change_per_epoch: float
    epsilon_worst_change_per_epoch: float
    sent_epsilon_per_broadcast: float
    sigmas: dict = field(default_factory=dict)


def budget(domain: Domain | None = None) -> Budget:
    """The stated privacy loss (see PRIVACY.md for the derivation)."""
    domain = domain or Domain.current()
    eps, delta = _epsilon(), _delta()
    rho = rho_for(eps, delta)
    k = max(1, int(_epoch_length() / _release_interval()))
    static = 2 * rho  # epoch noise has half the variance: Σ c/σ_Z² /2 = 2ρ, whatever the count
    worst = (k + 1) / 2 * rho  # present in half of the epoch's releases (PRIVACY.md)
    return Budget(
        epsilon_per_release=eps,
        delta=delta,
        rho_per_release=rho,
        release_hours=_release_interval().total_seconds() / 3600,
        epoch_days=_epoch_length().total_seconds() / 86400,
        releases_per_epoch=k,
        rho_static_any_number_of_releases=static,
        epsilon_static_any_number_of_releases=epsilon_for(static, delta),
        rho_worst_change_per_epoch=worst,
        epsilon_worst_change_per_epoch=epsilon_for(worst, delta),
        sent_epsilon_per_broadcast=_sent_epsilon(),
        sigmas=sigmas(domain),
    )


def _exact_levels(domain: Domain) -> dict[str, np.ndarray]:
    """The exact level arrays, from the reach cells (and one status aggregate). Stays in
    this function: only their noised copies are stored."""
    from django.db.models import Count, Q

    from portal.line.models import Resident

    from .models import ReachCell

    shapes = domain.shapes()
    exact = {level: np.zeros(shape, dtype=np.int64) for level, shape in shapes.items()}
    age_index = {a: i for i, a in enumerate(domain.ages)}
    area_index = {a: i for i, a in enumerate(domain.areas)}
    bits = [bit for _pk, bit in domain.interests]
    pattern_bits = bits[: domain.pattern_bits]
    null_area = len(domain.areas) - 1
    for age, area, interest_bits, n in ReachCell.objects.values_list("age_band", "area_id", "interest_bits", "residents"):
        a = age_index.get(age or "", len(domain.ages) - 1)
        r = area_index.get(area, null_area)
        pattern = 0
        for j, bit in enumerate(pattern_bits):
            if interest_bits >> bit & 1:
                pattern |= 1 << j
        exact["F"][a, r, pattern] += n
        for j, bit in enumerate(bits):
            if interest_bits >> bit & 1:
                exact["I"][j, a, r] += n
    exact["AR"] = exact["F"].sum(axis=2)
    exact["A"] = exact["AR"].sum(axis=1)
    exact["R"] = exact["AR"].sum(axis=0)
    exact["T"] = np.array([exact["AR"].sum()], dtype=np.int64)
    registered = Q(consented_at__isnull=False)
    active = Q(status=Resident.Status.ACTIVE)
    counts = Resident.objects.aggregate(
        reachable_registered=Count("pk", filter=active & Q(segment_opt_out=False) & registered),
        reachable_unregistered=Count("pk", filter=active & Q(segment_opt_out=False) & ~registered),
        optout_registered=Count("pk", filter=active & Q(segment_opt_out=True) & registered),
        optout_unregistered=Count("pk", filter=active & Q(segment_opt_out=True) & ~registered),
        blocked=Count("pk", filter=Q(status=Resident.Status.BLOCKED)),
    )
    exact["S"] = np.array([counts[c] for c in STATUS_CATEGORIES], dtype=np.int64)
    for extra in domain.extras:
        exact[extra.level] = _exact_dimension(domain, extra, exact["AR"], age_index, area_index)
    return exact


def _exact_dimension(
    domain: Domain, extra: Extra, ar: np.ndarray, age_index: dict[str, int], area_index: dict[Any, int]
) -> np.ndarray:
    """One admin-defined dimension's exact cells (age × area × answer), from the LINE
    layer's grouping of its answers; a single choice's 未回答 column is the rest of the
    age × area cell."""
    from portal.line import residents as line_residents

    cells = np.zeros((len(domain.ages), len(domain.areas), extra.columns), dtype=np.int64)
    null_age, null_area = len(domain.ages) - 1, len(domain.areas) - 1
    rows = line_residents.dimension_cells(option_ids=extra.options, multiple=extra.patterns)
    for age, area, answer, n in rows:
        cells[age_index.get(age or "", null_age), area_index.get(area, null_area), answer] += n
    if not extra.multiple:
        cells[..., -1] = np.maximum(0, ar - cells[..., :-1].sum(axis=2))
    elif extra.patterns:
        cells[..., 0] = np.maximum(0, ar - cells[..., 1:].sum(axis=2))
    return cells


def _epoch_noise(domain: Domain, sigma: dict[str, float], now: datetime) -> Any:
    """The current epoch for this domain (a new one when it expired or the domain changed)."""
    from .models import ReachNoiseEpoch

    epoch = ReachNoiseEpoch.objects.order_by("-started_at", "-id").first()
    if epoch and epoch.domain_key == domain.key() and epoch.started_at > now - _epoch_length():
        stored = epoch.noise
        if all(level in stored and len(stored[level]) == int(np.prod(shape)) for level, shape in domain.shapes().items()):
            return epoch
    noise = {}
    for level, shape in domain.shapes().items():
        noise[level] = _gaussian(sigma[level] / math.sqrt(2), int(np.prod(shape)))
    started = now
    if epoch and epoch.started_at > now - _epoch_length():
        # The domain changed mid-epoch (an admin added an area or an interest): cells that
        # mean the same residents keep their persistent noise and the epoch keeps its end,
        # so changing settings day after day does not give fresh draws to average away.
        previous = epoch.releases.order_by("-created_at", "-id").values_list("domain", flat=True).first()
        if previous is not None:
            _carry_over(noise, Domain.from_json(previous), domain, epoch.noise)
            started = epoch.started_at
    return ReachNoiseEpoch.objects.create(domain_key=domain.key(), started_at=started, noise=noise)


def _carry_over(noise: dict, old: Domain, new: Domain, old_noise: dict) -> None:
    """Copy ``old_noise`` into ``noise`` (flat lists in ``new``'s shapes) for every cell of
    ``new`` that counts the same residents as a cell of ``old``."""
    if old.ages != new.ages:
        return
    for level in ("T", "A", "S"):
        if len(old_noise.get(level, [])) == len(noise[level]):
            noise[level] = list(old_noise[level])
    old_r = {a: i for i, a in enumerate(old.areas)}
    areas = [(j, old_r[a]) for j, a in enumerate(new.areas) if a in old_r]
    old_k = {pk: i for i, (pk, _bit) in enumerate(old.interests)}
    interests = [(j, old_k[pk]) for j, (pk, _bit) in enumerate(new.interests) if pk in old_k]
    shapes, old_shapes = new.shapes(), old.shapes()

    def copy(level: str, pairs: list[tuple[tuple, tuple]]) -> None:
        src = old_noise.get(level)
        if src is None or len(src) != int(np.prod(old_shapes[level])):
            return
        dst_arr = np.array(noise[level]).reshape(shapes[level])
        src_arr = np.array(src).reshape(old_shapes[level])
        for dst_index, src_index in pairs:
            dst_arr[dst_index] = src_arr[src_index]
        noise[level] = dst_arr.reshape(-1).tolist()

    copy("R", [((j,), (i,)) for j, i in areas])
    ages = range(len(new.ages))
    copy("AR", [((a, j), (a, i)) for a in ages for j, i in areas])
    copy("I", [((k, a, j), (ko, a, i)) for k, ko in interests for a in ages for j, i in areas])
    if new.interests[: new.pattern_bits] == old.interests[: old.pattern_bits]:
        copy("F", [((a, j), (a, i)) for a in ages for j, i in areas])
    old_extras = {e.id: e for e in old.extras}
    for extra in new.extras:
        if old_extras.get(extra.id) == extra:  # same options in the same order: same cells
            copy(extra.level, [((a, j), (a, i)) for a in ages for j, i in areas])


def release_publish(*, force: bool = False, refresh: bool = True) -> ReachRelease | None:
    """Publish a release when the last one is older than ``BROADCAST_PRIVACY_RELEASE_HOURS``
    (or there is none, or ``force``). Serialised across processes by a row lock, so the
    schedule holds whoever asks; the reach cells are rebuilt first (``refresh``: unless the
    caller just did). Returns the new release,
    or None when none was due."""
    from .models import ReachNoiseEpoch, ReachRelease
    from .services import reach_cells_refresh

    with transaction.atomic():
        # One lock for everyone who might publish: the oldest epoch row (created if none).
        anchor = ReachNoiseEpoch.objects.select_for_update().order_by("id").first()
        if anchor is None:
            ReachNoiseEpoch.objects.create(domain_key="", started_at=timezone.now() - _epoch_length() * 2, noise={})
            anchor = ReachNoiseEpoch.objects.select_for_update().order_by("id").first()
            assert anchor is not None  # just created, in this transaction
        now = timezone.now()
        latest = ReachRelease.objects.order_by("-created_at", "-id").first()
        if not force and latest is not None and latest.created_at > now - _release_interval():
            return None
        if refresh:
            reach_cells_refresh()
        domain = Domain.current()
        sigma = sigmas(domain)
        epoch = _epoch_noise(domain, sigma, now)
        exact = _exact_levels(domain)
        levels = {}
        for level, values in exact.items():
            fresh = np.array(_gaussian(sigma[level] / math.sqrt(2), values.size), dtype=np.int64)
            sticky = np.array(epoch.noise[level], dtype=np.int64)
            levels[level] = (values.reshape(-1) + sticky + fresh).tolist()
        del exact
        rho = rho_for(_epsilon(), _delta())
        release = ReachRelease.objects.create(
            created_at=now,
            epoch=epoch,
            domain=domain.as_json(),
            levels=levels,
            sigmas=sigma,
            rho=rho,
            epsilon=_epsilon(),
            delta=_delta(),
        )
        # Keep a week of releases; older ones (and epochs nobody uses) go.
        keep = ReachRelease.objects.order_by("-created_at", "-id").values_list("pk", flat=True)[:7]
        ReachRelease.objects.exclude(pk__in=list(keep)).delete()
        ReachNoiseEpoch.objects.exclude(pk=anchor.pk).exclude(releases__isnull=False).exclude(pk=epoch.pk).delete()
    _loaded.clear()
    _latest[1] = None
    return release


class _Loaded:
    """A release's levels as numpy arrays (kept per process, keyed by release id)."""

    def __init__(self, release: ReachRelease) -> None:
        self.id = release.pk
        self.created_at = release.created_at
        self.domain = Domain.from_json(release.domain)
        shapes = self.domain.shapes()
        self.levels = {level: np.array(release.levels[level], dtype=np.float64).reshape(shapes[level]) for level in shapes}
        self.var = {level: float(s) ** 2 for level, s in release.sigmas.items()}
        self.age_index = {a: i for i, a in enumerate(self.domain.ages)}
        self.area_index = {a: i for i, a in enumerate(self.domain.areas)}
        self.interest_index = {pk: j for j, (pk, _bit) in enumerate(self.domain.interests)}
        patterns = np.arange(2**self.domain.pattern_bits)
        self.patterns = patterns
        self.extras = {e.id: e for e in self.domain.extras}


_loaded: dict[tuple, _Loaded] = {}
_loaded_lock = threading.Lock()
# Which release is current, as last looked up by this process (monotonic time, row): a
# release changes once a day, so one lookup per BROADCAST_PRIVACY_LOOKUP_CACHE_SECONDS is
# enough (0 in tests, whose rolled-back releases must not be remembered).
_latest: list = [0.0, None]


def _latest_row() -> tuple | None:
    import time

    from .models import ReachRelease

    now = time.monotonic()
    ttl = float(getattr(settings, "BROADCAST_PRIVACY_LOOKUP_CACHE_SECONDS", 5.0))
    if _latest[1] is not None and now - _latest[0] < ttl:
        return _latest[1]
    row = ReachRelease.objects.order_by("-created_at", "-id").values_list("pk", "created_at").first()
    _latest[0], _latest[1] = now, row
    return row


def _current(*, publish: bool = True) -> _Loaded | None:
    """The current release (``publish``: publishing one now when there is none, or the beat
    job has not published for two periods; still at most one per period)."""
    from .models import ReachRelease

    row = _latest_row()
    if publish and (row is None or row[1] <= timezone.now() - 2 * _release_interval()):
        release_publish()
        row = _latest_row()
    if row is None:
        return None
    key = (row[0], row[1])  # the pk alone may come back (rolled-back test databases)
    with _loaded_lock:
        loaded = _loaded.get(key)
    if loaded is None:
        loaded = _Loaded(ReachRelease.objects.get(pk=row[0]))
        with _loaded_lock:
            _loaded.clear()
            _loaded[key] = loaded
    return loaded


def _answer(rel: _Loaded, segment: Segment) -> tuple[float, float, bool]:
    """(noisy count, its noise variance, upper bound?) of a segment. Ignores the exclusion
    of earlier recipients. A segment with admin-defined dimensions is its base (ages,
    areas, interests) × the noisy share of each dimension's answers, per age × area cell."""
    value, var, bound = _answer_base(rel, segment)
    if segment.everyone or not segment.dimensions:
        return value, var, bound
    return _with_dimensions(rel, segment, value, var, bound)


def _segment_grid(rel: _Loaded, segment: Segment) -> tuple[list[int], list[int]] | None:
    """The segment's age and area indexes (every one when a dimension is empty); None when
    it names only ages or areas the release does not know."""
    ages = [rel.age_index[a] for a in segment.age_bands if a in rel.age_index]
    areas = [rel.area_index[a] for a in segment.area_ids if a in rel.area_index]
    if (segment.age_bands and not ages) or (segment.area_ids and not areas):
        return None
    ia = ages if segment.age_bands else list(range(len(rel.domain.ages)))
    ir = areas if segment.area_ids else list(range(len(rel.domain.areas)))
    return ia, ir


def _base_cells(rel: _Loaded, segment: Segment, grid: Any) -> tuple[np.ndarray, float]:
    """The segment's base (ages × areas × interests) per age × area cell, noisy, and the
    noise's standard deviation per cell: the weights of the cells' dimension shares."""
    interests = sorted({rel.interest_index[i] for i in segment.interest_ids if i in rel.interest_index})
    if not segment.interest_ids:
        return rel.levels["AR"][grid], math.sqrt(rel.var["AR"])
    if len(interests) == 1:
        return rel.levels["I"][interests[0]][grid], math.sqrt(rel.var["I"])
    if interests and interests[-1] < rel.domain.pattern_bits:
        mask = 0
        for j in interests:
            mask |= 1 << j
        hit = (rel.patterns & mask) != 0
        return rel.levels["F"][grid][..., hit].sum(axis=-1), math.sqrt(int(hit.sum()) * rel.var["F"])
    cells = sum((rel.levels["I"][j][grid] for j in interests), np.zeros(rel.levels["AR"][grid].shape))
    return cells, math.sqrt(len(interests) * rel.var["I"])


def _with_dimensions(rel: _Loaded, segment: Segment, value: float, var: float, bound: bool) -> tuple[float, float, bool]:
    """``value`` (the base's best estimate) × the weighted mean over the segment's age ×
    area cells of Π over its dimensions of the cell's noisy share of the chosen answers
    (answers independent of each other and of interests given age and area). A small
    cell's share is shrunk towards its area's (all ages) share, so noise in nearly empty
    cells does not swing the figure. Post-processing of the release only."""
    found = _segment_grid(rel, segment)
    if found is None:
        return 0.0, 0.0, False
    ia, ir = found
    grid = np.ix_(ia, ir)
    share = np.ones((len(ia), len(ir)))
    relative_var = 0.0
    for dim_id, option_ids in segment.dimensions:
        extra = rel.extras.get(dim_id)
        columns = _chosen_columns(extra, option_ids) if extra is not None else None
        if extra is None or columns is None:
            bound = True  # a dimension the release does not hold: at most the rest
            continue
        cells = rel.levels[extra.level]
        sigma2 = rel.var[extra.level]
        if extra.patterns or not extra.multiple:
            total_all, total = cells.sum(axis=-1), cells[grid].sum(axis=-1)
        else:  # a long multiple choice: per-option cells overlap; the population is AR
            total_all, total = rel.levels["AR"], rel.levels["AR"][grid]
            bound = bound or len(columns) > 1  # OR of overlapping cells: a union bound
        chosen_all = cells[..., columns].sum(axis=-1)
        chosen = chosen_all[grid]
        # Shares shrunk towards a less noisy one: the city's, then the area's (all ages),
        # each weighted by about the noise of the total it corrects.
        k = math.sqrt(sigma2 * extra.columns)
        ages = total_all.shape[0]
        city = float(np.clip(chosen_all.sum() / max(float(total_all.sum()), 1.0), 0.0, 1.0))
        k_area = k * math.sqrt(ages)
        area_total = np.maximum(total_all.sum(axis=0)[ir], 0.0)
        area_share = np.clip((chosen_all.sum(axis=0)[ir] + k_area * city) / (area_total + k_area), 0.0, 1.0)
        share *= np.clip((chosen + k * area_share) / (np.maximum(total, 0.0) + k), 0.0, 1.0)
        hits = max(float(np.maximum(chosen, 0.0).sum()), 1.0)
        relative_var += len(columns) * chosen.size * sigma2 / hits**2
    # The base's cells weight their shares; cells within noise of empty do not count.
    base, sd = _base_cells(rel, segment, grid)
    weights = np.where(base > 2.0 * sd, base, 0.0)
    if float(weights.sum()) <= 0.0:
        weights = np.maximum(base, 0.0)
    if float(weights.sum()) <= 0.0:
        weights = np.ones_like(share)
    factor = float((weights * share).sum() / weights.sum())
    estimate = value * factor
    return estimate, var * factor**2 + estimate**2 * relative_var, bound


def _chosen_columns(extra: Extra, option_ids: tuple[int, ...]) -> list[int] | None:
    """The answer cells of a dimension holding any of ``option_ids`` (None: none of them
    is in the release)."""
    index = {pk: j for j, pk in enumerate(extra.options)}
    chosen = sorted({index[pk] for pk in option_ids if pk in index})
    if not chosen:
        return None
    if not extra.patterns:
        return chosen
    mask = 0
    for j in chosen:
        mask |= 1 << j
    return [p for p in range(extra.columns) if p & mask]


def _answer_base(rel: _Loaded, segment: Segment) -> tuple[float, float, bool]:
    """(noisy count, its noise variance, upper bound?) of a segment's ages, areas and
    interests, from the level that answers it with the least noise."""
    if segment.everyone:
        return float(rel.levels["T"][0]), rel.var["T"], False
    ages = [rel.age_index[a] for a in segment.age_bands if a in rel.age_index]
    areas = [rel.area_index[a] for a in segment.area_ids if a in rel.area_index]
    if (segment.age_bands and not ages) or (segment.area_ids and not areas):
        return 0.0, 0.0, False
    all_ages, all_areas = not segment.age_bands, not segment.area_ids
    ia = list(range(len(rel.domain.ages))) if all_ages else ages
    ir = list(range(len(rel.domain.areas))) if all_areas else areas
    cells = len(ia) * len(ir)
    grid = np.ix_(ia, ir)
    options = [(float(rel.levels["AR"][grid].sum()), cells * rel.var["AR"])]
    if all_areas:
        options.append((float(rel.levels["A"][ia].sum()), len(ia) * rel.var["A"]))
    if all_ages:
        options.append((float(rel.levels["R"][ir].sum()), len(ir) * rel.var["R"]))
    if all_ages and all_areas:
        options.append((float(rel.levels["T"][0]), rel.var["T"]))
    base = min(options, key=lambda o: o[1])
    if not segment.interest_ids:
        return base[0], base[1], False
    interests = sorted({rel.interest_index[i] for i in segment.interest_ids if i in rel.interest_index})
    if not interests:
        return 0.0, 0.0, False
    options = []
    if len(interests) == 1:
        j = interests[0]
        options.append((float(rel.levels["I"][j][grid].sum()), cells * rel.var["I"]))
    if interests[-1] < rel.domain.pattern_bits:
        mask = 0
        for j in interests:
            mask |= 1 << j
        hit = (rel.patterns & mask) != 0
        sub = rel.levels["F"][grid]
        hits = int(hit.sum())
        options.append((float(sub[..., hit].sum()), cells * hits * rel.var["F"]))
        misses = len(rel.patterns) - hits
        options.append((base[0] - float(sub[..., ~hit].sum()), base[1] + cells * misses * rel.var["F"]))
    if options:
        value, var = min(options, key=lambda o: o[1])
        return value, var, False
    # More interests than the pattern level holds: the union bound from the interest level.
    total = sum(float(rel.levels["I"][j][grid].sum()) for j in interests)
    return min(total, base[0]), len(interests) * cells * rel.var["I"], True


@dataclass(frozen=True)
class Estimate:
    """What the compose meter, the estimate API and the review pages show."""

    figure: int | None  # rounded; None when it looks under 50
    below_minimum: bool  # looks under 50 (a segment; never for exactly 友だち全員)
    near_minimum: bool  # the noise could put it on either side of 50: the exact check decides
    upper_bound: bool  # earlier recipients are excluded: at most this many
    text: str
    note: str
    released_at: Any = None


def _count_question(actor: Any) -> None:
    from .models import EstimateUsage

    if actor is None or not getattr(actor, "is_authenticated", False):
        return
    today = timezone.localdate()
    from django.db import connection

    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # A usage counter need not wait for the WAL to reach disk (PostgreSQL's per-transaction
        # ``synchronous_commit``): this is what a question cost in wall time under load, and a
        # server crash can lose at most the last ~0.6 s of increments, never a row's integrity.
        # Inside a caller's transaction the caller's durability stays as it is.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
            if EstimateUsage.objects.filter(user=actor, day=today).update(questions=F("questions") + 1):
                return
    elif EstimateUsage.objects.filter(user=actor, day=today).update(questions=F("questions") + 1):
        return
    try:
        with transaction.atomic():
            EstimateUsage.objects.create(user=actor, day=today, questions=1)
    except IntegrityError:
        EstimateUsage.objects.filter(user=actor, day=today).update(questions=F("questions") + 1)


def estimate(segment: Segment, *, actor: Any = None) -> Estimate:
    """The reach estimate of a segment: post-processing of the current release."""
    _count_question(actor)
    rel = _current()
    assert rel is not None
    return _estimate(rel, segment)


def estimates(segments: list[Segment]) -> list[Estimate]:
    """The estimates of several segments from one look-up of the current release (a list's
    rows; counted as no staff member's question, like the progress box's)."""
    if not segments:
        return []
    rel = _current()
    assert rel is not None
    return [_estimate(rel, segment) for segment in segments]


def _estimate(rel: _Loaded, segment: Segment) -> Estimate:
    value, var, bound = _answer(rel, segment)
    exempt = segment.everyone and not segment.exclude_broadcast_id
    upper = bound or bool(segment.exclude_broadcast_id)
    fig = figure(value)
    spread = 2 * math.sqrt(var)
    near = not exempt and (MIN_RECIPIENTS - spread) <= value < (MIN_RECIPIENTS + spread)
    below = fig is None and not exempt
    if fig is None:
        text = _("50人未満") if exempt else below_minimum_text()
    elif upper:
        text = _("最大 約%(count)s人") % {"count": f"{fig:,}"}
    else:
        text = figure_text(fig)
    notes = []
    if upper and segment.exclude_broadcast_id:
        notes.append(_("過去の配信の受信者を除いた人数は、申請時に正確に確認します。"))
    if near or (upper and not exempt):
        notes.append(_("概算のため、50人以上かどうかは申請時に正確な人数で確認します（この表示で申請は止まりません）。"))
    return Estimate(
        figure=fig,
        below_minimum=below,
        near_minimum=near,
        upper_bound=upper,
        text=text,
        note=" ".join(notes),
        released_at=rel.created_at,
    )


# -- sent broadcasts ------------------------------------------------------------------------


@dataclass(frozen=True)
class SentFigures:
    """A sent broadcast in residents' terms, noisy and rounded; percentages whole numbers
    from batch counts. ``everyone``: an emergency broadcast to 友だち全員 (LINE's broadcast
    endpoint: no recipient list, no count)."""

    everyone: bool
    counting: bool  # the recipient snapshot is still being taken
    total: int | None
    total_text: str
    reached: int | None
    reached_text: str
    failed: int | None
    failed_text: str
    percent_done: int  # batches sent or failed, of all batches
    percent_reached: int
    percent_failed: int
    summary: str  # 「配信中 約1,200 / 約2,700人」 / 「配信完了 約2,700人」


def sent_total(broadcast: Broadcast) -> int | None:
    """The stored noisy total of a broadcast whose snapshot is complete (drawn now, once,
    for a broadcast sent before this existed)."""
    if broadcast.started_at is None:
        return None
    if broadcast.recipients_noisy is None:
        from .models import Broadcast as Model

        noisy = noisy_total(broadcast.recipients_total)
        Model.objects.filter(pk=broadcast.pk, recipients_noisy__isnull=True).update(recipients_noisy=noisy)
        broadcast.recipients_noisy = Model.objects.values_list("recipients_noisy", flat=True).get(pk=broadcast.pk)
    return broadcast.recipients_noisy


def sent_figures(*, broadcast: Broadcast, batches_total: int, batches_done: int, batches_failed: int) -> SentFigures:
    status = broadcast.get_status_display()
    if broadcast.is_emergency:
        return SentFigures(True, False, None, _("友だち全員"), None, "", None, "", 0, 0, 0, status)
    noisy = sent_total(broadcast)
    counting = noisy is None and broadcast.status == broadcast.Status.SENDING
    done_share = batches_done / batches_total if batches_total else 0.0
    failed_share = batches_failed / batches_total if batches_total else 0.0
    total = figure(noisy)
    reached = figure(noisy * done_share) if noisy is not None else None
    failed = figure(noisy * failed_share) if noisy is not None and batches_failed else None
    total_text = _("集計中") if counting else figure_text(total) if noisy is not None else ""
    reached_text = figure_text(reached) if noisy is not None and batches_done else ("0人" if noisy is not None else "")
    failed_text = figure_text(failed) if batches_failed and noisy is not None else ""
    percent_reached = int(math.floor(100 * done_share))
    percent_failed = int(math.ceil(100 * failed_share)) if batches_failed else 0
    percent_done = min(100, int(math.floor(100 * (batches_done + batches_failed) / batches_total))) if batches_total else 0
    if broadcast.status == broadcast.Status.SENDING:
        if reached is not None:
            short = _("約%(count)s") % {"count": f"{reached:,}"}
        else:
            short = _("50人未満") if batches_done else "0"
        summary = _("%(status)s %(reached)s / %(total)s") % {"status": status, "reached": short, "total": total_text}
    elif noisy is not None:
        summary = f"{status} {total_text}"
    else:
        summary = status
    return SentFigures(
        everyone=False,
        counting=counting,
        total=total,
        total_text=total_text,
        reached=reached,
        reached_text=reached_text,
        failed=failed,
        failed_text=failed_text,
        percent_done=percent_done,
        percent_reached=percent_reached,
        percent_failed=percent_failed,
        summary=summary,
    )


# -- audience page --------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    shown: str
    hidden: bool


def _rows(pairs: list[tuple[str, float]], *, complementary: bool) -> list[Row]:
    """Rows of one breakdown from noisy values: under 50 is 「50人未満」. ``complementary``
    (rows that add up to a shown total): more rows are hidden, smallest first, until the
    hidden part is itself at least 50, so it cannot be worked out as total − visible."""
    rows = [Row(label, figure_text(figure(value)), figure(value) is None) for label, value in pairs]
    if complementary:
        hidden_sum = sum(max(0.0, v) for (_label, v), row in zip(pairs, rows, strict=True) if row.hidden)
        if any(r.hidden for r in rows):
            order = sorted((i for i, r in enumerate(rows) if not r.hidden), key=lambda i: pairs[i][1])
            for i in order:
                if hidden_sum >= MIN_RECIPIENTS:
                    break
                rows[i].hidden = True
                rows[i].shown = _("非表示")
                hidden_sum += max(0.0, pairs[i][1])
    return rows


def audience_figures() -> dict:
    """Totals and breakdowns of the audience page (and the dashboard), from the release."""
    from portal.line.models import AgeBand, Area, Interest

    rel = _current()
    assert rel is not None
    s = dict(zip(STATUS_CATEGORIES, rel.levels["S"].tolist(), strict=True))
    friends = sum(s[c] for c in STATUS_CATEGORIES[:4])
    names = dict(Area.objects.values_list("pk", "name"))
    area_pairs = [
        (names.get(pk, _("未登録")) if pk is not None else _("未登録"), float(v))
        for pk, v in zip(rel.domain.areas, rel.levels["R"].tolist(), strict=True)
        if pk is None or pk in names
    ]
    bands = dict(AgeBand.choices)
    age_pairs = [
        (str(bands[a]) if a else _("未登録"), float(v)) for a, v in zip(rel.domain.ages, rel.levels["A"].tolist(), strict=True)
    ]
    interest_names = dict(Interest.objects.values_list("pk", "name"))
    interest_pairs = [
        (interest_names[pk], float(rel.levels["I"][j].sum()))
        for j, (pk, _bit) in enumerate(rel.domain.interests)
        if pk in interest_names
    ]
    return {
        "active": figure_text(figure(friends)),
        "reachable": figure_text(figure(float(rel.levels["T"][0]))),
        "registered": figure_text(figure(s["reachable_registered"] + s["optout_registered"])),
        "opted_out": figure_text(figure(s["optout_registered"] + s["optout_unregistered"])),
        "blocked": figure_text(figure(s["blocked"])),
        "by_area": _rows(area_pairs, complementary=True),
        "by_age": _rows(age_pairs, complementary=True),
        "by_interest": _rows(interest_pairs, complementary=False),
        "by_dimension": _dimension_breakdowns(rel),
        "released_at": rel.created_at,
    }


def _dimension_breakdowns(rel: _Loaded) -> list[dict]:
    """One breakdown per admin-defined dimension in the release: each option's noisy
    total (a single choice also 未回答, and adds up: complementary suppression)."""
    from portal.line.models import Dimension, DimensionOption

    if not rel.domain.extras:
        return []
    names = dict(Dimension.objects.filter(pk__in=[e.id for e in rel.domain.extras]).values_list("pk", "name"))
    ids = [pk for e in rel.domain.extras for pk in e.options]
    labels = dict(DimensionOption.objects.filter(pk__in=ids).values_list("pk", "label"))
    out = []
    for extra in rel.domain.extras:
        if extra.id not in names:
            continue
        cells = rel.levels[extra.level].sum(axis=(0, 1))
        pairs = []
        for j, pk in enumerate(extra.options):
            if extra.patterns:
                value = float(cells[[p for p in range(extra.columns) if p >> j & 1]].sum())
            else:
                value = float(cells[j])
            pairs.append((labels.get(pk, "—"), value))
        if not extra.multiple:
            pairs.append((_("未回答"), float(cells[-1])))
        out.append(
            {
                "id": f"dim-{extra.id}",
                "name": names[extra.id],
                "title": (_("%(name)s別（複数選択）") if extra.multiple else _("%(name)s別")) % {"name": names[extra.id]},
                "rows": _rows(pairs, complementary=not extra.multiple),
            }
        )
    return out


def friends_text() -> str:
    """LINE friends (dashboard card, emergency compose): from the current release; 「集計中」
    before the first one (a dashboard view never publishes a release: the first one waits
    for the beat job or for a question about residents)."""
    rel = _current(publish=False)
    if rel is None:
        return _("集計中")
    friends = float(rel.levels["S"][:4].sum())
    return figure_text(figure(friends))
