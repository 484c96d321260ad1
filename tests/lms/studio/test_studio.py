import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lms.catalog.models import (
    Course,
    Lecture,
    LectureAttachment,
    LectureCaption,
    LectureChapter,
    Status,
)
from lms.core.errors import AppError
from lms.studio import services
from lms.studio.models import CourseReview
from tests.factories import UserFactory, course_with_lectures, give_ready_videos

pytestmark = pytest.mark.django_db

SRT = "1\n00:00:01,000 --> 00:00:02,000\n안녕하세요\n"


@pytest.fixture
def own_course(instructor):
    course = course_with_lectures(3, status=Status.DRAFT, publish_at=None)
    course.instructors.add(instructor)
    Lecture.objects.filter(course=course).update(duration_seconds=600)
    give_ready_videos(course)
    return course


def _login(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _requests(course: Course) -> dict[str, tuple[str, str, dict]]:
    lecture = course.lectures.get(position=1)
    base = f"/studio/courses/{course.pk}/"
    lec = f"{base}lectures/{lecture.pk}/"
    return {
        "view studio": ("get", "/studio/", {}),
        "edit course": ("post", base, {"course-title": "바뀐 제목"}),
        "add lecture": ("post", f"{base}lectures/new/", {"lecture-title": "새 강의"}),
        "move lecture": ("post", f"{lec}move/", {"position": "2"}),
        "edit lecture": ("post", lec, {"action": "lecture", "lecture-title": "바뀐 강의"}),
        "add chapter": (
            "post",
            lec,
            {"action": "chapter", "chapter-start": "1:00", "chapter-title": "도입"},
        ),
        "upload captions": (
            "post",
            lec,
            {
                "action": "caption",
                "caption-language": "ko",
                "caption-file": SimpleUploadedFile("a.srt", SRT.encode()),
            },
        ),
        "delete lecture": ("post", f"{lec}delete/", {}),
        "submit": ("post", f"{base}submit/", {}),
    }


def _fingerprint(course: Course) -> tuple:
    course.refresh_from_db()
    return (
        course.title,
        course.status,
        list(course.lectures.order_by("position").values_list("pk", "title")),
        LectureChapter.objects.filter(lecture__course=course).count(),
        LectureCaption.objects.filter(lecture__course=course).count(),
    )


@pytest.mark.parametrize(
    "who", ["visitor", "member", "other instructor"], ids=lambda w: w.replace(" ", "-")
)
@pytest.mark.parametrize(
    "action",
    [
        "view studio",
        "edit course",
        "add lecture",
        "move lecture",
        "edit lecture",
        "add chapter",
        "upload captions",
        "delete lecture",
        "submit",
    ],
)
def test_who_may_not_edit_changes_nothing(own_course, who, action):
    users = {
        "visitor": None,
        "member": UserFactory(),
        "other instructor": UserFactory(is_instructor=True),
    }
    client = _login(users[who])
    method, url, data = _requests(own_course)[action]
    before = _fingerprint(own_course)

    response = getattr(client, method)(url, data)

    if who == "visitor":
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    elif who == "member":
        assert response.status_code == 403
    elif action == "view studio":
        assert response.status_code == 200
        assert own_course.title not in response.content.decode()
    else:
        assert response.status_code == 404
    assert _fingerprint(own_course) == before


@pytest.mark.parametrize("who", ["owner", "co-instructor", "staff"])
@pytest.mark.parametrize(
    "action",
    ["edit lecture", "add lecture", "move lecture", "add chapter", "upload captions", "submit"],
)
def test_owner_co_instructor_and_staff_may_edit(own_course, instructor, who, action):
    user = {
        "owner": instructor,
        "co-instructor": UserFactory(is_instructor=True),
        "staff": UserFactory(is_staff=True),
    }[who]
    if who == "co-instructor":
        own_course.instructors.add(user)
    before = _fingerprint(own_course)
    method, url, data = _requests(own_course)[action]

    response = getattr(_login(user), method)(url, data)

    assert response.status_code in (200, 302)
    assert _fingerprint(own_course) != before


def test_instructor_creates_a_course_and_is_its_instructor(instructor):
    from tests.factories import CategoryFactory

    category = CategoryFactory()
    response = _login(instructor).post(
        "/studio/courses/new/",
        {"category": category.pk, "title": "감정노동 관리", "level": "intro"},
    )
    course = Course.objects.get(title="감정노동 관리")
    assert response["Location"] == f"/studio/courses/{course.pk}/"
    assert list(course.instructors.all()) == [instructor]
    assert course.status == Status.DRAFT


def test_chapter_beyond_the_duration_is_refused_with_a_clear_message(own_course, instructor):
    lecture = own_course.lectures.get(position=1)
    url = f"/studio/courses/{own_course.pk}/lectures/{lecture.pk}/"

    response = _login(instructor).post(
        url, {"action": "chapter", "chapter-start": "10:01", "chapter-title": "끝"}
    )

    assert response.status_code == 200
    assert "10:01" in response.content.decode()
    assert "10:00" in response.content.decode()
    assert not lecture.chapters.exists()


@pytest.mark.parametrize("value", ["abc", "1:75", "-5", "1:2:3:4"])
def test_chapter_time_in_a_wrong_format_is_refused(value):
    with pytest.raises(AppError) as error:
        services.parse_clock(value)
    assert error.value.code == "invalid_time"


def test_chapters_need_a_ready_video(own_course):
    lecture = own_course.lectures.get(position=1)
    Lecture.objects.filter(pk=lecture.pk).update(duration_seconds=0)
    with pytest.raises(AppError) as error:
        services.chapter_add(lecture=lecture, start_seconds=10, title="도입")
    assert error.value.code == "no_video_yet"


def test_a_broken_caption_upload_keeps_the_previous_track(own_course):
    lecture = own_course.lectures.get(position=1)
    good = services.caption_upload(
        lecture=lecture, language="ko", upload=SimpleUploadedFile("a.srt", SRT.encode("cp949"))
    )
    with pytest.raises(AppError) as error:
        services.caption_upload(
            lecture=lecture,
            language="ko",
            upload=SimpleUploadedFile("b.srt", b"1\n00:00:05,000 --> 00:00:01,000\nx\n"),
        )
    assert error.value.code == "caption_timing"
    caption = LectureCaption.objects.get(lecture=lecture, language="ko")
    assert caption.file.name == good.file.name
    assert caption.file.read().decode().startswith("WEBVTT")


def test_handouts_are_checked_by_content_not_name(own_course):
    lecture = own_course.lectures.get(position=1)
    pdf = services.attachment_add(
        lecture=lecture,
        title="슬라이드",
        upload=SimpleUploadedFile("s.pdf", b"%PDF-1.7\n...\n%%EOF\n"),
    )
    assert pdf.kind == "pdf"
    with pytest.raises(AppError) as error:
        services.attachment_add(
            lecture=lecture,
            title="가짜",
            upload=SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 this is an exe"),
        )
    assert error.value.code == "unsupported_handout"
    assert LectureAttachment.objects.filter(lecture=lecture).count() == 1


def test_review_flow_submit_send_back_resubmit_approve(own_course, instructor, staff_client):
    services.course_review_submit(course=own_course, by=instructor)
    queue = staff_client.get("/studio/review/").content.decode()
    assert own_course.title in queue
    assert "새 강좌" in queue

    staff_client.post(
        f"/studio/review/{own_course.pk}/", {"decision": "send_back", "comment": "3강 음질 확인"}
    )
    own_course.refresh_from_db()
    assert own_course.status == Status.DRAFT
    page = _login(instructor).get(f"/studio/courses/{own_course.pk}/").content.decode()
    assert "3강 음질 확인" in page

    services.course_review_submit(course=own_course, by=instructor)
    staff_client.post(f"/studio/review/{own_course.pk}/", {"decision": "approve"})
    own_course.refresh_from_db()
    assert own_course.is_visible
    assert list(own_course.reviews.values_list("kind", flat=True)) == [
        CourseReview.Kind.APPROVED,
        CourseReview.Kind.SUBMITTED,
        CourseReview.Kind.SENT_BACK,
        CourseReview.Kind.SUBMITTED,
    ]


def test_review_queue_shows_what_changed_since_the_last_approval(own_course, instructor, staff):
    services.course_review_submit(course=own_course, by=instructor)
    services.course_review_approve(course=own_course, reviewer=staff)
    from lms.catalog import services as catalog_services

    catalog_services.course_set_status(course=own_course, status=Status.DRAFT)
    catalog_services.lecture_create(course=own_course, title="보너스 강의")
    services.course_review_submit(course=own_course, by=instructor)

    client = _login(staff)
    page = client.get("/studio/review/").content.decode()
    assert "강의 추가: 보너스 강의" in page


def test_approve_with_an_invalid_publish_time_changes_nothing(own_course, instructor, staff):
    services.course_review_submit(course=own_course, by=instructor)
    client = _login(staff)
    response = client.post(
        f"/studio/review/{own_course.pk}/",
        {"decision": "approve", "publish_at": "내일 저녁"},
        follow=True,
    )
    own_course.refresh_from_db()
    assert own_course.status == Status.IN_REVIEW
    assert "내일 저녁" in response.content.decode()


def test_studio_pages_have_bounded_queries(own_course, instructor, django_assert_max_num_queries):
    client = _login(instructor)
    lecture = own_course.lectures.get(position=1)
    for url in (
        "/studio/",
        f"/studio/courses/{own_course.pk}/",
        f"/studio/courses/{own_course.pk}/lectures/{lecture.pk}/",
    ):
        with django_assert_max_num_queries(14):
            assert client.get(url).status_code == 200
