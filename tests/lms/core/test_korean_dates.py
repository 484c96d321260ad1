"""Dates and times in Korean order everywhere a page shows one: "2026년 12월 3일 (목) 오후 7:00",
"오후 7:00", never Django's "7:00 오후" or "2026-12-3 19:00"."""

import re
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.test import Client
from django.utils import formats, timezone, translation

from lms.accounts.models import InstructorApplication
from lms.catalog.models import Course, Status
from lms.core.dates import korean_date, korean_time
from lms.core.models import OutboxMessage
from lms.studio.models import CourseReview
from tests.factories import CourseFactory, UserFactory

SEOUL = ZoneInfo("Asia/Seoul")
WHEN = datetime(2026, 12, 3, 19, 0, tzinfo=SEOUL)
KOREAN_DATETIME = re.compile(
    r"\d{4}년 \d{1,2}월 \d{1,2}일 (\([월화수목금토일]\) )?오[전후] \d{1,2}:\d\d"
)
# Django's own Korean order, and its short numeric form: what must not be left anywhere.
WRONG_ORDER = re.compile(r"\d{1,2}:\d\d ?오[전후]|\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d\d")


def test_korean_date_and_time():
    assert korean_date(WHEN) == "2026년 12월 3일 (목)"
    assert korean_date(date(2026, 12, 6)) == "2026년 12월 6일 (일)"
    assert korean_time(WHEN) == "오후 7:00"
    assert korean_time(datetime(2026, 12, 4, 0, 5, tzinfo=SEOUL)) == "오전 12:05"
    assert korean_time(datetime(2026, 12, 4, 12, 0, tzinfo=SEOUL)) == "오후 12:00"
    # Stored in UTC, shown in Seoul's time: 10:30 UTC is 19:30 in Seoul.
    assert korean_time(datetime(2026, 12, 3, 10, 30, tzinfo=ZoneInfo("UTC"))) == "오후 7:30"


def test_english_readers_keep_english_order():
    with translation.override("en"):
        assert korean_date(WHEN) == "Thu, Dec 3, 2026"
        assert korean_time(WHEN) == "7:00 PM"


def test_djangos_own_formats_are_in_korean_order():
    # The admin and any `|date` use these: Django's Korean default is "2026년 12월 3일 7:00 오후".
    with translation.override("ko"):
        assert formats.date_format(WHEN, "DATETIME_FORMAT") == "2026년 12월 3일 오후 7:00"
        assert formats.date_format(WHEN, "SHORT_DATETIME_FORMAT") == "2026. 12. 3. 오후 7:00"
        assert formats.date_format(WHEN, "DATE_FORMAT") == "2026년 12월 3일"
        assert formats.time_format(WHEN.time()) == "오후 7:00"


def _assert_korean_dates(page: str) -> None:
    assert KOREAN_DATETIME.search(page), "no date in Korean order"
    assert not WRONG_ORDER.search(page), WRONG_ORDER.search(page).group(0)


def test_admin_lists_show_korean_order(db):
    OutboxMessage.objects.create(to="a@example.com", subject="안내", body="본문")
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    page = client.get("/admin/core/outboxmessage/").content.decode()
    _assert_korean_dates(page)


def test_staff_queues_show_korean_order(db):
    staff = UserFactory(is_staff=True)
    InstructorApplication.objects.create(
        applicant=UserFactory(), experience="상담 10년", years_in_field=10, proposed_topic="코칭"
    )
    course = CourseFactory(status=Status.IN_REVIEW, publish_at=None)
    CourseReview.objects.create(course=course, kind=CourseReview.Kind.SUBMITTED, by=staff)
    client = Client()
    client.force_login(staff)
    for url in ("/staff/applications/", "/studio/review/"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_korean_dates(response.content.decode())


def test_instructor_pages_show_korean_order(db):
    instructor = UserFactory(is_instructor=True)
    course = CourseFactory(status=Status.DRAFT, publish_at=None)
    course.instructors.add(instructor)
    CourseReview.objects.create(
        course=course, kind=CourseReview.Kind.SENT_BACK, by=UserFactory(is_staff=True)
    )
    client = Client()
    client.force_login(instructor)
    for url in ("/studio/", f"/studio/courses/{course.pk}/"):
        response = client.get(url)
        assert response.status_code == 200
        _assert_korean_dates(response.content.decode())


def test_a_scheduled_course_shows_its_time_in_korean_order(db):
    instructor = UserFactory(is_instructor=True)
    course = CourseFactory(status=Status.PUBLISHED, publish_at=timezone.now() + timedelta(days=3))
    course.instructors.add(instructor)
    assert Course.objects.get(pk=course.pk).is_scheduled
    client = Client()
    client.force_login(instructor)
    response = client.get(f"/courses/{course.slug}/")
    assert response.status_code == 200
    _assert_korean_dates(response.content.decode())


def test_a_members_own_application_shows_its_day(db):
    member = UserFactory()
    InstructorApplication.objects.create(
        applicant=member, experience="상담 10년", years_in_field=10, proposed_topic="코칭"
    )
    client = Client()
    client.force_login(member)
    page = client.get("/teach/").content.decode()
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일 \([월화수목금토일]\)", page)


def test_no_template_uses_djangos_date_formats():
    # |date:"…FORMAT" gives Django's order; the templates use lms_format's filters.
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        text = path.read_text()
        assert "_FORMAT" not in text, path
