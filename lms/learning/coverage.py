"""Coverage of a lecture: unions of played intervals, and the rules that credit them.

Plain Python, no Django: the service in `services.py` feeds these functions what it locked.

Units are integers so that merges are exact and idempotent: times in milliseconds, and a
*weight* per interval in per mille (1000 = every played second counts fully). Weights exist for
the HRD policy, where a range played at 2x is credited at real time, i.e. half (weight 500).
Where ranges of different weights overlap the best weight wins, so the merge stays a union:
idempotent, commutative and associative (re-watching a sped-up part at 1x upgrades it).

*Credit* is measured in units of millisecond x per mille (`credit_units`); one credited second
is `UNITS_PER_SECOND`.
"""

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import NamedTuple

MS_PER_SECOND = 1000
FULL_WEIGHT = 1000
UNITS_PER_SECOND = MS_PER_SECOND * FULL_WEIGHT


class Span(NamedTuple):
    """A played interval [start, end) in milliseconds with its credit weight (per mille)."""

    start: int
    end: int
    weight: int = FULL_WEIGHT


Coverage = tuple[Span, ...]
EMPTY: Coverage = ()


def to_ms(seconds: float) -> int:
    return round(seconds * MS_PER_SECOND)


def normalise(spans: Iterable[Span]) -> Coverage:
    """The canonical form of a union of spans.

    Sorted, non-overlapping, empty spans dropped, at every instant the highest weight of the
    spans that cover it, and touching spans of equal weight joined. `normalise` of any
    reordering, duplication or split of the same spans gives the same result.
    """
    spans = [s for s in spans if s.end > s.start]
    if not spans:
        return EMPTY
    if all(s.weight == spans[0].weight for s in spans):
        return _merge_uniform(spans)
    return _merge_weighted(spans)


def _merge_uniform(spans: list[Span]) -> Coverage:
    spans.sort()
    out: list[Span] = []
    start, end, weight = spans[0]
    for s in spans[1:]:
        if s.start <= end:
            end = max(end, s.end)
        else:
            out.append(Span(start, end, weight))
            start, end = s.start, s.end
    out.append(Span(start, end, weight))
    return tuple(out)


def _merge_weighted(spans: list[Span]) -> Coverage:
    # Sweep over the boundaries, keeping a multiset of the weights active between them.
    events: list[tuple[int, int, int]] = []
    for s in spans:
        events.append((s.start, 1, s.weight))
        events.append((s.end, -1, s.weight))
    events.sort()
    active: Counter[int] = Counter()
    out: list[Span] = []
    i = 0
    previous: int | None = None
    while i < len(events):
        point = events[i][0]
        if previous is not None and active:
            _append(out, Span(previous, point, max(active)))
        while i < len(events) and events[i][0] == point:
            _, kind, weight = events[i]
            active[weight] += kind
            if active[weight] == 0:
                del active[weight]
            i += 1
        previous = point
    return tuple(out)


def _append(out: list[Span], span: Span) -> None:
    if span.end <= span.start:
        return
    if out and out[-1].end == span.start and out[-1].weight == span.weight:
        out[-1] = Span(out[-1].start, span.end, span.weight)
    else:
        out.append(span)


def merge(existing: Coverage, new: Iterable[Span]) -> Coverage:
    return normalise([*existing, *new])


def clip(spans: Iterable[Span], duration_ms: int) -> list[Span]:
    """Spans cut to [0, duration]; what lies wholly outside disappears."""
    out = []
    for s in spans:
        start, end = max(0, s.start), min(duration_ms, s.end)
        if end > start:
            out.append(Span(start, end, s.weight))
    return out


def covered_ms(coverage: Coverage) -> int:
    return sum(s.end - s.start for s in coverage)


def credit_units(coverage: Coverage) -> int:
    return sum((s.end - s.start) * s.weight for s in coverage)


def rate_weight(rate: float, *, real_time_credit: bool) -> int:
    """The weight of time played at `rate`.

    With real-time credit (HRD) a range played faster than 1x counts the wall-clock time it took:
    length / rate. Slower play never counts more than the range itself.
    """
    if not real_time_credit or rate <= 1:
        return FULL_WEIGHT
    return max(1, math.floor(FULL_WEIGHT / rate))


def _pieces(span: Span, existing: Coverage) -> list[tuple[int, int, int]]:
    """`span` cut at the boundaries of `existing`: (start, end, existing weight or 0)."""
    pieces = []
    cursor = span.start
    for e in existing:
        if e.end <= cursor:
            continue
        if e.start >= span.end:
            break
        if e.start > cursor:
            pieces.append((cursor, e.start, 0))
            cursor = e.start
        stop = min(e.end, span.end)
        pieces.append((cursor, stop, e.weight))
        cursor = stop
        if cursor >= span.end:
            break
    if cursor < span.end:
        pieces.append((cursor, span.end, 0))
    return pieces


def gain_units(existing: Coverage, new: Iterable[Span]) -> int:
    """How much credit merging `new` into `existing` adds."""
    return credit_units(merge(existing, new)) - credit_units(existing)


def limit_gain(existing: Coverage, new: Iterable[Span], budget_units: int) -> Coverage:
    """The earliest part of `new` (in media order) whose merge adds at most `budget_units`.

    The wall-clock bound: played time beyond what the elapsed time allows is not credited. The
    earliest part is kept so that the result is a prefix of what was played, which also keeps
    the HRD rule (no credit past the furthest point watched) intact.
    """
    spans = normalise(new)
    remaining = max(0, budget_units)
    kept: list[Span] = []
    for span in spans:
        for start, end, old_weight in _pieces(span, existing):
            density = span.weight - old_weight
            if density <= 0:
                _append(kept, Span(start, end, span.weight))
                continue
            cost = (end - start) * density
            if cost <= remaining:
                remaining -= cost
                _append(kept, Span(start, end, span.weight))
                continue
            cut = start + remaining // density
            _append(kept, Span(start, cut, span.weight))
            return tuple(kept)
    return tuple(kept)


def reachable(new: Iterable[Span], *, furthest_ms: int, tolerance_ms: int) -> tuple[Coverage, int]:
    """HRD: the spans that start no later than the furthest point watched (plus a tolerance).

    Spans are taken in media order, each accepted one extending the furthest point, so
    continuous viewing split over several ranges is accepted whole. Returns the accepted spans
    and the milliseconds refused because they lie past a seek.
    """
    accepted: list[Span] = []
    refused = 0
    reach = furthest_ms
    for span in normalise(new):
        if span.start <= reach + tolerance_ms:
            accepted.append(span)
            reach = max(reach, span.end)
        else:
            refused += span.end - span.start
    return tuple(accepted), refused


def furthest_end(coverage: Iterable[Span], default: int = 0) -> int:
    return max((s.end for s in coverage), default=default)


def percent(units: int, duration_ms: int) -> int:
    """Credited share of the lecture as a whole percent, rounded down, never above 100."""
    if duration_ms <= 0:
        return 0
    return min(100, units * 100 // (duration_ms * FULL_WEIGHT))


def reaches_threshold(units: int, duration_ms: int, threshold_percent: int) -> bool:
    return duration_ms > 0 and units * 100 >= threshold_percent * duration_ms * FULL_WEIGHT


def resume_position(
    position: float, duration: float, *, tail_share: float = 0.05, tail_seconds: float = 10.0
) -> float:
    """Where the player should start: the stored position, or 0 when that is near the end
    (within the last `tail_share` of the lecture or the last `tail_seconds`, but never more
    than the last fifth: in a 40 s clip, 10 s before the end is not "near the end")."""
    if duration <= 0:
        return 0.0
    tail = min(max(duration * tail_share, tail_seconds), duration * 0.2)
    if position >= duration - tail:
        return 0.0
    return max(0.0, position)


def to_json(coverage: Coverage) -> list[list[float]]:
    """Stored form: [start, end] in seconds, or [start, end, weight] when the weight is not 1."""
    out: list[list[float]] = []
    for s in coverage:
        item = [s.start / MS_PER_SECOND, s.end / MS_PER_SECOND]
        if s.weight != FULL_WEIGHT:
            item.append(s.weight / FULL_WEIGHT)
        out.append(item)
    return out


def from_json(data: Sequence[Sequence[float]]) -> Coverage:
    spans = []
    for item in data:
        weight = round(item[2] * FULL_WEIGHT) if len(item) > 2 else FULL_WEIGHT
        spans.append(Span(to_ms(item[0]), to_ms(item[1]), weight))
    return normalise(spans)
