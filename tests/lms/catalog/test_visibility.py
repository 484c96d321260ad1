"""Lecture and course visibility is one rule: `visible_q` in SQL and `is_visible` on a row
agree on every state and publish time (issue 19)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from lms.catalog.models import Course, Status, visible_q
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
PUBLISH_TIMES = [
    None,
    NOW - timedelta(days=1),
    NOW - timedelta(seconds=1),
    NOW + timedelta(hours=1),
]


@pytest.mark.parametrize("status", Status.values)
@pytest.mark.parametrize("publish_at", PUBLISH_TIMES)
def test_visible_q_and_is_visible_agree(status, publish_at):
    course = CourseFactory(status=status, publish_at=publish_at)
    in_sql = Course.objects.filter(visible_q(), pk=course.pk).exists()
    assert in_sql == course.is_visible
    assert in_sql == (status == Status.PUBLISHED and publish_at is not None and publish_at <= NOW)
