"""The catalog pages as learners and visitors meet them (issue 20): the course page that sells
the course and carries the learner, course cards, the bundle page, the empty search, and the
query counts that keep these pages fast whatever a course's length."""

import io
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from lms.catalog.models import Course, Lecture, Status
from lms.learning.models import LectureProgress
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    CategoryFactory,
    CourseFactory,
    LectureFactory,
    UserFactory,
    ready_video_asset,
)

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def course_of(n: int, *, seconds: int = 600, **kwargs) -> Course:
    course = CourseFactory(**kwargs)
    for i in range(1, n + 1):
        LectureFactory(course=course, position=i, title=f"제{i}강", duration_seconds=seconds)
    return course


def watched(user, lecture: Lecture, *, seconds: float, position: float, done: bool = False):
    return LectureProgress.objects.create(
        user=user,
        lecture=lecture,
        credited_seconds=seconds,
        covered_seconds=seconds,
        position=position,
        furthest_position=position,
        coverage=[[0, seconds * 1000]] if seconds else [],
        completed_at=timezone.now() if done else None,
    )


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def main_button(page: str) -> str:
    found = re.search(r'data-main-button="(\w+)" href="([^"]+)">([^<]+)</a>', page)
    assert found, "the page has no main button"
    return f"{found.group(1)}|{found.group(2)}|{found.group(3)}"


# --- the course page ---------------------------------------------------------------------


def test_course_page_says_what_the_course_is_and_how_long_it_runs(client):
    instructor = UserFactory(display_name="김강사", bio="콜센터 QA 15년, QA관리사 출제위원.")
    course = course_of(
        30,
        seconds=624,
        title="QA관리사 자격시험 대비 과정",
        summary="QA의 처음부터 끝까지.",
        description="모니터링부터 모의고사까지.",
        outcome="QA관리사 자격시험 준비",
        level=Course.Level.INTERMEDIATE,
    )
    course.instructors.add(instructor)
    page = text(client.get(f"/courses/{course.slug}/"))
    assert "QA의 처음부터 끝까지." in page
    assert "모니터링부터 모의고사까지." in page
    assert "QA관리사 자격시험 준비" in page
    assert '<dd class="course-level">중급</dd>' in page
    # 30 × 624 s = 5 h 12 min, in words: never "5:12", which reads as minutes.
    assert "강의 30개 · 총 5시간 12분" in page
    assert "김강사" in page
    assert "콜센터 QA 15년, QA관리사 출제위원." in page


@pytest.mark.parametrize(
    ("seconds", "expected"),
    [
        (0, "총 0분"),
        (20, "총 1분 미만"),
        (45 * 60, "총 45분"),
        (2 * 3600, "총 2시간"),
        (3630, "총 1시간 1분"),
    ],
)
def test_total_length_is_written_in_words(seconds, expected):
    from django.utils import translation

    from lms.web.templatetags.catalog_pages import total_length

    with translation.override("ko"):
        assert total_length(seconds) == expected


def test_lectures_are_grouped_under_their_sections(client):
    course = course_of(5)
    Lecture.objects.filter(course=course, position=1).update(section_title="기초")
    Lecture.objects.filter(course=course, position=4).update(section_title="실전")
    page = text(client.get(f"/courses/{course.slug}/"))
    assert page.count('class="section-title"') == 2
    basics, practice = page.split('<h3 class="section-title">기초</h3>')[1].split(
        '<h3 class="section-title">실전</h3>'
    )
    assert "제3강" in basics
    assert "제4강" not in basics
    assert "제4강" in practice
    assert "제5강" in practice


def test_a_visitor_is_offered_to_start_at_the_first_lecture(client):
    course = course_of(3)
    page = text(client.get(f"/courses/{course.slug}/"))
    assert main_button(page) == f"start|/courses/{course.slug}/lectures/1/|수강 시작"
    assert "무료" in page


def test_a_member_continues_the_lecture_watched_last_at_its_position(client):
    member = UserFactory()
    course = course_of(5, seconds=1800)
    lectures = list(course.lectures.order_by("position"))
    watched(member, lectures[0], seconds=1800, position=1800, done=True)
    watched(member, lectures[1], seconds=100, position=100)
    later = watched(member, lectures[2], seconds=300, position=754)
    LectureProgress.objects.filter(pk=later.pk).update(
        updated_at=timezone.now() + timedelta(minutes=1)
    )
    page = text(login(member).get(f"/courses/{course.slug}/"))
    assert main_button(page) == f"continue|/courses/{course.slug}/lectures/3/|이어 보기: 3강 12:34"
    assert "5개 중 1개 완료(20%)" in page


def test_a_member_who_only_completed_lectures_continues_at_the_next_one(client):
    member = UserFactory()
    course = course_of(3)
    first = course.lectures.get(position=1)
    watched(member, first, seconds=600, position=600, done=True)
    page = text(login(member).get(f"/courses/{course.slug}/"))
    assert main_button(page) == f"continue|/courses/{course.slug}/lectures/2/|이어 보기: 2강"


def test_a_member_who_completed_everything_is_offered_a_review(client):
    member = UserFactory()
    course = course_of(2)
    for lecture in course.lectures.all():
        watched(member, lecture, seconds=600, position=600, done=True)
    page = text(login(member).get(f"/courses/{course.slug}/"))
    assert main_button(page) == f"review|/courses/{course.slug}/lectures/1/|복습하기"


def test_each_lecture_shows_the_members_state(client):
    member = UserFactory()
    course = course_of(3)
    lectures = list(course.lectures.order_by("position"))
    watched(member, lectures[0], seconds=600, position=600, done=True)
    watched(member, lectures[1], seconds=150, position=150)
    page = text(login(member).get(f"/courses/{course.slug}/"))
    rows = re.findall(r'data-position="(\d)" data-state="(\w+)">(.*?)</li>', page)
    assert [(p, s) for p, s, _ in rows] == [
        ("1", "completed"),
        ("2", "in_progress"),
        ("3", "not_started"),
    ]
    assert "✓" in rows[0][2]
    assert "완료" in rows[0][2]
    assert "25%" in rows[1][2]
    assert "%" not in rows[2][2]
    assert "✓" not in rows[2][2]


def test_a_visitor_who_opens_a_lecture_is_told_membership_is_free_and_sent_to_sign_in(client):
    course = course_of(2)
    response = client.get(f"/courses/{course.slug}/lectures/2/")
    assert response.status_code == 302
    assert response["Location"] == (f"/accounts/login/?next=/courses/{course.slug}/lectures/2/")
    login_page = text(client.get(response["Location"]))
    assert "무료 회원" in login_page
    # The sign-up link keeps the way back to the lecture.
    assert f"/accounts/signup/?next=%2Fcourses%2F{course.slug}%2Flectures%2F2%2F" in login_page


# --- the cover -----------------------------------------------------------------------------


def image_bytes(fmt: str = "PNG", size=(640, 360)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (31, 94, 255)).save(out, format=fmt)
    return out.getvalue()


@pytest.fixture
def media(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    return tmp_path / "media"


def upload_cover(client: Client, course: Course, data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        f"/studio/courses/{course.pk}/",
        {
            "course-category": course.category_id,
            "course-title": course.title,
            "course-level": course.level,
            "course-cover": SimpleUploadedFile(name, data),
        },
    )


@pytest.mark.parametrize(
    ("fmt", "kind", "ext"),
    [("PNG", "image/png", "png"), ("JPEG", "image/jpeg", "jpg"), ("WEBP", "image/webp", "webp")],
)
def test_an_instructor_uploads_a_cover_served_with_its_type(media, client, fmt, kind, ext):
    instructor = UserFactory(is_instructor=True)
    course = course_of(1)
    course.instructors.add(instructor)
    response = upload_cover(login(instructor), course, image_bytes(fmt), "내 표지.gif")
    assert response.status_code == 302, text(response)
    course.refresh_from_db()
    assert re.fullmatch(rf"covers/{course.pk}/[0-9a-f]{{32}}\.{ext}", course.cover_image.name)
    served = client.get(f"/courses/{course.slug}/cover")
    assert served.status_code == 200
    assert served["Content-Type"] == kind
    assert served["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).format == fmt
    assert f"/courses/{course.slug}/cover?v=" in text(client.get(f"/courses/{course.slug}/"))


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "a.png"),
        (b"<html><script>alert(1)</script></html>", "cover.jpg"),
        (image_bytes("PNG")[:400], "cut.png"),
        (image_bytes("GIF"), "anim.gif"),
        (image_bytes("PNG", size=(120, 80)), "tiny.png"),
    ],
    ids=["svg", "html", "truncated", "gif", "too-small"],
)
def test_a_cover_that_is_not_a_real_image_is_refused_under_its_field(media, data, name):
    instructor = UserFactory(is_instructor=True)
    course = course_of(1)
    course.instructors.add(instructor)
    response = upload_cover(login(instructor), course, data, name)
    assert response.status_code == 200
    page = text(response)
    assert re.search(r'id="id_course-cover_error"|class="errorlist', page)
    assert "PNG, JPEG" in page or "너무 작습니다" in page
    course.refresh_from_db()
    assert not course.cover_image


def test_replacing_a_cover_deletes_the_old_file(media, django_capture_on_commit_callbacks):
    instructor = UserFactory(is_instructor=True)
    course = course_of(1)
    course.instructors.add(instructor)
    client = login(instructor)
    with django_capture_on_commit_callbacks(execute=True):
        upload_cover(client, course, image_bytes("PNG"), "a.png")
    course.refresh_from_db()
    first = media / course.cover_image.name
    assert first.exists()
    with django_capture_on_commit_callbacks(execute=True):
        upload_cover(client, course, image_bytes("JPEG"), "b.jpg")
    assert not first.exists()


def test_without_a_cover_the_first_lectures_frame_stands_in(client):
    course = course_of(2)
    asset = ready_video_asset()
    asset.current_version.poster_path = f"videos/{asset.pk}/1/poster.jpg"
    asset.current_version.save(update_fields=["poster_path"])
    course.lectures.update(video=asset)
    response = client.get(f"/courses/{course.slug}/cover")
    assert response.status_code == 302
    assert "/poster.jpg" in response["Location"]
    assert 'class="course-cover" src=' in text(client.get(f"/courses/{course.slug}/"))
    assert 'class="card-cover" src=' in text(client.get("/courses/"))


def test_without_cover_or_frame_the_pages_draw_a_placeholder(client):
    course = course_of(1)
    assert client.get(f"/courses/{course.slug}/cover").status_code == 404
    assert "course-cover cover-placeholder" in text(client.get(f"/courses/{course.slug}/"))
    assert "card-cover cover-placeholder" in text(client.get("/courses/"))


def test_a_draft_courses_cover_is_not_served_to_visitors(media, client):
    instructor = UserFactory(is_instructor=True)
    course = course_of(1, status=Status.DRAFT, publish_at=None)
    course.instructors.add(instructor)
    upload_cover(login(instructor), course, image_bytes(), "a.png")
    assert client.get(f"/courses/{course.slug}/cover").status_code == 404
    assert login(instructor).get(f"/courses/{course.slug}/cover").status_code == 200


# --- cards, home, search, bundle ------------------------------------------------------------


def test_course_cards_show_instructor_length_and_the_members_progress(client):
    member = UserFactory()
    course = course_of(4, seconds=1800, title="코칭 실무")
    course.instructors.add(UserFactory(display_name="박코치"))
    watched(member, course.lectures.get(position=1), seconds=1800, position=1800, done=True)
    for page in (
        text(login(member).get("/")),
        text(login(member).get(f"/categories/{course.category.slug}/")),
        text(login(member).get("/search/", {"q": "코칭"})),
    ):
        card = page.split("코칭 실무", 1)[1].split("</li>", 1)[0]
        assert "박코치" in card
        assert "강의 4개 · 총 2시간" in card
        assert "25% 완료" in card


def test_the_home_page_says_what_the_forum_is_and_links_only_categories_with_courses(client):
    shown = CategoryFactory(title="콜센터 운영", slug="call-center")
    CategoryFactory(title="마케팅", slug="marketing")
    course_of(1, category=shown)
    page = text(client.get("/"))
    assert re.search(r'<h1 class="tagline">CS리더스포럼은 [^<]+커뮤니티입니다\. [^<]+</h1>', page)
    assert 'href="/categories/call-center/"' in page
    assert 'href="/categories/marketing/"' not in page


def test_an_empty_search_says_what_to_try(client):
    CategoryFactory(title="자격증", slug="certification")
    course_of(1, category__slug="qa", title="QA관리사 과정")
    page = text(client.get("/search/", {"q": "요가"}))
    assert "“요가” 검색 결과가 없습니다." in page
    assert 'href="/search/?q=%EB%AA%A8%EB%8B%88%ED%84%B0%EB%A7%81"' in page  # 모니터링
    assert 'href="/categories/qa/"' in page
    assert 'href="/categories/certification/"' not in page  # no course in it


def test_the_bundle_page_gives_length_progress_and_where_to_continue(client):
    member = UserFactory()
    bundle = BundleFactory(title="QA관리사 합격 패키지")
    first = course_of(2, seconds=1800, title="QA 기초")
    second = course_of(3, seconds=1200, title="콜센터 운영")
    BundleCourseFactory(bundle=bundle, course=first, position=1)
    BundleCourseFactory(bundle=bundle, course=second, position=2)
    visitor_page = text(client.get(f"/bundles/{bundle.slug}/"))
    assert "강좌 2개 · 강의 5개 · 총 2시간" in visitor_page
    assert main_button(visitor_page) == f"start|/courses/{first.slug}/lectures/1/|수강 시작"
    for lecture in first.lectures.all():
        watched(member, lecture, seconds=1800, position=1800, done=True)
    watched(member, second.lectures.get(position=2), seconds=300, position=300)
    page = text(login(member).get(f"/bundles/{bundle.slug}/"))
    assert main_button(page) == (
        f"continue|/courses/{second.slug}/lectures/2/|이어 보기: 콜센터 운영 2강"
    )
    first_card = page.split("QA 기초", 1)[1].split("</li>", 1)[0]
    assert "100% 완료" in first_card


# --- query counts: bounded, and the same for 5 lectures as for 30 --------------------------


def _queries(django_assert_max_num_queries, client: Client, url: str, limit: int) -> int:
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured.captured_queries)


@pytest.mark.parametrize("who", ["visitor", "member"])
def test_course_page_queries_do_not_grow_with_its_lectures(django_assert_max_num_queries, who):
    member = UserFactory()
    counts = []
    for n in (5, 30):
        course = course_of(n)
        course.instructors.add(UserFactory(), UserFactory())
        for lecture in course.lectures.all()[:3]:
            watched(member, lecture, seconds=100, position=100)
        client = login(member) if who == "member" else Client()
        counts.append(
            _queries(django_assert_max_num_queries, client, f"/courses/{course.slug}/", 16)
        )
    assert counts[0] == counts[1]


def test_lecture_page_queries_do_not_grow_with_the_course(django_assert_max_num_queries):
    member = UserFactory()
    counts = []
    for n in (5, 30):
        course = course_of(n)
        for lecture in course.lectures.all()[:3]:
            watched(member, lecture, seconds=100, position=100)
        counts.append(
            _queries(
                django_assert_max_num_queries,
                login(member),
                f"/courses/{course.slug}/lectures/2/",
                30,
            )
        )
    assert counts[0] == counts[1]


def test_home_and_list_pages_queries_do_not_grow_with_courses(django_assert_max_num_queries):
    member = UserFactory()
    counts = []
    for n in (2, 8):
        for _ in range(n):
            course = course_of(3)
            course.instructors.add(UserFactory())
            watched(member, course.lectures.first(), seconds=600, position=600, done=True)
        client = login(member)
        counts.append(
            (
                _queries(django_assert_max_num_queries, client, "/", 16),
                _queries(django_assert_max_num_queries, client, "/courses/", 12),
                _queries(django_assert_max_num_queries, client, "/search/?q=제1강", 12),
            )
        )
    assert counts[0] == counts[1]


def test_bundle_page_queries_do_not_grow_with_its_courses(django_assert_max_num_queries):
    member = UserFactory()
    counts = []
    for n in (1, 4):
        bundle = BundleFactory()
        for i in range(1, n + 1):
            course = course_of(5)
            course.instructors.add(UserFactory())
            BundleCourseFactory(bundle=bundle, course=course, position=i)
        counts.append(
            _queries(django_assert_max_num_queries, login(member), f"/bundles/{bundle.slug}/", 12)
        )
    assert counts[0] == counts[1]


# --- the studio's side: sections, outcome, a cover on a new course ---------------------------


def test_an_instructor_opens_a_section_at_a_lecture_and_learners_see_it(client):
    instructor = UserFactory(is_instructor=True)
    course = course_of(3)
    course.instructors.add(instructor)
    lecture = course.lectures.get(position=2)
    response = login(instructor).post(
        f"/studio/courses/{course.pk}/lectures/{lecture.pk}/",
        {"action": "lecture", "lecture-title": lecture.title, "lecture-section_title": "실전"},
    )
    assert response.status_code == 302
    page = text(client.get(f"/courses/{course.slug}/"))
    assert '<h3 class="section-title">실전</h3>' in page


def test_a_new_course_gets_its_outcome_and_cover_at_once(media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    instructor = UserFactory(is_instructor=True)
    category = CategoryFactory()
    response = login(instructor).post(
        "/studio/courses/new/",
        {
            "category": category.pk,
            "title": "VOC 분석 실무",
            "outcome": "VOC 분석 보고서를 직접 씁니다",
            "level": "advanced",
            "cover": SimpleUploadedFile("c.webp", image_bytes("WEBP")),
        },
    )
    assert response.status_code == 302, text(response)
    course = Course.objects.get(title="VOC 분석 실무")
    assert course.outcome == "VOC 분석 보고서를 직접 씁니다"
    assert course.level == Course.Level.ADVANCED
    assert course.cover_image.name.endswith(".webp")
