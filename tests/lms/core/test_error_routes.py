"""Every route a person can reach answers its errors with the platform's Korean page: refused
methods (an empty 405 from Django), a view's own short error text, the admin's and the
studio's refusals, static and media files that are not there, a sign-in provider nobody
configured. The API keeps its JSON."""

import json

import pytest
from django.test import Client

from tests.factories import CourseFactory, UserFactory

TITLES = {
    403: "접근 권한이 없습니다",
    404: "페이지를 찾을 수 없습니다",
    405: "이 주소는 그렇게 열 수 없습니다",
}

# (path, status) a visitor meets.
VISITOR_ROUTES = [
    ("/no-such-page/", 404),
    ("/static/no-such-file.css", 404),
    ("/static/vendor/noto-sans-kr/files/no-such-font.woff2", 404),
    ("/media/no-such-file.mp4", 404),
    ("/courses/no-such-course/", 404),
    ("/events/no-such-event/", 404),
    ("/u/nobody/", 404),
    ("/play/f/not-a-token/segment.m4s", 403),  # the view's own text, in the page
    ("/csp-report/", 405),  # a POST-only endpoint opened in the address bar
    ("/accounts/kakao/login/", 404),  # no Kakao keys configured: was a 500
    ("/accounts/naver/login/", 404),
]
# (path, status) a signed-in learner meets.
LEARNER_ROUTES = [
    ("/studio/", 403),
    ("/studio/review/", 403),
    ("/staff/applications/", 403),
    ("/play/lectures/999999/master.m3u8", 404),
    ("/play/originals/999999", 404),
    ("/handouts/999999/", 404),
    ("/my/certificates/NOPE.pdf", 404),
    ("/events/no-such-event/register/", 405),  # POST only
    ("/qna/lectures/1/questions/", 405),  # POST only
    ("/notifications/999999/", 404),
]
# (path, status) staff meet in the admin.
STAFF_ROUTES = [
    ("/admin/no-such-app/", 404),
    ("/admin/catalog/no-such-model/", 404),
]


def _assert_korean_error_page(response, status: int) -> None:
    page = response.content.decode()
    assert response.status_code == status, (response.request["PATH_INFO"], response.status_code)
    assert response["Content-Type"].startswith("text/html")
    assert '<html lang="ko">' in page
    assert 'class="site-header"' in page
    assert f'data-error="{status}"' in page
    assert f"<h1>{TITLES[status]}</h1>" in page
    assert "홈으로 돌아가기" in page


@pytest.mark.parametrize(("path", "status"), VISITOR_ROUTES)
def test_a_visitor_meets_the_korean_error_page(db, path, status):
    response = Client(raise_request_exception=False).get(path)
    _assert_korean_error_page(response, status)


@pytest.mark.parametrize(("path", "status"), LEARNER_ROUTES)
def test_a_learner_meets_the_korean_error_page(db, path, status):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory())
    _assert_korean_error_page(client.get(path), status)


@pytest.mark.parametrize(("path", "status"), STAFF_ROUTES)
def test_staff_meet_the_korean_error_page_in_the_admin(db, path, status):
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    _assert_korean_error_page(client.get(path), status)


def test_an_instructor_on_another_instructors_course_meets_the_korean_page(db):
    course = CourseFactory()
    course.instructors.add(UserFactory(is_instructor=True))
    client = Client(raise_request_exception=False)
    client.force_login(UserFactory(is_instructor=True))
    response = client.get(f"/studio/courses/{course.pk}/")
    assert response.status_code in (403, 404)
    _assert_korean_error_page(response, response.status_code)


def test_a_views_own_error_text_becomes_the_pages_message(db):
    response = Client().get("/play/f/not-a-token/segment.m4s")
    _assert_korean_error_page(response, 403)
    assert "올바르지 않은 재생 링크입니다." in response.content.decode()


def test_the_405_page_keeps_the_allowed_methods(db):
    response = Client().get("/csp-report/")
    _assert_korean_error_page(response, 405)
    assert response["Allow"] == "POST"


def test_non_text_errors_are_left_alone(db):
    # A byte range past the end of a file is for the player, not a person: no page around it.
    from lms.media.views import _unsatisfiable

    assert _unsatisfiable(10).content == b""


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/no-such-endpoint", 404),
        ("get", "/api/v1/courses/no-such-course/", 404),
        ("delete", "/api/v1/courses/", 405),
        ("post", "/api/v1/progress/heartbeats", 403),
    ],
)
def test_api_routes_keep_json(db, method, path, status):
    response = getattr(Client(), method)(path)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert set(json.loads(response.content)) == {"message", "code", "extra"}
