from datetime import timedelta

import pytest
from django.utils import timezone

from lms.catalog.models import Status
from lms.community.models import WeeklyLecture
from tests.factories import (
    BundleCourseFactory,
    BundleFactory,
    CategoryFactory,
    CourseFactory,
    LectureFactory,
    course_with_lectures,
)

pytestmark = pytest.mark.django_db


def test_home_shows_categories_newest_courses_and_this_weeks_lecture(client):
    category = CategoryFactory(title="콜센터 운영")
    CourseFactory(category=category, title="콜센터 운영 실무")
    WeeklyLecture.objects.create(
        slug="w1",
        category=category,
        title="고객은 목마르다",
        starts_at=timezone.now() + timedelta(days=2),
        status=Status.PUBLISHED,
        publish_at=timezone.now(),
    )

    page = client.get("/").content.decode()

    assert "콜센터 운영 실무" in page
    assert "고객은 목마르다" in page
    assert f"/categories/{category.slug}/" in page
    assert '<html lang="ko">' in page


def test_course_page_lists_visible_lectures_in_order_with_durations(client):
    course = CourseFactory(slug="qa")
    LectureFactory(course=course, position=2, title="둘째 강의", duration_seconds=125)
    LectureFactory(course=course, position=1, title="첫째 강의", duration_seconds=3725)
    LectureFactory(course=course, position=3, title="초안 강의", status=Status.DRAFT)

    page = client.get("/courses/qa/").content.decode()

    assert page.index("첫째 강의") < page.index("둘째 강의")
    assert "1:02:05" in page
    assert "2:05" in page
    assert "초안 강의" not in page


@pytest.mark.parametrize(
    "kwargs",
    [
        {"status": Status.DRAFT, "publish_at": None},
        {"status": Status.IN_REVIEW, "publish_at": None},
        {"status": Status.ARCHIVED},
        {"status": Status.PUBLISHED, "publish_at": timezone.now() + timedelta(hours=1)},
    ],
    ids=["draft", "in_review", "archived", "scheduled"],
)
def test_unpublished_course_answers_404_to_visitors_and_members(client, member_client, kwargs):
    course = course_with_lectures(1, **kwargs)

    assert client.get(f"/courses/{course.slug}/").status_code == 404
    assert member_client.get(f"/courses/{course.slug}/").status_code == 404
    link = f"/courses/{course.slug}/"
    assert link not in client.get("/").content.decode()
    assert link not in client.get("/courses/").content.decode()
    assert link not in client.get(f"/categories/{course.category.slug}/").content.decode()
    assert link not in client.get("/search/", {"q": course.title}).content.decode()


def test_draft_course_is_visible_to_its_instructor_and_staff(client, instructor, staff):
    course = course_with_lectures(2, status=Status.DRAFT, publish_at=None)
    course.lectures.update(status=Status.DRAFT, publish_at=None)
    course.instructors.add(instructor)

    client.force_login(instructor)
    page = client.get(f"/courses/{course.slug}/").content.decode()
    assert "제2강" in page
    client.force_login(staff)
    assert client.get(f"/courses/{course.slug}/").status_code == 200


def test_other_instructor_cannot_see_a_draft(client):
    from tests.factories import UserFactory

    course = course_with_lectures(1, status=Status.DRAFT, publish_at=None)
    client.force_login(UserFactory(is_instructor=True))
    assert client.get(f"/courses/{course.slug}/").status_code == 404


def test_scheduled_bundle_and_unknown_slugs_answer_404(client):
    bundle = BundleFactory(publish_at=timezone.now() + timedelta(days=1))
    assert client.get(f"/bundles/{bundle.slug}/").status_code == 404
    assert client.get("/bundles/nope/").status_code == 404
    assert client.get("/categories/nope/").status_code == 404


def test_bundle_page_lists_its_courses_in_order(client):
    bundle = BundleFactory(slug="pass")
    BundleCourseFactory(bundle=bundle, course=CourseFactory(title="둘째 과정"), position=2)
    BundleCourseFactory(bundle=bundle, course=CourseFactory(title="첫째 과정"), position=1)

    page = client.get("/bundles/pass/").content.decode()

    assert page.index("첫째 과정") < page.index("둘째 과정")


@pytest.mark.parametrize(
    "query",
    ["모니터링", "니터", "평가표 설계", "scorecard", "SCORECARD", "평가표를", "모니터링의 설계"],
)
def test_search_finds_korean_words_anywhere_in_titles(client, query):
    course = CourseFactory(title="QA관리사 과정")
    LectureFactory(course=course, position=1, title="모니터링 평가표 설계", title_en="scorecard")
    LectureFactory(course=course, position=2, title="코칭의 이해")

    page = client.get("/search/", {"q": query}).content.decode()

    assert "모니터링 평가표 설계" in page
    assert "코칭의 이해" not in page


def test_search_without_a_match_lists_nothing(client):
    course = CourseFactory(title="QA관리사 과정")
    LectureFactory(course=course, position=1, title="모니터링 평가표 설계")
    page = client.get("/search/", {"q": "마케팅을"}).content.decode()
    assert "모니터링 평가표 설계" not in page
    assert "“마케팅을” 검색 결과가 없습니다." in page


def test_search_finds_courses_by_words_in_the_description(client):
    CourseFactory(title="운영 실무", description="인입 콜 예측과 적정 인력 산정을 다룹니다.")
    page = client.get("/search/", {"q": "인력"}).content.decode()
    assert "운영 실무" in page


def test_search_with_a_huge_query_is_cut_not_an_error(client):
    response = client.get("/search/", {"q": "가" * 10_000})
    assert response.status_code == 200


def test_course_page_query_count_does_not_grow_with_lectures(client, django_assert_max_num_queries):
    small = course_with_lectures(3)
    large = course_with_lectures(30)

    with django_assert_max_num_queries(6) as small_run:
        client.get(f"/courses/{small.slug}/")
    with django_assert_max_num_queries(len(small_run.captured_queries)) as large_run:
        client.get(f"/courses/{large.slug}/")
    assert len(large_run.captured_queries) == len(small_run.captured_queries)


@pytest.mark.parametrize("url", ["/", "/courses/", "/categories/{cat}/", "/bundles/{bundle}/"])
def test_list_pages_have_bounded_query_counts(client, django_assert_max_num_queries, url):
    category = CategoryFactory()
    bundle = BundleFactory()
    for i in range(12):
        course = course_with_lectures(3, category=category)
        BundleCourseFactory(bundle=bundle, course=course, position=i + 1)
    with django_assert_max_num_queries(8):
        response = client.get(url.format(cat=category.slug, bundle=bundle.slug))
    assert response.status_code == 200


def test_language_switch_shows_english_titles(client):
    CourseFactory(title="콜센터 운영 실무", title_en="Call-Center Operations in Practice")

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, follow=True)

    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Call-Center Operations in Practice" in page
    assert "Newest courses" in page


def test_korean_is_the_default_language(client):
    page = client.get("/").content.decode()
    assert "최신 강좌" in page


def test_catalog_api_lists_only_visible_courses(client):
    CourseFactory(title="공개 강좌")
    CourseFactory(title="초안 강좌", status=Status.DRAFT, publish_at=None)

    data = client.get("/api/v1/courses/").json()

    assert [c["title"] for c in data["results"]] == ["공개 강좌"]


def test_api_errors_have_message_and_code(client):
    data = client.get("/api/v1/courses/nope/").json()
    assert set(data) == {"message", "code", "extra"}
    assert data["code"] == "not_found"


def test_openapi_schema_and_docs_are_served(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_an_english_browser_still_gets_korean_until_the_member_switches(client):
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert '<html lang="ko">' in page


def test_lecture_without_a_video_yet_shows_no_fake_duration(client):
    course = CourseFactory(slug="novideo")
    LectureFactory(course=course, position=1, duration_seconds=0)
    page = client.get("/courses/novideo/").content.decode()
    assert '<span class="duration">—</span>' in page
