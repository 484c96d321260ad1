"""The pure coverage rules (no database)."""

import itertools
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from lms.learning import coverage as cov
from lms.learning.coverage import Span

DURATION_MS = 600_000

weights = st.sampled_from([1000, 1000, 1000, 500, 333, 250])


@st.composite
def spans(draw: st.DrawFn, *, weighted: bool = True) -> Span:
    start = draw(st.integers(0, DURATION_MS))
    length = draw(st.integers(0, 120_000))
    weight = draw(weights) if weighted else cov.FULL_WEIGHT
    return Span(start, min(DURATION_MS, start + length), weight)


span_lists = st.lists(spans(), max_size=25)


def split(span: Span, rng: random.Random) -> list[Span]:
    """The same played range cut into pieces, as several heartbeats would send it."""
    if span.end - span.start < 2:
        return [span]
    cuts = sorted(rng.sample(range(span.start + 1, span.end), min(3, span.end - span.start - 1)))
    points = [span.start, *cuts, span.end]
    return [Span(a, b, span.weight) for a, b in itertools.pairwise(points)]


def covers(coverage: cov.Coverage, point: float) -> int:
    """The weight credited at `point` (0 if not covered)."""
    return max((s.weight for s in coverage if s.start <= point < s.end), default=0)


@given(span_lists, st.randoms(use_true_random=False))
def test_merge_is_independent_of_order_duplication_and_splitting(played, rng):
    reference = cov.normalise(played)

    shuffled = list(played)
    rng.shuffle(shuffled)
    duplicated = shuffled + rng.sample(shuffled, len(shuffled) // 2)
    pieces = [piece for span in duplicated for piece in split(span, rng)]
    rng.shuffle(pieces)

    assert cov.normalise(shuffled) == reference
    assert cov.normalise(duplicated) == reference
    assert cov.normalise(pieces) == reference


@given(span_lists, span_lists, span_lists)
def test_merge_is_idempotent_commutative_and_associative(a, b, c):
    na, nb, nc = cov.normalise(a), cov.normalise(b), cov.normalise(c)

    assert cov.normalise(na) == na
    assert cov.merge(na, na) == na
    assert cov.merge(na, nb) == cov.merge(nb, na)
    assert cov.merge(cov.merge(na, nb), nc) == cov.merge(na, cov.merge(nb, nc))


@given(span_lists)
def test_normalised_coverage_is_sorted_disjoint_and_keeps_the_best_weight(played):
    result = cov.normalise(played)

    for left, right in itertools.pairwise(result):
        assert left.end <= right.start
        assert left.end < right.start or left.weight != right.weight
    for s in result:
        assert s.end > s.start
    probes = {p for s in played for p in (s.start, (s.start + s.end) / 2, s.end - 0.5)}
    for point in probes:
        assert covers(result, point) == max(
            (s.weight for s in played if s.start <= point < s.end), default=0
        )


@given(st.lists(spans(weighted=False), max_size=25))
def test_total_length_of_a_union_never_exceeds_the_duration(played):
    result = cov.normalise(cov.clip(played, DURATION_MS))

    assert 0 <= cov.covered_ms(result) <= DURATION_MS
    assert cov.percent(cov.credit_units(result), DURATION_MS) <= 100


def test_clip_cuts_ranges_to_the_lecture():
    clipped = cov.clip(
        [Span(-5_000, 10_000), Span(590_000, 610_000), Span(700_000, 800_000)], 600_000
    )

    assert clipped == [Span(0, 10_000), Span(590_000, 600_000)]


def test_touching_ranges_join_and_different_weights_stay_apart():
    assert cov.normalise([Span(0, 10), Span(10, 20)]) == (Span(0, 20),)
    assert cov.normalise([Span(0, 10, 500), Span(10, 20)]) == (Span(0, 10, 500), Span(10, 20))
    assert cov.normalise([Span(0, 20, 500), Span(5, 10)]) == (
        Span(0, 5, 500),
        Span(5, 10),
        Span(10, 20, 500),
    )


@given(span_lists, span_lists, st.integers(0, 200 * cov.UNITS_PER_SECOND))
def test_limited_gain_never_exceeds_the_budget_and_is_a_prefix(existing, new, budget):
    base = cov.normalise(existing)

    kept = cov.limit_gain(base, new, budget)

    assert 0 <= cov.gain_units(base, kept) <= budget
    # Everything kept was played, and it is what was played up to some point.
    played = cov.normalise(new)
    assert cov.merge(played, kept) == played
    if kept:
        cut = kept[-1].end
        assert cov.normalise(kept) == cov.normalise(cov.clip(played, cut))


def test_limited_gain_keeps_everything_within_budget():
    new = (Span(0, 10_000),)

    assert cov.limit_gain(cov.EMPTY, new, 10 * cov.UNITS_PER_SECOND) == new
    assert cov.limit_gain(cov.EMPTY, new, 4 * cov.UNITS_PER_SECOND) == (Span(0, 4_000),)
    # Already covered parts cost nothing, so the budget is spent on the new part only.
    assert cov.limit_gain((Span(0, 5_000),), new, 2 * cov.UNITS_PER_SECOND) == (Span(0, 7_000),)


def test_sped_up_viewing_is_weighted_at_real_time_only_under_real_time_credit():
    assert cov.rate_weight(2.0, real_time_credit=True) == 500
    assert cov.rate_weight(1.5, real_time_credit=True) == 666
    assert cov.rate_weight(0.5, real_time_credit=True) == 1000
    assert cov.rate_weight(2.0, real_time_credit=False) == 1000


def test_seek_past_furthest_point_is_not_reachable():
    accepted, refused = cov.reachable(
        [Span(0, 30_000), Span(32_000, 40_000), Span(100_000, 130_000)],
        furthest_ms=0,
        tolerance_ms=3_000,
    )

    assert accepted == (Span(0, 30_000), Span(32_000, 40_000))
    assert refused == 30_000


def test_resume_near_the_end_starts_from_zero():
    assert cov.resume_position(300, 600) == 300
    assert cov.resume_position(569, 600) == 569
    assert cov.resume_position(570, 600) == 0  # last 5 %
    assert cov.resume_position(55, 60) == 0  # last 10 s of a short lecture
    assert cov.resume_position(49, 60) == 49
    assert cov.resume_position(10, 0) == 0


def test_percent_is_rounded_down_and_never_above_100():
    assert cov.percent(599 * cov.UNITS_PER_SECOND, 600_000) == 99
    assert cov.percent(900 * cov.UNITS_PER_SECOND, 600_000) == 100
    assert cov.reaches_threshold(540 * cov.UNITS_PER_SECOND, 600_000, 90)
    assert not cov.reaches_threshold(539 * cov.UNITS_PER_SECOND, 600_000, 90)


@given(span_lists)
@settings(max_examples=50)
def test_stored_form_round_trips(played):
    coverage = cov.normalise(played)

    assert cov.from_json(cov.to_json(coverage)) == coverage
