from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from lms.catalog.models import Lecture, Status
from lms.learning import selectors
from tests.factories import CourseFactory, LectureFactory

from .conftest import watch_paced

pytestmark = pytest.mark.django_db


def watch(user: Any, lecture: Lecture, start: float, end: float, *, at: Any = None) -> None:
    watch_paced(user, lecture, start, end, until=at or timezone.now())


def test_resume_position_near_the_end_is_zero(member, lecture):
    now = timezone.now()
    watch(member, lecture, 0, 300, at=now)
    assert selectors.lecture_progress_get(user=member, lecture=lecture).resume_position == 300

    watch(member, lecture, 300, 575, at=now + timedelta(hours=2))

    view = selectors.lecture_progress_get(user=member, lecture=lecture)
    assert view.position == 575
    assert view.resume_position == 0
    assert view.completed


def test_lecture_progress_of_an_unwatched_lecture(member, lecture):
    view = selectors.lecture_progress_get(user=member, lecture=lecture)

    assert (view.state, view.percent, view.resume_position) == ("not_started", 0, 0)
    assert view.threshold == 90


def test_continue_watching_lists_lectures_in_progress_most_recent_first(
    member, course, django_assert_max_num_queries
):
    lectures = [LectureFactory(course=course, position=i) for i in (1, 2, 3, 4)]
    now = timezone.now()
    # One after another: the member has one credit clock for every lecture.
    watch(member, lectures[0], 0, 60, at=now - timedelta(minutes=30))
    watch(member, lectures[1], 0, 600, at=now - timedelta(minutes=20))  # completed
    watch(member, lectures[2], 0, 30, at=now - timedelta(minutes=10))
    archived = CourseFactory()
    watch(member, LectureFactory(course=archived, position=1), 0, 30)
    archived.status = Status.ARCHIVED
    archived.save()

    with django_assert_max_num_queries(1):
        items = selectors.continue_watching(user=member, limit=5)

    assert [i.lecture for i in items] == [lectures[2], lectures[0]]
    assert [i.percent for i in items] == [5, 10]
    assert items[0].course == course
    assert items[0].resume_position == 30


def test_my_learning_lists_started_courses_with_progress_and_next_lecture(
    member, django_assert_max_num_queries
):
    first = CourseFactory()
    first_lectures = [LectureFactory(course=first, position=i) for i in (1, 2)]
    second = CourseFactory()
    second_lecture = LectureFactory(course=second, position=1)
    CourseFactory()  # not started
    now = timezone.now()
    watch(member, first_lectures[0], 0, 600, at=now - timedelta(minutes=5))
    watch(member, second_lecture, 0, 20, at=now)

    with django_assert_max_num_queries(4):
        items = selectors.my_learning(user=member)

    assert [i.course for i in items] == [second, first]
    assert [(i.percent, i.completed_lectures, i.total_lectures) for i in items] == [
        (0, 0, 1),
        (50, 1, 2),
    ]
    assert items[1].next_lecture == first_lectures[1]


def test_course_progress_lists_each_lecture_state(member, course):
    lectures = [LectureFactory(course=course, position=i) for i in (1, 2, 3)]
    LectureFactory(course=course, position=4, status=Status.DRAFT)
    watch(member, lectures[0], 0, 600)
    watch(member, lectures[1], 0, 60)

    view = selectors.course_progress_get(user=member, course=course)

    assert (view.percent, view.completed_lectures, view.total_lectures) == (33, 1, 3)
    assert [state.state for _, state in view.lectures] == [
        "completed",
        "in_progress",
        "not_started",
    ]
