from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lms.catalog import services as catalog_services
from lms.catalog.models import Course, Status
from lms.studio.models import GoLive
from lms.studio.tasks import go_live_announce
from tests.factories import UserFactory, course_with_lectures, give_ready_videos

pytestmark = pytest.mark.django_db


@pytest.fixture
def scheduled_course():
    course = course_with_lectures(2, status=Status.IN_REVIEW, publish_at=None)
    give_ready_videos(course)
    course.instructors.add(UserFactory(email="teacher@example.com", is_instructor=True))
    catalog_services.course_publish(course=course, publish_at=timezone.now() + timedelta(hours=1))
    return course


def test_scheduled_course_goes_live_at_its_time_and_is_announced_once(scheduled_course):
    now = timezone.now()
    assert not Course.objects.get(pk=scheduled_course.pk).is_visible
    assert go_live_announce.apply().get() == {"announced": []}

    later = now + timedelta(hours=1, minutes=1)
    from unittest import mock

    with mock.patch("django.utils.timezone.now", return_value=later):
        assert Course.objects.get(pk=scheduled_course.pk).is_visible
        first = go_live_announce.apply().get()
        second = go_live_announce.apply().get()  # run twice: nothing more happens

    assert first == {"announced": [f"course:{scheduled_course.pk}"]}
    assert second == {"announced": []}
    assert GoLive.objects.filter(object_id=scheduled_course.pk).count() == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["teacher@example.com"]


def test_courses_public_long_before_are_not_announced():
    course_with_lectures(1, publish_at=timezone.now() - timedelta(days=30))
    assert go_live_announce.apply().get() == {"announced": []}
    assert not mail.outbox
