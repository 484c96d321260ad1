"""Writes of progress: heartbeats from the player, and what follows from them.

`progress_record` is the hot path (every watching member). The usual heartbeat (one lecture,
a row and credit clock that exist, a known player session, no completion) runs three
statements and takes no lock (`progress_sql`): one SELECT of the member's progress row with
their credit clock, and in one transaction two UPDATEs that write them only if no other
request wrote them since. Anything else (a new row or session, a completion, that rare
conflict) goes through the ORM with the member's clock and rows locked. Course and bundle
progress are recomputed only when a lecture is completed.

Longer than 400 lines: the rules of credit and completion, which a heartbeat applies
together in one transaction.
"""

import math
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Bundle, Course, Lecture, visible_q
from lms.core.errors import AppError, Conflict, PermissionDenied

from . import coverage as cov
from . import progress_sql, rules, selectors
from .models import (
    BundleProgress,
    CourseProgress,
    HeartbeatSession,
    LectureProgress,
    MemberCredit,
)
from .reports import HeartbeatReport, report_check_bounds, report_parse

M = TypeVar("M", bound=Model)


class WallBudget:
    """The wall time a request may credit, shared by every lecture it reports on: from the
    member's credit clock (never earlier than CREDIT_CARRY_SECONDS ago, nor before the page's
    key was issued) up to now. Crediting d seconds at rate r spends d / r of it; `clock` is
    where the member's clock stands afterwards."""

    def __init__(self, *, clock: datetime | None, now: datetime, issued_at: datetime | None):
        start = now - timedelta(seconds=rules.CREDIT_CARRY_SECONDS)
        for later in (clock, issued_at):
            if later is not None and later > start:
                start = later
        self.start = min(start, now)
        self.left_us = (now - self.start) // _MICROSECOND
        self.used_us = 0

    def units(self, rate: float) -> int:
        """The credit units still affordable at `rate`."""
        return math.floor(self.left_us * rate * cov.UNITS_PER_SECOND / 1_000_000)

    def spend(self, units: int, rate: float) -> None:
        used = min(self.left_us, math.ceil(units * 1_000_000 / (rate * cov.UNITS_PER_SECOND)))
        self.left_us -= used
        self.used_us += used

    @property
    def clock(self) -> datetime:
        return self.start + self.used_us * _MICROSECOND


_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class RecordResult:
    progress: selectors.LectureProgressView
    # Played time in the reports that was not credited: past the furthest point watched (HRD)
    # or beyond what the wall-clock time since the last report allows.
    refused_seconds: float


def _lock_or_create(model: type[M], **keys: Any) -> M:
    """Lock the row with `keys` (its unique fields) for the transaction, creating it if
    missing (get_or_create: safe when two transactions race to create it)."""
    row, _created = model._default_manager.select_for_update().get_or_create(**keys)
    return row


def _lock_progress_rows(user: User, lectures: dict[int, Lecture]) -> dict[int, LectureProgress]:
    """Lock the member's progress rows of `lectures`, creating the missing ones (and the
    course progress rows "My learning" lists a started course by). The missing rows are
    inserted in one statement that leaves alone any row another request made meanwhile, and
    then locked like the others, so that request's write is not lost."""
    locked = LectureProgress.objects.select_for_update().filter(user=user).order_by("lecture_id")
    rows = {row.lecture_id: row for row in locked.filter(lecture_id__in=sorted(lectures))}
    missing = sorted(set(lectures) - set(rows))
    if missing:
        LectureProgress.objects.bulk_create(
            [LectureProgress(user=user, lecture_id=i) for i in missing], ignore_conflicts=True
        )
        courses = sorted({lectures[i].course_id for i in missing})
        CourseProgress.objects.bulk_create(
            [CourseProgress(user=user, course_id=c) for c in courses], ignore_conflicts=True
        )
        rows.update({row.lecture_id: row for row in locked.filter(lecture_id__in=missing)})
    return rows


#: What to do with a player session the progress row does not know: claim it (or find it
#: ours), returning None, or refuse it with an AppError.
SessionClaim = Callable[[uuid.UUID], None]


def _session_last_seq(
    *, session: uuid.UUID, row: LectureProgress, claim: SessionClaim
) -> int | None:
    """The last seq seen from `session`, None for a session new to this lecture's row (which
    `claim` is asked to take)."""
    key = str(session)
    for sid, seq in row.sessions:
        if sid == key:
            return int(seq)
    claim(session)
    return None


def _session_claim(session: uuid.UUID, *, user: User, lecture_id: int) -> None:
    """Claim a new player session for `user` and the lecture; refuse one that belongs to
    someone else (403) or to another lecture (409). One of ours the row has forgotten is
    fine. (Inserted unless it exists, then read: whoever claimed it first owns it.)"""
    HeartbeatSession.objects.bulk_create(
        [HeartbeatSession(id=session, user=user, lecture_id=lecture_id)], ignore_conflicts=True
    )
    owner, lecture = HeartbeatSession.objects.values_list("user_id", "lecture_id").get(id=session)
    key = str(session)
    if owner != user.pk:
        raise PermissionDenied(
            _("This player session belongs to another member. Reload the page."),
            code="session_forbidden",
            extra={"session": key},
        )
    if lecture != lecture_id:
        raise Conflict(
            _("This player session belongs to another lecture. Reload the page."),
            code="session_conflict",
            extra={"session": key},
        )


def _remember_session(row: LectureProgress, key: str, seq: int) -> None:
    sessions = [pair for pair in row.sessions if pair[0] != key]
    sessions.append([key, seq])
    row.sessions = sessions[-rules.MAX_TRACKED_SESSIONS :]


def _apply_reports(
    *,
    row: LectureProgress,
    lecture: Lecture,
    policy: rules.Policy,
    reports: list[HeartbeatReport],
    budget: WallBudget,
    now: datetime,
    claim: SessionClaim,
) -> int:
    """Merge the reports of one lecture into its row (not saved); `claim` takes the player
    sessions the row does not know. Returns the played milliseconds that were not
    credited."""
    duration_ms = lecture.duration_seconds * cov.MS_PER_SECOND
    existing = cov.from_json(row.coverage)
    rate = policy.max_credit_rate
    furthest = cov.to_ms(row.furthest_position)
    tolerance = cov.to_ms(rules.SEEK_TOLERANCE_SECONDS)
    refused = 0
    for report in reports:
        last_seq = _session_last_seq(session=report.session, row=row, claim=claim)
        weight = cov.rate_weight(report.rate, real_time_credit=policy.real_time_credit)
        played = cov.normalise(
            cov.clip(
                (cov.Span(cov.to_ms(s), cov.to_ms(e), weight) for s, e in report.ranges),
                duration_ms,
            )
        )
        candidates = played
        if policy.seek_guard:
            candidates, _seek_refused = cov.reachable(
                played, furthest_ms=furthest, tolerance_ms=tolerance
            )
        kept = cov.limit_gain(existing, candidates, budget.units(rate))
        merged = cov.merge(existing, kept)
        if len(merged) > rules.MAX_COVERAGE_SPANS:
            raise AppError(
                _("Report %(index)s would split the coverage into more than %(limit)s ranges.")
                % {"index": report.index, "limit": rules.MAX_COVERAGE_SPANS},
                code="coverage_too_fragmented",
                extra={"index": report.index, "field": "ranges"},
            )
        budget.spend(cov.credit_units(merged) - cov.credit_units(existing), rate)
        refused += cov.covered_ms(played) - cov.covered_ms(kept)
        existing = merged
        furthest = cov.furthest_end(kept, default=furthest)
        if last_seq is None or report.seq > last_seq:
            # Only the newest report of a session moves the resume position; a replayed or
            # late one still adds its ranges.
            row.position = report.position
            row.last_rate = report.rate
            _remember_session(row, str(report.session), report.seq)
        else:
            _remember_session(row, str(report.session), last_seq)
    row.coverage = cov.to_json(existing)
    row.covered_seconds = cov.covered_ms(existing) / cov.MS_PER_SECOND
    row.credited_seconds = cov.credit_units(existing) / cov.UNITS_PER_SECOND
    row.furthest_position = max(row.furthest_position, furthest / cov.MS_PER_SECOND)
    row.last_report_at = now
    return refused


def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """The member's day (Asia/Seoul, the site's time zone) around `now`."""
    start = timezone.make_aware(datetime.combine(timezone.localdate(now), time.min))
    return start, start + timedelta(days=1)


def _completed_today(user: User, course_id: int, now: datetime) -> int:
    start, end = _day_bounds(now)
    return LectureProgress.objects.filter(
        user=user, lecture__course_id=course_id, completed_at__gte=start, completed_at__lt=end
    ).count()


def _may_complete(
    *,
    user: User,
    course_id: int,
    policy: rules.Policy,
    now: datetime,
    locked: dict[int, CourseProgress],
) -> bool:
    """Whether one more lecture of the course may be completed today. Locks the member's course
    progress row first (kept in `locked`), so two devices cannot both take the last place
    under the cap."""
    if course_id not in locked:
        locked[course_id] = _lock_or_create(CourseProgress, user=user, course_id=course_id)
    if policy.daily_cap is None:
        return True
    return _completed_today(user, course_id, now) < policy.daily_cap


def _totals_write(
    row: CourseProgress | BundleProgress,
    counts: list[dict[str, int]],
    now: datetime,
    fields: Sequence[str] = (),
) -> bool:
    """Write the lectures done of `counts` (`selectors.completion_counts`) into a course's or a
    bundle's progress row, with `fields` set by the caller; whether this completed it."""
    total = sum(c["total"] for c in counts)
    done = sum(min(c["done"], c["total"]) for c in counts)
    row.total_lectures = total
    row.completed_lectures = done
    row.percent = selectors.share(done, total)
    completes = row.completed_at is None and bool(total) and done >= total
    if completes:
        row.completed_at = now
    row.save(
        update_fields=[
            *fields,
            "total_lectures",
            "completed_lectures",
            "percent",
            "completed_at",
            "updated_at",
        ]
    )
    return completes


def _course_progress_refresh(
    *, user: User, course_id: int, now: datetime, locked: CourseProgress | None = None
) -> bool:
    """Recompute the member's progress in the course; whether this completed it."""
    row = locked or _lock_or_create(CourseProgress, user=user, course_id=course_id)
    counts = selectors.completion_counts(user=user, courses=Q(course_id=course_id))
    return _totals_write(row, counts, now)


def _bundle_progress_refresh(*, user: User, course_ids: set[int], now: datetime) -> None:
    bundles = (
        Bundle.objects.filter(visible_q(), items__course_id__in=course_ids)
        .values_list("pk", flat=True)
        .distinct()
        .order_by("pk")
    )
    for bundle_id in bundles:
        row = _lock_or_create(BundleProgress, user=user, bundle_id=bundle_id)
        counts = selectors.completion_counts(user=user, courses=Q(course__bundles=bundle_id))
        row.total_courses = len(counts)
        row.completed_courses = sum(1 for c in counts if c["total"] and c["done"] >= c["total"])
        _totals_write(row, counts, now, fields=("total_courses", "completed_courses"))


def _progress_refresh(
    *,
    user: User,
    course_ids: set[int],
    now: datetime,
    locked: dict[int, CourseProgress] | None = None,
) -> None:
    """Recompute the member's progress in `course_ids` and in the bundles holding them (course
    progress rows already locked by the caller are in `locked`); once committed, tell other
    apps of the courses this completed (`signals.courses_completed`)."""
    locked = locked or {}
    completed = {
        course_id
        for course_id in sorted(course_ids)
        if _course_progress_refresh(
            user=user, course_id=course_id, now=now, locked=locked.get(course_id)
        )
    }
    _bundle_progress_refresh(user=user, course_ids=course_ids, now=now)
    if completed:
        _completed_after_commit(user, completed)


def _parse_all(reports: Sequence[Any], now: datetime) -> list[HeartbeatReport]:
    if not isinstance(reports, list | tuple) or not reports:
        raise AppError(_("Send at least one report."), code="no_reports")
    if len(reports) > rules.MAX_REPORTS_PER_REQUEST:
        raise AppError(
            _("At most %(limit)s reports per request.") % {"limit": rules.MAX_REPORTS_PER_REQUEST},
            code="too_many_reports",
        )
    return [report_parse(data, index=i, now=now) for i, data in enumerate(reports)]


def progress_record(
    *,
    user: User,
    reports: Sequence[Any],
    now: datetime | None = None,
    issued_at: datetime | None = None,
) -> list[RecordResult]:
    """Record heartbeat reports of `user` (raw JSON objects, see `reports.py`).

    All or nothing: any invalid report, unknown or unpublished lecture, or foreign session
    refuses the whole request with an AppError and stores nothing. Per lecture, the played
    ranges are clipped to the lecture, filtered by the course's rules (HRD: nothing past the
    furthest point watched), bounded by the member's credit clock (`WallBudget`; `issued_at`:
    when the page's key was issued, if the reports came with one), and merged
    into the coverage; completion is granted at the course's threshold unless the HRD daily
    cap is reached (then deferred: the coverage is kept). Course and bundle progress are
    recomputed in the same transaction when a lecture is completed. Two devices reporting at
    once lose nothing: a report is merged into the row as it is when it is written. Returns
    one result per lecture, in lecture id order.
    """
    now = now or timezone.now()
    parsed = _parse_all(reports, now)
    lectures = selectors.access_lectures(user, lecture_ids={r.lecture_id for r in parsed})
    by_lecture = _checked_by_lecture(parsed, lectures)
    if len(lectures) == 1:
        try:
            [(lecture_id, lecture)] = lectures.items()
            return [
                _record_guarded(
                    user=user,
                    lecture=lecture,
                    reports=by_lecture[lecture_id],
                    now=now,
                    issued_at=issued_at,
                )
            ]
        except _TakeTheLockedPath:
            pass
    return _record_locked(
        user=user, lectures=lectures, by_lecture=by_lecture, now=now, issued_at=issued_at
    )


class _TakeTheLockedPath(Exception):
    """Raised by the guarded path, before or inside its transaction, to leave it (undone)."""


def _checked_by_lecture(
    parsed: list[HeartbeatReport], lectures: dict[int, Lecture]
) -> dict[int, list[HeartbeatReport]]:
    by_lecture: dict[int, list[HeartbeatReport]] = {}
    for report in parsed:
        lecture = lectures[report.lecture_id]
        if lecture.duration_seconds <= 0:
            raise Conflict(
                _("Lecture %(id)s has no duration yet; progress cannot be recorded.")
                % {"id": lecture.pk},
                code="lecture_not_ready",
                extra={"index": report.index, "lecture": lecture.pk},
            )
        checked = report_check_bounds(report, duration_seconds=lecture.duration_seconds)
        by_lecture.setdefault(report.lecture_id, []).append(checked)
    return by_lecture


def _refuse_new_session(session: uuid.UUID) -> None:
    raise _TakeTheLockedPath  # the locked path claims it


def _record_guarded(
    *,
    user: User,
    lecture: Lecture,
    reports: list[HeartbeatReport],
    now: datetime,
    issued_at: datetime | None,
) -> RecordResult:
    """The usual heartbeat without a lock: read the row with the member's credit clock, merge,
    and in one short transaction write the row back only if no other request wrote it in
    between (compared on `updated_at`, which every write of the row changes) and move the
    clock only if it still stands where it was read. Raises _TakeTheLockedPath, having
    written nothing, when the locked path must do it: no row or clock yet, a player session
    the row does not know, a completion (its cap and the course's progress need locks), or
    a row or clock another request wrote meanwhile."""
    found = progress_sql.progress_and_clock(user_id=user.pk, lecture_id=lecture.pk)
    if found is None:
        raise _TakeTheLockedPath
    row, clock = found
    policy = rules.course_policy(lecture.course)
    read_at = row.updated_at
    budget = WallBudget(clock=clock, now=now, issued_at=issued_at)
    refused = _apply_reports(
        row=row,
        lecture=lecture,
        policy=policy,
        reports=reports,
        budget=budget,
        now=now,
        claim=_refuse_new_session,
    )
    if row.completed_at is None and _threshold_reached(row, lecture, policy):
        raise _TakeTheLockedPath
    # The writes stand or fall together (a clock moved without its coverage stored would
    # refuse honest time; coverage stored without the clock moved would credit it twice).
    with transaction.atomic():
        if budget.used_us and not progress_sql.clock_move(
            user_id=user.pk, read=clock, to=budget.clock
        ):
            raise _TakeTheLockedPath
        if not progress_sql.progress_write(row, now=now, read_at=read_at):
            raise _TakeTheLockedPath
    return RecordResult(
        progress=selectors.lecture_progress_view(lecture, row, policy),
        refused_seconds=refused / cov.MS_PER_SECOND,
    )


@transaction.atomic
def _record_locked(
    *,
    user: User,
    lectures: dict[int, Lecture],
    by_lecture: dict[int, list[HeartbeatReport]],
    now: datetime,
    issued_at: datetime | None,
) -> list[RecordResult]:
    """Any heartbeat, with the member's credit clock and each progress row locked for the
    transaction (two devices wait for each other); creates rows, claims sessions and completes
    lectures."""
    credit = _lock_or_create(MemberCredit, user=user)
    budget = WallBudget(clock=credit.clock, now=now, issued_at=issued_at)
    rows = _lock_progress_rows(user, lectures)
    results = []
    completed_courses: set[int] = set()
    locked_courses: dict[int, CourseProgress] = {}
    for lecture_id in sorted(lectures):
        lecture, row = lectures[lecture_id], rows[lecture_id]
        policy = rules.course_policy(lecture.course)
        refused = _apply_reports(
            row=row,
            lecture=lecture,
            policy=policy,
            reports=by_lecture[lecture_id],
            budget=budget,
            now=now,
            claim=partial(_session_claim, user=user, lecture_id=lecture_id),
        )
        if (
            row.completed_at is None
            and _threshold_reached(row, lecture, policy)
            and _may_complete(
                user=user,
                course_id=lecture.course_id,
                policy=policy,
                now=now,
                locked=locked_courses,
            )
        ):
            row.completed_at = now
            completed_courses.add(lecture.course_id)
        row.save(update_fields=progress_sql.PROGRESS_WRITTEN)
        results.append(
            RecordResult(
                progress=selectors.lecture_progress_view(lecture, row, policy),
                refused_seconds=refused / cov.MS_PER_SECOND,
            )
        )
    if budget.used_us:
        credit.clock = budget.clock
        credit.save(update_fields=["clock"])
    if completed_courses:
        _progress_refresh(user=user, course_ids=completed_courses, now=now, locked=locked_courses)
    return results


def _completed_after_commit(user: User, course_ids: set[int]) -> None:
    """Tell other apps (`signals.courses_completed`) once the course completions are stored,
    outside the heartbeat's locks."""
    from .signals import courses_completed

    transaction.on_commit(
        lambda: courses_completed.send(sender=CourseProgress, user=user, course_ids=course_ids)
    )


def _threshold_reached(row: LectureProgress, lecture: Lecture, policy: rules.Policy) -> bool:
    return cov.reaches_threshold(
        round(row.credited_seconds * cov.UNITS_PER_SECOND),
        lecture.duration_seconds * cov.MS_PER_SECOND,
        policy.threshold,
    )


@transaction.atomic
def progress_settle_deferred(*, user: User, course: Course, now: datetime | None = None) -> int:
    """Grant the completions the HRD daily cap deferred, as far as today's cap allows, in
    lecture order. Safe to call on every visit of the course or player page (it only writes
    when something is deferred). Returns how many lectures it completed."""
    now = now or timezone.now()
    policy = rules.course_policy(course)
    candidates = [
        row
        for row in LectureProgress.objects.filter(
            user=user, lecture__course=course, completed_at__isnull=True
        )
        .filter(visible_q("lecture__"))
        .select_related("lecture")
        .order_by("lecture__position")
        if _threshold_reached(row, row.lecture, policy)
    ]
    if not candidates:
        return 0
    _lock_or_create(CourseProgress, user=user, course_id=course.pk)
    rows = LectureProgress.objects.select_for_update().filter(
        pk__in=[r.pk for r in candidates], completed_at__isnull=True
    )
    locked = {row.pk: row for row in rows.order_by("lecture_id")}
    completed = 0
    for candidate in candidates:
        row = locked.get(candidate.pk)
        if row is None:
            continue
        if policy.daily_cap is not None and (
            _completed_today(user, course.pk, now) >= policy.daily_cap
        ):
            break
        row.completed_at = now
        row.save(update_fields=["completed_at", "updated_at"])
        completed += 1
    if completed:
        _progress_refresh(user=user, course_ids={course.pk}, now=now)
    return completed


def heartbeat_sessions_prune(*, older_than: timedelta = timedelta(days=30)) -> int:
    """Delete player sessions started more than `older_than` ago (run daily). A report that
    still names one later claims it anew, for its member only. Returns how many it deleted."""
    cutoff = timezone.now() - older_than
    deleted, _by_model = HeartbeatSession.objects.filter(created_at__lt=cutoff).delete()
    return deleted
