"""A review decision tells the course's instructors through the one notification mechanism."""

import pytest
from django.core import mail

from lms.catalog.models import Lecture, Status
from lms.community.models import Notification
from lms.core.errors import AppError
from lms.studio import services
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    UserFactory,
    course_with_lectures,
    give_ready_videos,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_tasks")]


@pytest.fixture
def teachers(db):
    return [UserFactory(is_instructor=True), UserFactory(is_instructor=True)]


@pytest.fixture
def in_review(teachers):
    course = course_with_lectures(2, status=Status.DRAFT, publish_at=None, title="코칭 기술")
    course.instructors.add(*teachers)
    Lecture.objects.filter(course=course).update(duration_seconds=600)
    give_ready_videos(course)
    services.course_review_submit(course=course, by=teachers[0])
    course.refresh_from_db()
    return course


def test_approving_tells_every_instructor_with_the_reviewer_comment(
    in_review, teachers, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        review = services.course_review_approve(
            course=in_review, reviewer=staff, comment="잘 만들었습니다."
        )
    notes = Notification.objects.filter(kind="course_approved").order_by("member_id")
    assert [n.member for n in notes] == teachers
    assert notes[0].title == "강좌 승인: 코칭 기술"
    assert notes[0].body == "‘코칭 기술’ 강좌가 승인되었습니다. 잘 만들었습니다."
    assert notes[0].url == f"/studio/courses/{in_review.pk}/"
    assert notes[0].dedupe_key == f"course_approved:{review.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(t.email for t in teachers)


def test_sending_back_tells_the_instructors_what_to_change(
    in_review, teachers, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.course_review_send_back(course=in_review, reviewer=staff, comment="2강 음질 확인")
    (note, _other) = Notification.objects.filter(kind="course_sent_back")
    assert note.title == "강좌 보완 요청: 코칭 기술"
    assert note.body == "‘코칭 기술’ 강좌에 보완 요청이 왔습니다. 심사 의견: 2강 음질 확인"
    assert len(mail.outbox) == 2


def test_a_refused_send_back_tells_nobody(in_review, staff):
    with pytest.raises(AppError):
        services.course_review_send_back(course=in_review, reviewer=staff, comment=" ")
    assert not Notification.objects.exists()


def test_publishing_a_bundle_tells_the_instructors_of_its_courses_in_review(
    in_review, teachers, staff
):
    bundle = BundleFactory(status=Status.DRAFT, publish_at=None, title="입문 패키지")
    BundleCourseFactory(bundle=bundle, course=in_review)
    services.bundle_review_publish(bundle=bundle, reviewer=staff)
    notes = Notification.objects.filter(kind="course_approved")
    assert notes.count() == 2
    assert "입문 패키지" in notes[0].body


def test_the_review_queue_page_approval_shows_in_the_instructor_header(
    in_review, teachers, staff_client
):
    from django.test import Client

    staff_client.post(f"/studio/review/{in_review.pk}/", {"decision": "approve", "comment": ""})
    client = Client()
    client.force_login(teachers[0])
    page = client.get("/studio/").content.decode()
    assert '<span class="unread-count"' in page
    note = Notification.objects.get(member=teachers[0])
    assert note.body == "‘코칭 기술’ 강좌가 승인되었습니다."


def test_approving_for_a_later_time_tells_the_instructors_when_it_goes_public(
    in_review, teachers, staff, django_capture_on_commit_callbacks
):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    when = datetime(2031, 3, 6, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    with django_capture_on_commit_callbacks(execute=True):
        review = services.course_review_approve(
            course=in_review, reviewer=staff, publish_at=when, comment="좋습니다."
        )

    assert not Notification.objects.filter(kind="course_approved").exists()
    notes = Notification.objects.filter(kind="course_scheduled").order_by("member_id")
    assert [n.member for n in notes] == teachers
    assert notes[0].title == "강좌 공개 예약: 코칭 기술"
    assert notes[0].body == (
        "‘코칭 기술’ 강좌가 승인되어 2031년 3월 6일 (목) 오후 7:00에 공개됩니다. 좋습니다."
    )
    assert notes[0].dedupe_key == f"course_scheduled:{review.pk}"
    assert sorted(m.to[0] for m in mail.outbox) == sorted(t.email for t in teachers)
    assert "2031년 3월 6일 (목) 오후 7:00" in mail.outbox[0].body


def test_the_studio_course_page_says_what_the_review_decided(in_review, teachers, staff):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.test import Client

    client = Client()
    client.force_login(teachers[0])
    page = f"/studio/courses/{in_review.pk}/"
    assert 'data-review-notice="in_review"' in client.get(page).content.decode()

    services.course_review_send_back(course=in_review, reviewer=staff, comment="2강 음질 확인")
    html = client.get(page).content.decode()
    assert 'data-review-notice="sent_back"' in html
    assert "심사 의견: “2강 음질 확인”" in html

    services.course_review_submit(course=in_review, by=teachers[0])
    when = datetime(2031, 3, 6, 19, 0, tzinfo=ZoneInfo("Asia/Seoul"))
    services.course_review_approve(course=in_review, reviewer=staff, publish_at=when)
    html = client.get(page).content.decode()
    assert 'data-review-notice="scheduled"' in html
    assert "강좌는 2031년 3월 6일 (목) 오후 7:00에 모든 회원에게 공개됩니다." in html
