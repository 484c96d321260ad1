"""Staff announcements with opt-in e-mail; the recording as a lecture of the 주간 특강 course."""

import pytest
from django.core import mail
from django.test import Client

from lms.catalog.models import Status
from lms.community import services
from lms.community.models import Announcement, Notification
from tests.factories import UserFactory, ready_video_asset

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


def test_a_published_announcement_shows_on_home_and_the_list_and_emails_only_those_who_opted_in(
    client, staff, django_capture_on_commit_callbacks
):
    keen, quiet = UserFactory(), UserFactory()
    services.notification_preference_set(member=keen, kind="announcement", enabled=True)
    draft = Announcement.objects.create(
        title="QA관리사 시험 일정", body="1차 시험은 3월 14일입니다.", author=staff
    )
    assert "QA관리사 시험 일정" not in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        services.announcement_publish(announcement=draft)
        services.announcement_publish(announcement=draft)
    assert "QA관리사 시험 일정" in client.get("/").content.decode()
    assert "QA관리사 시험 일정" in client.get("/announcements/").content.decode()
    detail = client.get(f"/announcements/{draft.pk}/").content.decode()
    assert "1차 시험은 3월 14일입니다." in detail
    assert [m.to for m in mail.outbox] == [[keen.email]]
    assert not Notification.objects.filter(member=quiet).exists()


def test_an_unpublished_announcement_is_404(client, staff):
    draft = Announcement.objects.create(title="초안", body="…", author=staff)
    assert client.get(f"/announcements/{draft.pk}/").status_code == 404


def test_the_recording_becomes_a_lecture_of_the_weekly_course_and_registrants_are_told_once(
    event, members, django_capture_on_commit_callbacks
):
    a, b, waiting = members[:3]
    for m in (a, b, waiting):
        services.registration_register(event=event, member=m)
    lecture = services.event_recording_create(event=event)
    assert services.event_recording_create(event=event) == lecture
    assert lecture.course.slug == "weekly-special-lectures"
    assert lecture.course.title == "주간 특강"
    assert lecture.title == event.title
    assert services.recordings_announce() == 0  # no video yet, nothing published

    lecture.video = ready_video_asset(duration=20)
    lecture.save(update_fields=["video"])
    from lms.catalog import services as catalog_services

    catalog_services.course_publish(course=lecture.course)
    lecture.refresh_from_db()
    assert lecture.status == Status.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recordings_announce() == 2
        assert services.recordings_announce() == 0
    told = Notification.objects.filter(kind="recording_published")
    assert sorted(told.values_list("member_id", flat=True)) == sorted([a.pk, b.pk])
    assert told.first().url == f"/courses/weekly-special-lectures/lectures/{lecture.position}/"
    page = Client().get(f"/events/{event.slug}/").content.decode()
    assert "녹화 영상 보기" in page


def test_a_second_event_adds_its_recording_to_the_same_course(event):
    from tests.factories import WeeklyLectureFactory

    first = services.event_recording_create(event=event)
    second = services.event_recording_create(event=WeeklyLectureFactory())
    assert first.course_id == second.course_id
    assert second.position == first.position + 1
