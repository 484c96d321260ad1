from datetime import timedelta

import pytest
from django.utils import timezone

from lms.catalog.models import Course
from lms.learning.models import CourseProgress
from tests.factories import course_with_lectures
from tests.lms.learning.conftest import watch_paced


def complete_course(user, course: Course, *, at=None) -> CourseProgress:
    """The member watches every lecture of `course` through the learning service, paced like
    an honest player, so the stored completion is the real one."""
    until = at or timezone.now()
    for lecture in course.lectures.order_by("position"):
        watch_paced(user, lecture, 0, lecture.duration_seconds, until=until)
        until += timedelta(seconds=lecture.duration_seconds + 60)
    return CourseProgress.objects.get(user=user, course=course)


@pytest.fixture
def short_course(db) -> Course:
    """Two lectures of two minutes each."""
    course = course_with_lectures(2, title="QA관리사 기초", title_en="QA Manager Basics")
    course.lectures.update(duration_seconds=120)
    return course
