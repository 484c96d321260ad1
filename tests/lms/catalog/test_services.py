from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from lms.catalog import services
from lms.catalog.models import Bundle, Course, Lecture, Status
from lms.core.errors import AppError
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    CategoryFactory,
    CourseFactory,
    course_with_lectures,
    give_ready_videos,
)

pytestmark = pytest.mark.django_db


def positions(course: Course) -> list[tuple[int, str]]:
    return list(course.lectures.order_by("position").values_list("position", "title"))


def test_course_create_with_taken_slug_is_refused_and_writes_nothing():
    CourseFactory(slug="qa-basics")
    category = CategoryFactory()

    with pytest.raises(AppError) as error:
        services.course_create(category=category, title="새 강좌", slug="qa-basics")

    assert error.value.code == "slug_taken"
    assert "qa-basics" in error.value.message
    assert Course.objects.filter(slug="qa-basics").count() == 1


def test_course_create_without_slug_makes_a_unique_one_from_the_title():
    category = CategoryFactory()
    first = services.course_create(category=category, title="콜센터 운영", title_en="Ops")
    second = services.course_create(category=category, title="콜센터 운영 2", title_en="Ops")

    assert first.slug == "ops"
    assert second.slug == "ops-2"
    assert first.status == Status.DRAFT


def test_course_create_with_invalid_slug_gives_a_validation_error():
    with pytest.raises(AppError) as error:
        services.course_create(category=CategoryFactory(), title="x", slug="not a slug!")
    assert error.value.code == "invalid"
    assert "slug" in error.value.extra


def test_lecture_create_appends_and_inserts_gap_free():
    course = CourseFactory()
    services.lecture_create(course=course, title="A")
    services.lecture_create(course=course, title="C")
    services.lecture_create(course=course, title="B", position=2)

    assert positions(course) == [(1, "A"), (2, "B"), (3, "C")]


def test_lecture_move_reorders_gap_free():
    course = course_with_lectures(4, title="T")
    titles = [t for _, t in positions(course)]
    last = course.lectures.get(position=4)

    services.lecture_move(lecture=last, position=1)

    assert [p for p, _ in positions(course)] == [1, 2, 3, 4]
    assert [t for _, t in positions(course)] == [titles[3], *titles[:3]]


@pytest.mark.parametrize("position", [0, 5, -1])
def test_lecture_move_to_missing_position_is_refused_and_changes_nothing(position):
    course = course_with_lectures(4)
    before = positions(course)

    with pytest.raises(AppError) as error:
        services.lecture_move(lecture=course.lectures.get(position=2), position=position)

    assert error.value.code == "position_out_of_range"
    assert "1" in error.value.message
    assert "4" in error.value.message
    assert positions(course) == before


def test_lecture_delete_closes_the_gap():
    course = course_with_lectures(3)
    services.lecture_delete(lecture=course.lectures.get(position=2))
    assert [p for p, _ in positions(course)] == [1, 2]


def test_course_publish_in_the_future_is_scheduled_and_hidden_until_then():
    course = course_with_lectures(1, status=Status.DRAFT, publish_at=None)
    give_ready_videos(course)
    when = timezone.now() + timedelta(days=2)

    services.course_publish(course=course, publish_at=when.isoformat())

    course.refresh_from_db()
    assert course.status == Status.PUBLISHED
    assert course.is_scheduled
    assert not course.is_visible
    assert (
        Course.objects.filter(pk=course.pk)
        .filter(status=Status.PUBLISHED, publish_at__lte=timezone.now())
        .count()
        == 0
    )


@pytest.mark.parametrize("value", ["next tuesday", "2026-13-45T25:00", "2026/12/01 19:00"])
def test_publish_time_in_an_invalid_format_is_refused(value):
    course = course_with_lectures(1, status=Status.DRAFT, publish_at=None)

    with pytest.raises(AppError) as error:
        services.course_publish(course=course, publish_at=value)

    assert error.value.code == "invalid_publish_time"
    course.refresh_from_db()
    assert course.status == Status.DRAFT
    assert course.publish_at is None


def test_naive_publish_time_is_read_in_seoul_time():
    when = services.parse_publish_at("2026-12-03T19:00")
    assert when.utcoffset() is None or timezone.localtime(when).hour == 19
    assert when.astimezone(UTC).hour == 10


def test_empty_course_cannot_be_published():
    course = CourseFactory(status=Status.DRAFT, publish_at=None)
    with pytest.raises(AppError) as error:
        services.course_publish(course=course)
    assert error.value.code == "publish_blocked"


def test_archived_course_cannot_go_straight_to_published():
    course = course_with_lectures(1, status=Status.ARCHIVED)
    give_ready_videos(course)
    with pytest.raises(AppError) as error:
        services.course_publish(course=course)
    assert error.value.code == "invalid_transition"


def test_submit_then_publish_follows_the_state_machine():
    course = course_with_lectures(2, status=Status.DRAFT, publish_at=None)
    course.lectures.update(status=Status.DRAFT, publish_at=None)
    give_ready_videos(course)

    services.course_submit_for_review(course=course)
    assert Course.objects.get(pk=course.pk).status == Status.IN_REVIEW

    services.course_publish(course=course)
    course.refresh_from_db()
    assert course.is_visible
    assert set(course.lectures.values_list("status", flat=True)) == {Status.PUBLISHED}


def test_bundle_with_an_unpublished_course_is_refused_at_publish_time_with_blockers():
    bundle = BundleFactory(status=Status.DRAFT, publish_at=None)
    BundleCourseFactory(bundle=bundle, course=CourseFactory(), position=1)
    draft = CourseFactory(status=Status.DRAFT, publish_at=None, title="초안 강좌")
    BundleCourseFactory(bundle=bundle, course=draft, position=2)

    with pytest.raises(AppError) as error:
        services.bundle_publish(bundle=bundle)

    assert error.value.code == "publish_blocked"
    assert any("초안 강좌" in b for b in error.value.extra["blockers"])
    bundle.refresh_from_db()
    assert bundle.status == Status.DRAFT
    assert bundle.publish_at is None


def test_bundle_publishes_when_every_course_is_published():
    courses = [course_with_lectures(1), course_with_lectures(2)]
    for course in courses:
        give_ready_videos(course)
    bundle = services.bundle_create(title="합격 패키지", courses=courses, slug="pass")
    services.bundle_publish(bundle=bundle)
    assert Bundle.objects.get(pk=bundle.pk).is_visible
    assert list(bundle.items.values_list("position", flat=True)) == [1, 2]


def test_bundle_with_the_same_course_twice_is_refused():
    course = CourseFactory()
    with pytest.raises(AppError) as error:
        services.bundle_create(title="x", courses=[course, course])
    assert error.value.code == "duplicate_course"
    assert not Bundle.objects.exists()


def test_lecture_renumber_closes_gaps_after_admin_edits():
    course = course_with_lectures(3)
    Lecture.objects.filter(course=course, position=3).update(position=9)
    services.lecture_renumber(course=course)
    assert [p for p, _ in positions(course)] == [1, 2, 3]


def test_a_korean_only_title_gets_a_valid_ascii_slug():
    course = services.course_create(category=CategoryFactory(), title="감정노동 관리")
    assert course.slug.startswith("course-")
    assert course.slug.isascii()


def test_bundle_publish_lists_every_blocker_and_publishes_nothing():
    ready = course_with_lectures(1, status=Status.IN_REVIEW, publish_at=None, title="준비 완료")
    give_ready_videos(ready)
    no_video = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None, title="영상 없음")
    empty = CourseFactory(status=Status.IN_REVIEW, publish_at=None, title="빈 강좌")
    draft = course_with_lectures(1, status=Status.DRAFT, publish_at=None, title="초안")
    give_ready_videos(draft)
    bundle = services.bundle_create(title="패키지", courses=[ready, no_video, empty, draft])

    with pytest.raises(AppError) as error:
        services.bundle_publish(bundle=bundle)

    blockers = " ".join(error.value.extra["blockers"])
    assert "“영상 없음”의 1번 강의" in blockers
    assert "빈 강좌" in blockers
    assert "초안" in blockers
    assert "준비 완료" not in blockers
    assert Course.objects.filter(status=Status.PUBLISHED).count() == 0
    assert Bundle.objects.get(pk=bundle.pk).status == Status.DRAFT


def test_bundle_publish_publishes_its_courses_in_review_in_one_step():
    first = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None)
    first.lectures.update(status=Status.DRAFT, publish_at=None)
    second = course_with_lectures(1)  # already published
    for course in (first, second):
        give_ready_videos(course)
    bundle = services.bundle_create(title="패키지", courses=[first, second])

    services.bundle_publish(bundle=bundle)

    first.refresh_from_db()
    assert first.is_visible
    assert all(lecture.is_visible for lecture in first.lectures.all())
    assert Bundle.objects.get(pk=bundle.pk).is_visible
