"""Reads of progress. `access_*` look-ups also authorise: what a member may not see is a 404.

Who may record and read progress on a lecture: any signed-in member when the lecture and its
course are visible (published, publish time passed); staff and the course's instructors also on
drafts and scheduled lectures (a preview records like any viewing, so that instructors can try
the player end to end; drafts never count towards course or bundle progress, which only count
visible lectures).

Longer than 400 lines: every read of progress that a page shows (a lecture, a course, the
main button of a course or bundle, "my learning") sits beside `lecture_progress_view`, the one
place that turns a stored row into what members see.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Course, Lecture, Status, visible_q
from lms.catalog.selectors import can_edit_course
from lms.core.errors import NotFound
from lms.core.expiring import ExpiringMap

from . import coverage as cov
from . import rules
from .models import CourseProgress, LectureProgress


class LectureState:
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class LectureProgressView:
    lecture_id: int
    duration_seconds: int
    state: str
    percent: int
    covered_seconds: float
    credited_seconds: float
    completed: bool
    completed_at: datetime | None
    # HRD: the threshold is reached but the daily lecture cap was; it counts on a later day.
    completion_deferred: bool
    position: float
    resume_position: float
    furthest_position: float
    coverage: list[list[float]]
    threshold: int
    policy: str
    last_activity_at: datetime | None


@dataclass(frozen=True)
class CourseProgressView:
    course_id: int
    percent: int
    completed_lectures: int
    total_lectures: int
    completed_at: datetime | None
    lectures: list[tuple[Lecture, LectureProgressView]]


@dataclass(frozen=True)
class ContinueItem:
    lecture: Lecture
    course: Course
    percent: int
    resume_position: float
    last_activity_at: datetime


@dataclass(frozen=True)
class MyCourse:
    course: Course
    percent: int
    completed_lectures: int
    total_lectures: int
    completed_at: datetime | None
    last_activity_at: datetime | None
    next_lecture: Lecture | None


def _lecture_not_found(lecture_id: int) -> NotFound:
    return NotFound(
        _("Lecture %(id)s does not exist or is not published.") % {"id": lecture_id},
        code="lecture_not_found",
        extra={"lecture": lecture_id},
    )


#: Lectures found visible lately, by id (with their course): every heartbeat names its
#: lecture, and visibility changes rarely. A lecture or course saved in this process clears
#: it (`signals.py`); another process's change is seen within this many seconds.
VISIBLE_LECTURES_CACHE_SECONDS = 30
visible_lectures = ExpiringMap(max_entries=10_000)


def access_lectures(user: User, *, lecture_ids: Iterable[int]) -> dict[int, Lecture]:
    """The lectures `user` may record and read progress on, with their courses, by id: the
    visible ones (`visible_q`, for the lecture and its course), and drafts or scheduled ones
    for the course's editors.

    Raises NotFound (code `lecture_not_found`) for the first id that does not exist or that
    the user may not see.
    """
    ids = sorted(set(lecture_ids))
    found = {i: visible_lectures.get(str(i)) for i in ids}
    missing = [i for i, lecture in found.items() if lecture is None]
    if missing:
        visible = ExpressionWrapper(visible_q() & visible_q("course__"), BooleanField())
        for lecture in (
            Lecture.objects.filter(pk__in=missing)
            .select_related("course")
            .annotate(visible=visible)
        ):
            if lecture.visible:
                visible_lectures.set(str(lecture.pk), lecture, VISIBLE_LECTURES_CACHE_SECONDS)
            elif not can_edit_course(user, lecture.course):
                continue
            found[lecture.pk] = lecture
    for lecture_id in ids:
        if found[lecture_id] is None:
            raise _lecture_not_found(lecture_id)
    return found


def access_lecture(user: User, *, lecture_id: int) -> Lecture:
    return access_lectures(user, lecture_ids=[lecture_id])[lecture_id]


def access_course_for_progress(user: User, *, course_id: int) -> Course:
    """A course by id that `user` may see (visible, or they edit it); NotFound otherwise."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None or not (course.is_visible or can_edit_course(user, course)):
        raise NotFound(
            _("Course %(id)s does not exist or is not published.") % {"id": course_id},
            code="course_not_found",
            extra={"course": course_id},
        )
    return course


def lecture_progress_view(
    lecture: Lecture, row: LectureProgress | None, policy: rules.Policy
) -> LectureProgressView:
    """What the player and the pages show about one lecture (no query)."""
    duration = lecture.duration_seconds
    if row is None:
        return LectureProgressView(
            lecture_id=lecture.pk,
            duration_seconds=duration,
            state=LectureState.NOT_STARTED,
            percent=0,
            covered_seconds=0.0,
            credited_seconds=0.0,
            completed=False,
            completed_at=None,
            completion_deferred=False,
            position=0.0,
            resume_position=0.0,
            furthest_position=0.0,
            coverage=[],
            threshold=policy.threshold,
            policy="hrd" if policy.hrd else "community",
            last_activity_at=None,
        )
    units = round(row.credited_seconds * cov.UNITS_PER_SECOND)
    duration_ms = duration * cov.MS_PER_SECOND
    completed = row.completed_at is not None
    if completed:
        state = LectureState.COMPLETED
    elif row.credited_seconds > 0 or row.position > 0:
        state = LectureState.IN_PROGRESS
    else:
        state = LectureState.NOT_STARTED
    return LectureProgressView(
        lecture_id=lecture.pk,
        duration_seconds=duration,
        state=state,
        percent=100 if completed else cov.percent(units, duration_ms),
        covered_seconds=row.covered_seconds,
        credited_seconds=row.credited_seconds,
        completed=completed,
        completed_at=row.completed_at,
        completion_deferred=not completed
        and cov.reaches_threshold(units, duration_ms, policy.threshold),
        position=row.position,
        resume_position=cov.resume_position(
            row.position,
            duration,
            tail_share=rules.RESUME_TAIL_SHARE,
            tail_seconds=rules.RESUME_TAIL_SECONDS,
        ),
        furthest_position=row.furthest_position,
        coverage=list(row.coverage),
        threshold=policy.threshold,
        policy="hrd" if policy.hrd else "community",
        last_activity_at=row.updated_at,
    )


def lecture_progress_get(*, user: User, lecture: Lecture) -> LectureProgressView:
    row = LectureProgress.objects.filter(user=user, lecture=lecture).first()
    return lecture_progress_view(lecture, row, rules.course_policy(lecture.course))


def _visible_lectures(course: Course) -> QuerySet[Lecture]:
    return Lecture.objects.filter(visible_q(), course=course).order_by("position")


def course_progress_get(*, user: User, course: Course) -> CourseProgressView:
    """Percent of the course's visible lectures completed, and each lecture's state."""
    lectures = list(_visible_lectures(course))
    rows = {
        row.lecture_id: row
        for row in LectureProgress.objects.filter(user=user, lecture__in=[x.pk for x in lectures])
    }
    policy = rules.course_policy(course)
    states = [(x, lecture_progress_view(x, rows.get(x.pk), policy)) for x in lectures]
    done = sum(1 for _, view in states if view.completed)
    stored = CourseProgress.objects.filter(user=user, course=course).first()
    return CourseProgressView(
        course_id=course.pk,
        percent=share(done, len(lectures)),
        completed_lectures=done,
        total_lectures=len(lectures),
        completed_at=stored.completed_at if stored else None,
        lectures=states,
    )


def share(done: int, total: int) -> int:
    """Percent done, rounded down: 100 only when all is done."""
    return min(100, done * 100 // total) if total else 0


def continue_watching(*, user: User, limit: int = 6) -> list[ContinueItem]:
    """Lectures started and not completed, most recently watched first (for the home page)."""
    rows = (
        LectureProgress.objects.filter(user=user, completed_at__isnull=True)
        .filter(Q(credited_seconds__gt=0) | Q(position__gt=0))
        .filter(visible_q("lecture__"), visible_q("lecture__course__"))
        .select_related("lecture", "lecture__course")
        .order_by("-updated_at", "-pk")[:limit]
    )
    items = []
    for row in rows:
        lecture = row.lecture
        units = round(row.credited_seconds * cov.UNITS_PER_SECOND)
        items.append(
            ContinueItem(
                lecture=lecture,
                course=lecture.course,
                percent=cov.percent(units, lecture.duration_seconds * cov.MS_PER_SECOND),
                resume_position=cov.resume_position(
                    row.position,
                    lecture.duration_seconds,
                    tail_share=rules.RESUME_TAIL_SHARE,
                    tail_seconds=rules.RESUME_TAIL_SECONDS,
                ),
                last_activity_at=row.updated_at,
            )
        )
    return items


def my_learning(*, user: User) -> list[MyCourse]:
    """The courses a member has started, most recent activity first, with their progress and
    the next lecture to watch. Archived courses stay in the list (history). Four queries."""
    progress = list(
        CourseProgress.objects.filter(user=user)
        .filter(visible_q("course__") | Q(course__status=Status.ARCHIVED))
        .select_related("course", "course__category")
    )
    course_ids = [p.course_id for p in progress]
    lectures = list(
        Lecture.objects.filter(visible_q(), course_id__in=course_ids).order_by(
            "course_id", "position"
        )
    )
    lecture_rows = (
        LectureProgress.objects.filter(user=user, lecture__course_id__in=course_ids)
        .values("lecture__course_id")
        .annotate(last=Max("updated_at"))
        .order_by()
    )
    last_activity = {r["lecture__course_id"]: r["last"] for r in lecture_rows}
    completed = set(
        LectureProgress.objects.filter(
            user=user, lecture__in=[x.pk for x in lectures], completed_at__isnull=False
        ).values_list("lecture_id", flat=True)
    )
    by_course: dict[int, list[Lecture]] = {}
    for lecture in lectures:
        by_course.setdefault(lecture.course_id, []).append(lecture)
    items = []
    for p in progress:
        course_lectures = by_course.get(p.course_id, [])
        done = sum(1 for x in course_lectures if x.pk in completed)
        items.append(
            MyCourse(
                course=p.course,
                percent=share(done, len(course_lectures)),
                completed_lectures=done,
                total_lectures=len(course_lectures),
                completed_at=p.completed_at,
                last_activity_at=last_activity.get(p.course_id),
                next_lecture=next((x for x in course_lectures if x.pk not in completed), None),
            )
        )
    items.sort(key=lambda i: (i.last_activity_at is not None, i.last_activity_at), reverse=True)
    return items


def completion_counts(*, user: User, courses: Q) -> list[dict[str, int]]:
    """Visible lectures and the ones `user` completed, per course matching `courses` (a Q on
    Lecture's `course__...`): `[{"course_id", "total", "done"}, ...]` in one query."""
    done = Exists(
        LectureProgress.objects.filter(
            user=user, lecture=OuterRef("pk"), completed_at__isnull=False
        )
    )
    return list(
        Lecture.objects.filter(visible_q(), visible_q("course__"))
        .filter(courses)
        .values("course_id")
        .annotate(total=Count("pk"), done=Count("pk", filter=Q(done)))
        .order_by("course_id")
    )


def lecture_progress_views(
    *, user: User, lectures: list[Lecture], course: Course | None = None
) -> dict[int, LectureProgressView]:
    """Each of `lectures` with the member's progress, by lecture id: one query whatever the
    number of lectures. The lectures are all of `course`, or each has its course loaded."""
    rows = {
        row.lecture_id: row
        for row in LectureProgress.objects.filter(
            user=user, lecture_id__in=[x.pk for x in lectures]
        ).defer("sessions")
    }
    policies: dict[int, rules.Policy] = {}
    if course is not None:
        policies[course.pk] = rules.course_policy(course)
    views = {}
    for x in lectures:
        if x.course_id not in policies:
            policies[x.course_id] = rules.course_policy(x.course)
        views[x.pk] = lecture_progress_view(x, rows.get(x.pk), policies[x.course_id])
    return views


class StepKind:
    START = "start"
    CONTINUE = "continue"
    REVIEW = "review"


@dataclass(frozen=True)
class NextStep:
    """What a course's (or bundle's) main button does: start at the first lecture, continue
    where the member was, or review from the start once everything is completed."""

    kind: str
    lecture: Lecture
    resume_seconds: float


def next_step(lectures: list[Lecture], views: dict[int, LectureProgressView]) -> NextStep | None:
    """The main button's target among `lectures` (in course order), from the member's
    `views` (empty for a visitor). No query. None when there is no lecture."""
    if not lectures:
        return None
    seen = [(x, views[x.pk]) for x in lectures if x.pk in views]
    if not any(view.state != LectureState.NOT_STARTED for _x, view in seen):
        return NextStep(StepKind.START, lectures[0], 0.0)
    if all(view.completed for _x, view in seen) and len(seen) == len(lectures):
        return NextStep(StepKind.REVIEW, lectures[0], 0.0)
    started: list[tuple[datetime, int, Lecture, LectureProgressView]] = []
    for i, (x, view) in enumerate(seen):
        if view.state == LectureState.IN_PROGRESS and view.last_activity_at is not None:
            started.append((view.last_activity_at, -i, x, view))
    if started:
        # The lecture watched last (the earlier one when two were touched at once).
        _at, _i, lecture, view = max(started, key=lambda item: (item[0], item[1]))
        return NextStep(StepKind.CONTINUE, lecture, view.resume_position)
    # Only completed lectures so far: the first one not completed, from its start.
    lecture = next(x for x in lectures if not (x.pk in views and views[x.pk].completed))
    return NextStep(StepKind.CONTINUE, lecture, 0.0)


def course_percents(*, user: User, course_ids: list[int]) -> dict[int, int]:
    """Per course, the share of its visible lectures the member completed (one query)."""
    if not course_ids:
        return {}
    return {
        row["course_id"]: share(row["done"], row["total"])
        for row in completion_counts(user=user, courses=Q(course_id__in=course_ids))
    }
