import uuid
from datetime import datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lms.catalog.models import Course, Lecture, Status
from lms.core.errors import AppError
from lms.learning import coverage as cov
from lms.learning import rules, services
from lms.learning.models import (
    BundleProgress,
    CourseProgress,
    HeartbeatSession,
    LectureProgress,
    MemberCredit,
)
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    CourseFactory,
    LectureFactory,
    UserFactory,
)

from .conftest import report, watch_paced

pytestmark = pytest.mark.django_db

HOUR = timedelta(hours=1)
# Noon in Seoul, so that "today" does not end in the middle of a test.
NOON = timezone.make_aware(datetime.combine(timezone.localdate(), time(12)))


def record(user: Any, *reports: dict[str, Any], now: Any = None) -> list[services.RecordResult]:
    """Record at the server time `now` (the reports are dated then too)."""
    if now is not None:
        reports = tuple({**r, "sent_at": now.isoformat()} for r in reports)
    return services.progress_record(user=user, reports=list(reports), now=now)


def row(user: Any, lecture: Lecture) -> LectureProgress:
    return LectureProgress.objects.get(user=user, lecture=lecture)


def snapshot(user: Any) -> list[dict[str, Any]]:
    return list(LectureProgress.objects.filter(user=user).order_by("pk").values())


# Recording and merging


def test_first_report_stores_coverage_position_and_percent(member, lecture):
    [result] = record(member, report(lecture, ranges=[[0, 30]], position=30))

    progress = row(member, lecture)
    assert progress.coverage == [[0.0, 30.0]]
    assert progress.covered_seconds == progress.credited_seconds == 30
    assert progress.position == 30
    assert result.progress.percent == 5
    assert result.progress.state == "in_progress"
    assert result.refused_seconds == 0
    assert CourseProgress.objects.filter(user=member, course=lecture.course).exists()


def test_replayed_report_is_idempotent_and_does_not_move_the_resume_position(member, lecture):
    now = NOON
    session = uuid.uuid4()
    first = report(lecture, ranges=[[0, 10]], position=10, session=session, seq=1)
    second = report(lecture, ranges=[[10, 20]], position=20, session=session, seq=2)
    record(member, first, now=now)
    record(member, second, now=now + timedelta(seconds=10))
    before = row(member, lecture)

    record(member, first, second, first, now=now + timedelta(seconds=20))

    after = row(member, lecture)
    assert after.coverage == before.coverage == [[0.0, 20.0]]
    assert after.credited_seconds == before.credited_seconds
    assert after.position == 20


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    played=st.lists(
        st.tuples(st.integers(0, 290), st.integers(1, 60)).map(lambda t: [t[0], min(300, sum(t))]),
        min_size=1,
        max_size=6,
    ),
    data=st.data(),
)
def test_any_order_duplication_and_split_store_the_same_coverage(lecture, played, data):
    lecture.duration_seconds = 300
    lecture.save()
    reference, other = UserFactory(), UserFactory()
    now = NOON
    # Each range an hour apart, so that the member's wall-clock bound does not apply.
    for i, piece in enumerate(played):
        record(reference, report(lecture, ranges=[piece], seq=i), now=now + i * HOUR)

    pieces = []
    for start, end in played:
        cut = data.draw(st.integers(start, end))
        pieces += [[start, cut], [cut, end]]
    pieces += data.draw(st.lists(st.sampled_from(pieces), max_size=4))
    order = data.draw(st.permutations(pieces))
    # Sent as separate heartbeats, an hour apart so that the wall-clock bound does not apply.
    for i, piece in enumerate(order):
        record(other, report(lecture, ranges=[piece], seq=i), now=now + i * HOUR)

    assert row(other, lecture).coverage == row(reference, lecture).coverage
    assert row(other, lecture).credited_seconds == row(reference, lecture).credited_seconds


def test_two_lectures_in_one_batch_are_both_recorded(member, course):
    first = LectureFactory(course=course, position=1)
    second = LectureFactory(course=course, position=2)

    results = record(member, report(second, ranges=[[0, 5]]), report(first, ranges=[[0, 7]]))

    assert [r.progress.lecture_id for r in results] == [first.pk, second.pk]
    assert row(member, first).credited_seconds == 7
    assert row(member, second).credited_seconds == 5


def test_range_slightly_past_the_end_is_clipped_to_the_duration(member, lecture):
    record(member, report(lecture, ranges=[[590, 603]], position=603), now=NOON)

    progress = row(member, lecture)
    assert progress.coverage == [[590.0, 600.0]]
    assert progress.position == 600


# The wall-clock bound


def test_credit_is_bounded_by_the_wall_clock_time_since_the_last_report(member, lecture):
    now = NOON
    # A member new to the clock has the carry-over, 120 s of wall time: 240 s of media at 2x.
    [first] = record(member, report(lecture, ranges=[[0, 300]]), now=now)
    assert row(member, lecture).coverage == [[0.0, 240.0]]
    assert first.refused_seconds == 60

    [second] = record(member, report(lecture, ranges=[[300, 400]]), now=now + timedelta(seconds=10))

    assert row(member, lecture).coverage == [[0.0, 240.0], [300.0, 320.0]]
    assert second.refused_seconds == 80


def test_a_late_heartbeat_followed_by_a_punctual_one_loses_nothing(member, hrd_lecture):
    now = NOON
    # HRD credits real time, so after these two reports nothing is left in the allowance.
    record(member, report(hrd_lecture, ranges=[[0, 30]]), now=now)
    record(member, report(hrd_lecture, ranges=[[30, 40]]), now=now + timedelta(seconds=10))
    # Played 40-50 by t=20 and 50-60 by t=30, but the first of the two arrived at t=29.5.
    late = now + timedelta(seconds=29.5)
    record(member, report(hrd_lecture, ranges=[[40, 50]]), now=late)
    record(member, report(hrd_lecture, ranges=[[50, 60]]), now=now + timedelta(seconds=30))

    assert row(member, hrd_lecture).coverage == [[0.0, 60.0]]


def test_a_long_silence_banks_no_more_than_the_carry_over(member, lecture):
    now = NOON
    record(member, report(lecture, ranges=[[0, 10]]), now=now)

    [result] = record(member, report(lecture, ranges=[[10, 600]]), now=now + timedelta(days=2))

    # 120 s of wall time at 2x.
    assert row(member, lecture).coverage == [[0.0, 250.0]]
    assert result.refused_seconds == 350
    lecture.duration_seconds = 3600
    lecture.save()
    [result] = record(member, report(lecture, ranges=[[600, 1800]]), now=now + timedelta(days=4))
    assert row(member, lecture).coverage == [[0.0, 250.0], [600.0, 840.0]]
    assert result.refused_seconds == 960


# HRD


@pytest.fixture
def hrd_lecture(hrd_course: Course) -> Lecture:
    return LectureFactory(course=hrd_course, position=1, duration_seconds=100)


def test_hrd_sped_up_viewing_is_credited_at_real_time(member, hrd_lecture):
    now = NOON

    [result] = record(member, report(hrd_lecture, ranges=[[0, 40]], rate=2.0), now=now)

    progress = row(member, hrd_lecture)
    assert progress.coverage == [[0.0, 40.0, 0.5]]
    assert progress.covered_seconds == 40
    assert progress.credited_seconds == 20
    assert result.progress.percent == 20

    # Watching the same part again at 1x upgrades it to full credit.
    record(member, report(hrd_lecture, ranges=[[0, 40]], seq=2), now=now + timedelta(minutes=1))
    assert row(member, hrd_lecture).coverage == [[0.0, 40.0]]
    assert row(member, hrd_lecture).credited_seconds == 40


def test_hrd_wall_clock_bound_is_real_time(member, hrd_course):
    lecture = LectureFactory(course=hrd_course, position=1, duration_seconds=200)
    now = NOON
    # The whole carry-over used (120 s at 1x): the member's clock stands at now.
    record(member, report(lecture, ranges=[[0, 120]]), now=now)

    # 10 s later, 20 s of media at 1x cannot have been played: 10 s is credited.
    [result] = record(member, report(lecture, ranges=[[120, 140]]), now=now + timedelta(seconds=10))

    assert row(member, lecture).coverage == [[0.0, 130.0]]
    assert result.refused_seconds == 10


def test_seek_past_furthest_point_credits_nothing(member, hrd_lecture):
    now = NOON
    record(member, report(hrd_lecture, ranges=[[0, 30]]), now=now)

    [result] = record(member, report(hrd_lecture, ranges=[[60, 90]], position=90), now=now + HOUR)

    progress = row(member, hrd_lecture)
    assert progress.coverage == [[0.0, 30.0]]
    assert progress.furthest_position == 30
    assert progress.position == 90  # resuming there is allowed; credit is not
    assert result.refused_seconds == 30

    # Continuing from the furthest point (a small gap is tolerated) counts again.
    record(member, report(hrd_lecture, ranges=[[32, 50]], seq=2), now=now + 2 * HOUR)
    assert row(member, hrd_lecture).coverage == [[0.0, 30.0], [32.0, 50.0]]
    assert row(member, hrd_lecture).furthest_position == 50


def test_community_seek_ahead_is_credited(member, lecture):
    now = NOON
    record(member, report(lecture, ranges=[[0, 30]]), now=now)

    record(member, report(lecture, ranges=[[300, 330]], seq=2), now=now + HOUR)

    assert row(member, lecture).coverage == [[0.0, 30.0], [300.0, 330.0]]


def watch_whole(user: Any, lecture: Lecture, now: Any, **kwargs: Any) -> services.RecordResult:
    """Watch the whole lecture as an honest player reports it, done at `now`."""
    result: services.RecordResult = watch_paced(
        user, lecture, 0, lecture.duration_seconds, until=now, **kwargs
    )
    return result


def test_hrd_daily_cap_defers_completion_to_another_day(member, hrd_course):
    hrd_course.daily_lecture_cap = 1
    hrd_course.save()
    first = LectureFactory(course=hrd_course, position=1, duration_seconds=100)
    second = LectureFactory(course=hrd_course, position=2, duration_seconds=100)
    now = NOON

    assert watch_whole(member, first, now).progress.completed
    deferred = watch_whole(member, second, now + timedelta(minutes=5))

    assert not deferred.progress.completed
    assert deferred.progress.completion_deferred
    assert row(member, second).coverage == [[0.0, 100.0]]
    assert CourseProgress.objects.get(user=member, course=hrd_course).completed_lectures == 1

    # The next day, any report on the lecture (the player sends one on load) completes it.
    [later] = record(member, report(second, ranges=[], seq=5), now=now + timedelta(days=1))
    assert later.progress.completed
    assert CourseProgress.objects.get(user=member, course=hrd_course).percent == 100


def test_settle_deferred_grants_completions_within_the_cap(member, hrd_course):
    hrd_course.daily_lecture_cap = 1
    hrd_course.save()
    lectures = [
        LectureFactory(course=hrd_course, position=i, duration_seconds=100) for i in (1, 2, 3)
    ]
    now = NOON
    for i, lecture in enumerate(lectures):
        watch_whole(member, lecture, now + i * timedelta(minutes=5))
    assert LectureProgress.objects.filter(completed_at__isnull=False).count() == 1

    tomorrow = now + timedelta(days=1)
    assert services.progress_settle_deferred(user=member, course=hrd_course, now=tomorrow) == 1
    assert services.progress_settle_deferred(user=member, course=hrd_course, now=tomorrow) == 0
    assert row(member, lectures[1]).completed_at == tomorrow
    assert row(member, lectures[2]).completed_at is None


def test_hrd_threshold_is_at_least_80_percent(member, db):
    course = CourseFactory(completion_policy=Course.CompletionPolicy.HRD, completion_threshold=50)
    lecture = LectureFactory(course=course, position=1, duration_seconds=100)
    now = NOON
    result = watch_paced(member, lecture, 0, 79, until=now)
    assert not result.progress.completed
    [result] = record(member, report(lecture, ranges=[[79, 80]], seq=30), now=now + HOUR)
    assert result.progress.completed


# Completion, course and bundle progress


def test_lecture_completes_at_the_course_threshold(member, lecture):
    now = NOON
    result = watch_paced(member, lecture, 0, 539, until=now)
    assert not result.progress.completed

    [result] = record(member, report(lecture, ranges=[[539, 540]], seq=30), now=now + HOUR)
    assert result.progress.completed
    assert result.progress.percent == 100
    assert row(member, lecture).completed_at == now + HOUR


def test_course_and_bundle_percent_never_exceed_100(member, course):
    lectures = [LectureFactory(course=course, position=i, duration_seconds=60) for i in (1, 2)]
    draft = LectureFactory(course=course, position=3, duration_seconds=60, status=Status.DRAFT)
    course.instructors.add(member)  # may preview the draft
    other_course = CourseFactory()
    other = LectureFactory(course=other_course, position=1, duration_seconds=60)
    bundle = BundleFactory()
    BundleCourseFactory(bundle=bundle, course=course, position=1)
    BundleCourseFactory(bundle=bundle, course=other_course, position=2)
    now = NOON

    for i, lecture in enumerate([*lectures, draft, lectures[0]]):
        watch_whole(member, lecture, now + i * HOUR)

    course_progress = CourseProgress.objects.get(user=member, course=course)
    assert (course_progress.percent, course_progress.completed_lectures) == (100, 2)
    assert course_progress.completed_at is not None
    bundle_progress = BundleProgress.objects.get(user=member, bundle=bundle)
    assert (bundle_progress.percent, bundle_progress.completed_courses) == (66, 1)
    assert bundle_progress.completed_at is None

    watch_whole(member, other, now + 9 * HOUR)
    bundle_progress.refresh_from_db()
    assert (bundle_progress.percent, bundle_progress.completed_lectures) == (100, 3)
    assert bundle_progress.completed_at == now + 9 * HOUR


# Access and refusals


def test_unpublished_or_scheduled_lecture_is_not_found_for_members(member, course):
    draft = LectureFactory(course=course, position=1, status=Status.DRAFT)
    scheduled = LectureFactory(
        course=course, position=2, publish_at=timezone.now() + timedelta(days=1)
    )
    hidden_course = CourseFactory(status=Status.DRAFT)
    in_hidden = LectureFactory(course=hidden_course, position=1)

    for lecture in (draft, scheduled, in_hidden):
        with pytest.raises(AppError) as error:
            record(member, report(lecture))
        assert error.value.code == "lecture_not_found"
        assert error.value.status_code == 404
    assert not LectureProgress.objects.exists()


def test_instructors_and_staff_may_record_a_preview(instructor, staff, course):
    draft = LectureFactory(course=course, position=1, status=Status.DRAFT)
    course.instructors.add(instructor)

    record(instructor, report(draft))
    record(staff, report(draft))

    assert LectureProgress.objects.filter(lecture=draft).count() == 2


def test_someone_elses_session_is_refused_and_nothing_is_stored(member, lecture):
    session = uuid.uuid4()
    record(UserFactory(), report(lecture, session=session))

    with pytest.raises(AppError) as error:
        record(member, report(lecture, session=session, seq=2))

    assert (error.value.code, error.value.status_code) == ("session_forbidden", 403)
    assert not LectureProgress.objects.filter(user=member).exists()


def test_a_session_of_another_lecture_is_a_conflict(member, course):
    first = LectureFactory(course=course, position=1)
    second = LectureFactory(course=course, position=2)
    session = uuid.uuid4()
    record(member, report(first, session=session))

    with pytest.raises(AppError) as error:
        record(member, report(second, session=session, seq=2))

    assert (error.value.code, error.value.status_code) == ("session_conflict", 409)


def test_a_session_forgotten_by_the_row_is_still_recognised_as_ours(member, lecture):
    first = uuid.uuid4()
    record(member, report(lecture, session=first))
    for _ in range(10):
        record(member, report(lecture, ranges=[]))
    assert str(first) not in [sid for sid, _ in row(member, lecture).sessions]

    record(member, report(lecture, session=first, seq=3, ranges=[]))

    assert HeartbeatSession.objects.filter(user=member).count() == 11


def test_the_usual_heartbeat_takes_three_statements_and_no_lock(member, lecture):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = uuid.uuid4()
    record(member, report(lecture, ranges=[[0, 10]], session=session), now=NOON)

    with CaptureQueriesContext(connection) as queries:
        record(member, report(lecture, ranges=[[10, 20]], session=session, seq=2), now=NOON + HOUR)

    # The row read with the member's credit clock (the lecture's rules are remembered), then
    # in one transaction (the test's SAVEPOINT and RELEASE; BEGIN and COMMIT outside a test)
    # the clock moved unless it moved, the row written unless it changed.
    assert [q["sql"].split()[0] for q in queries.captured_queries] == [
        "SELECT",
        "SAVEPOINT",
        "UPDATE",
        "UPDATE",
        "RELEASE",
    ]
    assert "FOR UPDATE" not in " ".join(q["sql"] for q in queries.captured_queries)
    assert row(member, lecture).coverage == [[0.0, 20.0]]


def test_a_new_session_on_a_started_lecture_is_claimed(member, lecture):
    record(member, report(lecture, ranges=[[0, 10]]), now=NOON)
    session = uuid.uuid4()

    record(member, report(lecture, ranges=[[10, 20]], session=session), now=NOON + HOUR)

    progress = row(member, lecture)
    assert progress.coverage == [[0.0, 20.0]]
    assert [str(session), 1] in progress.sessions
    assert HeartbeatSession.objects.get(pk=session).user == member


def test_someone_elses_session_on_a_started_lecture_is_refused_and_nothing_is_stored(
    member, lecture
):
    other, session = UserFactory(), uuid.uuid4()
    record(other, report(lecture, session=session))
    record(member, report(lecture, ranges=[[0, 10]]))
    before = snapshot(member)

    with pytest.raises(AppError) as error:
        record(member, report(lecture, ranges=[[10, 20]], session=session, seq=2))

    assert (error.value.code, error.value.status_code) == ("session_forbidden", 403)
    assert snapshot(member) == before
    assert HeartbeatSession.objects.get(pk=session).user == other


def test_a_refused_first_report_of_a_session_claims_nothing(member, lecture):
    def comb(offset: float, session: uuid.UUID | None = None) -> dict[str, Any]:
        ranges = [[i + offset, i + offset + 0.05] for i in range(500)]
        return report(lecture, ranges=ranges, session=session)

    record(member, comb(0.0), now=NOON)
    record(member, comb(0.5), now=NOON + HOUR)
    before = snapshot(member)
    session = uuid.uuid4()

    # Refused while merging, after the session was found new.
    with pytest.raises(AppError) as error:
        record(member, comb(0.25, session), now=NOON + 2 * HOUR)

    assert error.value.code == "coverage_too_fragmented"
    assert snapshot(member) == before
    assert not HeartbeatSession.objects.filter(pk=session).exists()


def test_two_new_sessions_in_one_request_are_both_claimed(member, lecture):
    record(member, report(lecture, ranges=[[0, 10]]))
    phone, laptop = uuid.uuid4(), uuid.uuid4()

    record(
        member,
        report(lecture, ranges=[[10, 20]], session=phone),
        report(lecture, ranges=[[100, 110]], session=laptop),
    )

    assert row(member, lecture).coverage == [[0.0, 20.0], [100.0, 110.0]]
    assert HeartbeatSession.objects.filter(pk__in=[phone, laptop], user=member).count() == 2


def test_one_bad_report_in_a_batch_refuses_the_batch(member, course):
    good = LectureFactory(course=course, position=1)
    other = LectureFactory(course=course, position=2)
    record(member, report(good, ranges=[[0, 5]]))
    before = snapshot(member)

    with pytest.raises(AppError) as error:
        record(member, report(good, ranges=[[5, 10]]), report(other, ranges=[[0, 700]]))

    assert error.value.code == "range_out_of_bounds"
    assert error.value.extra["index"] == 1
    assert snapshot(member) == before


def test_lecture_without_a_duration_cannot_record(member, course):
    lecture = LectureFactory(course=course, position=1, duration_seconds=0)

    with pytest.raises(AppError) as error:
        record(member, report(lecture, ranges=[]))

    assert (error.value.code, error.value.status_code) == ("lecture_not_ready", 409)


def test_pruning_old_player_sessions_keeps_recent_ones(member, lecture):
    old, recent = uuid.uuid4(), uuid.uuid4()
    record(member, report(lecture, session=old))
    record(member, report(lecture, session=recent, ranges=[]))
    HeartbeatSession.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(days=31))

    assert services.heartbeat_sessions_prune() == 1
    assert list(HeartbeatSession.objects.values_list("pk", flat=True)) == [recent]


def test_coverage_split_into_too_many_ranges_is_refused(member, lecture):
    def comb(offset: float) -> dict[str, Any]:
        return report(lecture, ranges=[[i + offset, i + offset + 0.05] for i in range(500)])

    record(member, comb(0.0), now=NOON)
    record(member, comb(0.5), now=NOON + HOUR)
    before = snapshot(member)

    with pytest.raises(AppError) as error:
        record(member, comb(0.25), now=NOON + 2 * HOUR)

    assert error.value.code == "coverage_too_fragmented"
    assert snapshot(member) == before


def test_the_daily_task_prunes_sessions_older_than_the_setting(member, lecture, settings):
    from lms.learning import tasks

    old, recent = uuid.uuid4(), uuid.uuid4()
    record(member, report(lecture, session=old, ranges=[]))
    record(member, report(lecture, session=recent, ranges=[]))
    HeartbeatSession.objects.filter(pk=old).update(created_at=timezone.now() - timedelta(days=8))
    settings.HEARTBEAT_SESSION_DAYS = 7

    assert tasks.heartbeat_sessions_prune() == 1  # as the worker runs it
    assert list(HeartbeatSession.objects.values_list("pk", flat=True)) == [recent]
    assert "lms.learning.tasks.heartbeat_sessions_prune" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_a_guarded_write_leaves_a_row_another_request_wrote_alone(member, lecture):
    """The usual heartbeat writes a row back only if it still is as it was read, and moves
    the member's clock only if it still stands where it was read."""
    from lms.learning.progress_sql import clock_move, progress_and_clock, progress_write

    session = uuid.uuid4()
    record(member, report(lecture, ranges=[[0, 10]], session=session), now=NOON)
    stale, stale_clock = progress_and_clock(user_id=member.pk, lecture_id=lecture.pk)
    read_at = stale.updated_at
    record(member, report(lecture, ranges=[[10, 20]], session=session, seq=2), now=NOON + HOUR)
    written = row(member, lecture)
    before = snapshot(member)

    stale.coverage = [[0.0, 5.0]]
    assert progress_write(stale, now=NOON + 2 * HOUR, read_at=read_at) is False
    assert clock_move(user_id=member.pk, read=stale_clock, to=NOON + 2 * HOUR) is False
    assert snapshot(member) == before
    assert written.coverage == [[0.0, 20.0]]
    fresh, clock = progress_and_clock(user_id=member.pk, lecture_id=lecture.pk)
    fresh.position = 3.0
    assert progress_write(fresh, now=NOON + 2 * HOUR, read_at=written.updated_at) is True
    assert clock_move(user_id=member.pk, read=clock, to=NOON + 2 * HOUR) is True
    assert row(member, lecture).position == 3.0
    assert MemberCredit.objects.get(user=member).clock == NOON + 2 * HOUR


def test_the_row_read_for_a_heartbeat_is_the_row_the_orm_loads(member, lecture):
    """progress_sql's literal SELECT gives the same model instance as the ORM (every field,
    JSON and timestamps included, on SQLite and PostgreSQL)."""
    from lms.learning.models import LectureProgress
    from lms.learning.progress_sql import progress_and_clock

    record(member, report(lecture, ranges=[[0, 10]], position=10), now=NOON)
    built, clock = progress_and_clock(user_id=member.pk, lecture_id=lecture.pk)
    loaded = LectureProgress.objects.get(user=member, lecture=lecture)

    names = [f.attname for f in LectureProgress._meta.concrete_fields]
    assert {n: getattr(built, n) for n in names} == {n: getattr(loaded, n) for n in names}
    assert (built._state.adding, built._state.db) == (False, "default")
    assert built.get_deferred_fields() == set()
    assert clock == MemberCredit.objects.get(user=member).clock


# The member's credit clock


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(0, 400, allow_nan=False),  # wall seconds since the previous request
            st.integers(0, 2000),  # credit seconds asked for
            st.sampled_from([1.0, 2.0]),  # the lecture's course: HRD or community
        ),
        min_size=1,
        max_size=30,
    )
)
def test_credit_since_any_moment_is_bounded_by_the_wall_time_since_then(steps):
    """Whatever the requests ask, the credit granted from request i to request j is at most
    (t_j - t_i + carry-over) x the highest rate, and the clock never passes the present."""
    clock = None
    now = NOON
    granted: list[tuple[datetime, float]] = []
    for delay, asked, rate in steps:
        now += timedelta(seconds=delay)
        budget = services.WallBudget(clock=clock, now=now, issued_at=None)
        units = min(asked * cov.UNITS_PER_SECOND, budget.units(rate))
        budget.spend(units, rate)
        if budget.used_us:
            clock = budget.clock
        assert clock is None or clock <= now
        granted.append((now, units / cov.UNITS_PER_SECOND))
    carry = rules.CREDIT_CARRY_SECONDS
    for i in range(len(granted)):
        for j in range(i, len(granted)):
            wall = (granted[j][0] - granted[i][0]).total_seconds()
            credited = sum(g for _at, g in granted[i : j + 1])
            assert credited <= (wall + carry) * 2.0 + 1e-6


def test_the_first_report_of_a_page_credits_no_more_than_the_time_since_its_key(member, lecture):
    issued = NOON - timedelta(seconds=20)

    [result] = services.progress_record(
        user=member,
        reports=[report(lecture, ranges=[[0, 100]], sent_at=NOON)],
        now=NOON,
        issued_at=issued,
    )

    # 20 s at 2x.
    assert row(member, lecture).coverage == [[0.0, 40.0]]
    assert result.refused_seconds == 60


def test_other_apps_hear_of_a_course_completion_once_and_not_of_a_lecture(
    member, django_capture_on_commit_callbacks
):
    from lms.learning.signals import courses_completed
    from tests.factories import course_with_lectures

    from .conftest import watch_paced

    course = course_with_lectures(2)
    course.lectures.update(duration_seconds=60)
    first, second = course.lectures.order_by("position")
    heard: list[set[int]] = []

    def listen(sender: Any, *, user: Any, course_ids: set[int], **kwargs: Any) -> None:
        heard.append(course_ids)

    courses_completed.connect(listen)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            watch_paced(member, first, 0, 60, until=NOON)
        assert heard == []  # a lecture completed, not the course
        with django_capture_on_commit_callbacks(execute=True):
            watch_paced(member, second, 0, 60, until=NOON + HOUR)
    finally:
        courses_completed.disconnect(listen)

    assert heard == [{course.pk}]
