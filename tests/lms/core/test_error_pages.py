"""The platform's own error pages: Korean by default, English when chosen, in the site layout
with a way home; JSON under /api/."""

import json

import pytest
from django.test import Client

from tests.factories import UserFactory

KO = {
    400: "잘못된 요청입니다",
    403: "접근 권한이 없습니다",
    404: "페이지를 찾을 수 없습니다",
    500: "일시적인 오류가 발생했습니다",
    "csrf": "보안 확인에 실패했습니다",
}
EN = {
    400: "Bad request",
    403: "Access denied",
    404: "Page not found",
    500: "Something went wrong",
    "csrf": "Security check failed",
}


def _client(language: str, **kwargs) -> Client:
    client = Client(**kwargs)
    if language == "en":
        client.cookies["django_language"] = "en"
    return client


def _assert_error_page(response, status: int, title: str, language: str) -> None:
    page = response.content.decode()
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert f'<html lang="{language}">' in page
    assert 'class="site-header"' in page  # the site layout
    assert f"<h1>{title}</h1>" in page
    home = "홈으로 돌아가기" if language == "ko" else "Back to the home page"
    assert f'href="/">{home}</a>' in page
    assert "Traceback" not in page
    assert "Django" not in page


@pytest.mark.parametrize(("language", "titles"), [("ko", KO), ("en", EN)])
def test_unknown_url_gets_the_platforms_404_page(db, language, titles):
    response = _client(language).get("/no-such-page/")
    _assert_error_page(response, 404, titles[404], language)


@pytest.mark.parametrize(("language", "titles"), [("ko", KO), ("en", EN)])
def test_a_host_not_allowed_gets_the_platforms_400_page(db, language, titles):
    response = _client(language).get("/", HTTP_HOST="evil.example")
    _assert_error_page(response, 400, titles[400], language)


@pytest.mark.parametrize(("language", "titles"), [("ko", KO), ("en", EN)])
def test_a_member_on_a_staff_page_gets_the_platforms_403_page(db, language, titles):
    client = _client(language)
    client.force_login(UserFactory())
    response = client.get("/staff/applications/")
    _assert_error_page(response, 403, titles[403], language)
    assert "회원" in response.content.decode()  # still signed in, in the layout's header


@pytest.mark.parametrize(("language", "titles"), [("ko", KO), ("en", EN)])
def test_a_form_posted_without_its_csrf_token_gets_the_platforms_page(db, language, titles):
    client = _client(language, enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "a@example.com", "password": "x"})
    _assert_error_page(response, 403, titles["csrf"], language)


@pytest.mark.urls("tests.lms.core.failing_urls")
@pytest.mark.parametrize(("language", "titles"), [("ko", KO), ("en", EN)])
def test_a_failure_gets_the_platforms_500_page_without_the_database(language, titles):
    # No `db` fixture: every query raises, in the view and anywhere the 500 page would try.
    client = _client(language, raise_request_exception=False)
    client.cookies["sessionid"] = "a-session-the-database-would-be-asked-about"
    response = client.get("/boom/")
    _assert_error_page(response, 500, titles[500], language)


@pytest.mark.urls("tests.lms.core.failing_urls")
def test_the_500_page_falls_back_to_plain_markup_when_its_template_fails(settings):
    # A static manifest that lacks the stylesheet: `{% static %}` raises while rendering.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    settings.STATIC_ROOT = "/nonexistent-static-root"
    response = Client(raise_request_exception=False).get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>일시적인 오류가 발생했습니다</h1>" in page
    assert '<a href="/">홈으로 돌아가기</a>' in page


def test_unknown_api_url_stays_json(db):
    response = Client().get("/api/v1/no-such-endpoint")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content) == {
        "message": "찾을 수 없습니다.",
        "code": "not_found",
        "extra": {},
    }


@pytest.mark.urls("tests.lms.core.failing_urls")
def test_an_api_failure_stays_json():
    client = _client("en", raise_request_exception=False)
    response = client.get("/api/v1/boom")
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "message": "A problem occurred on our side. Try again in a moment; if it keeps "
        "happening, tell the site's operators.",
        "code": "server_error",
        "extra": {},
    }
