"""The compiled statements of the heartbeat path give what the ORM statements they stand in
for give, on SQLite and PostgreSQL."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q, signals
from django.utils import timezone

from lms.catalog.models import Bundle, Status, visible_q
from lms.learning import selectors
from lms.learning.models import BundleProgress, CourseProgress, LectureProgress
from lms.learning.progress_sql import (
    course_completion_counts,
    lectures_with_rules,
    row_lock,
    row_update,
    visible_bundle_ids,
)
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    CourseFactory,
    LectureFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def orm_counts(user: Any, course_id: int) -> tuple[int, int]:
    counts = selectors.completion_counts(user=user, courses=Q(course_id=course_id))
    return (counts[0]["total"], counts[0]["done"]) if counts else (0, 0)


def test_course_counts_are_the_orms_whatever_is_visible_or_completed():
    member, other = UserFactory(), UserFactory()
    course = CourseFactory()
    now = timezone.now()
    done, started, untouched = (LectureFactory(course=course) for _ in range(3))
    draft = LectureFactory(course=course, status=Status.DRAFT)
    scheduled = LectureFactory(course=course, publish_at=now + DAY)
    for lecture in (done, draft, scheduled):  # completions of lectures not shown don't count
        LectureProgress.objects.create(user=member, lecture=lecture, completed_at=now)
    LectureProgress.objects.create(user=member, lecture=started)
    LectureProgress.objects.create(user=other, lecture=untouched, completed_at=now)
    LectureProgress.objects.create(user=other, lecture=started, completed_at=now)

    assert course_completion_counts(user_id=member.pk, course_id=course.pk) == (3, 1)
    assert orm_counts(member, course.pk) == (3, 1)
    assert course_completion_counts(user_id=other.pk, course_id=course.pk) == (3, 2)
    assert orm_counts(other, course.pk) == (3, 2)
    assert course_completion_counts(user_id=UserFactory().pk, course_id=course.pk) == (3, 0)

    for hidden in (CourseFactory(status=Status.DRAFT), CourseFactory(publish_at=now + DAY)):
        lecture = LectureFactory(course=hidden)
        LectureProgress.objects.create(user=member, lecture=lecture, completed_at=now)
        assert course_completion_counts(user_id=member.pk, course_id=hidden.pk) == (0, 0)
        assert orm_counts(member, hidden.pk) == (0, 0)
    assert course_completion_counts(user_id=member.pk, course_id=CourseFactory().pk) == (0, 0)


def test_visible_bundles_of_courses_are_the_orms():
    now = timezone.now()
    first, second, elsewhere = CourseFactory(), CourseFactory(), CourseFactory()
    both = BundleFactory()
    BundleCourseFactory(bundle=both, course=first)
    BundleCourseFactory(bundle=both, course=second)
    only_second = BundleFactory()
    BundleCourseFactory(bundle=only_second, course=second)
    for hidden in (BundleFactory(status=Status.DRAFT), BundleFactory(publish_at=now + DAY)):
        BundleCourseFactory(bundle=hidden, course=first)
    BundleCourseFactory(bundle=BundleFactory(), course=elsewhere)

    for course_ids in ([first.pk], [second.pk], [first.pk, second.pk], [CourseFactory().pk]):
        orm = list(
            Bundle.objects.filter(visible_q(), items__course_id__in=course_ids)
            .values_list("pk", flat=True)
            .distinct()
            .order_by("pk")
        )
        assert visible_bundle_ids(course_ids=course_ids) == orm
    assert visible_bundle_ids(course_ids=[first.pk, second.pk]) == [both.pk, only_second.pk]


def test_lectures_with_rules_load_what_the_orm_loads_and_skip_missing_ids():
    lecture = LectureFactory(course=CourseFactory(daily_lecture_cap=3))
    draft = LectureFactory(status=Status.DRAFT)

    found = lectures_with_rules(lecture_ids=[lecture.pk, draft.pk, draft.pk + 1000])

    assert set(found) == {lecture.pk, draft.pk}
    for mine in found.values():
        orms = type(mine).objects.select_related("course").get(pk=mine.pk)
        assert (mine.duration_seconds, mine.status, mine.publish_at, mine.course_id) == (
            orms.duration_seconds,
            orms.status,
            orms.publish_at,
            orms.course_id,
        )
        assert mine.course.daily_lecture_cap == orms.course.daily_lecture_cap
        assert mine.course.completion_policy == orms.course.completion_policy
        assert mine.course.is_visible == orms.course.is_visible
        assert mine.is_visible == orms.is_visible
    assert found[draft.pk].is_visible is False
    assert found[lecture.pk].title == lecture.title  # not loaded: loads on use


def test_row_lock_finds_the_row_by_its_unique_fields_or_none():
    member = UserFactory()
    course = CourseFactory()
    stored = CourseProgress.objects.create(
        user=member, course=course, completed_lectures=2, total_lectures=5, percent=40
    )
    CourseProgress.objects.create(user=UserFactory(), course=course)

    with transaction.atomic():
        by_object = row_lock(CourseProgress, user=member, course=course)
        by_id = row_lock(CourseProgress, user_id=member.pk, course_id=course.pk)
    assert by_object is not None and by_id is not None
    for mine in (by_object, by_id):
        assert type(mine) is CourseProgress
        assert mine._state.adding is False
        orms = CourseProgress.objects.get(pk=stored.pk)
        assert {f.attname: getattr(mine, f.attname) for f in CourseProgress._meta.fields} == {
            f.attname: getattr(orms, f.attname) for f in CourseProgress._meta.fields
        }
    with transaction.atomic():
        assert row_lock(CourseProgress, user=member, course=CourseFactory()) is None


def test_row_update_writes_the_named_fields_as_save_would_and_nothing_else():
    member = UserFactory()
    row = CourseProgress.objects.create(user=member, course=CourseFactory(), percent=10)
    created, updated = row.created_at, row.updated_at
    row.percent, row.completed_lectures, row.total_lectures = 50, 1, 2
    row.completed_at = timezone.now()

    assert row_update(row, ("percent", "completed_lectures", "updated_at")) is True

    stored = CourseProgress.objects.get(pk=row.pk)
    assert (stored.percent, stored.completed_lectures) == (50, 1)
    assert (stored.total_lectures, stored.completed_at) == (0, None)  # not named: unchanged
    assert stored.created_at == created
    assert stored.updated_at == row.updated_at > updated  # auto_now, as save() sets it

    row.percent = 70
    assert row_update(row, ("percent",), guard=("updated_at", updated)) is False
    assert CourseProgress.objects.get(pk=row.pk).percent == 50
    assert row_update(row, ("percent",), guard=("updated_at", stored.updated_at)) is True
    assert CourseProgress.objects.get(pk=row.pk).percent == 70


def test_row_update_of_a_model_with_save_receivers_goes_through_save():
    saved: list[tuple[int, frozenset[str]]] = []

    def receiver(sender: Any, instance: Any, update_fields: Any, **kwargs: Any) -> None:
        saved.append((instance.pk, update_fields))

    row = BundleProgress.objects.create(user=UserFactory(), bundle=BundleFactory())
    signals.post_save.connect(receiver, sender=BundleProgress)
    try:
        row.percent = 30
        assert row_update(row, ("percent", "updated_at")) is True
    finally:
        signals.post_save.disconnect(receiver, sender=BundleProgress)
    assert saved == [(row.pk, frozenset({"percent", "updated_at"}))]
    assert BundleProgress.objects.get(pk=row.pk).percent == 30
