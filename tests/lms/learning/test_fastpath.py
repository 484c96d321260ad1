"""The heartbeat's short path in front of Django's handler (`lms.wsgi.application`, what
gunicorn serves): the same answers, headers and refusals as through Django, and everything
that is not a header-authenticated heartbeat left to Django."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from io import BytesIO
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from lms.learning import fastpath
from lms.learning.auth import heartbeat_key_make
from lms.learning.fastpath import HeartbeatWSGI
from lms.learning.models import LectureProgress

from .conftest import HEARTBEATS_URL, report

pytestmark = pytest.mark.django_db


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], content: bytes) -> None:
        self.status_code = int(status.split(" ", 1)[0])
        self.status = status
        self.headers = {name.lower(): value for name, value in headers}
        self.content = content

    def json(self) -> Any:
        return json.loads(self.content)


class Recorder:
    """Django's own WSGI handler, noting which requests reached it."""

    def __init__(self) -> None:
        self.django: WSGIHandler | None = None
        self.paths: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.paths.append(environ["PATH_INFO"])
        # Made on first use: the middleware reads the settings a test changed.
        self.django = self.django or WSGIHandler()
        return self.django(environ, start_response)


@contextmanager
def _in_test_transaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # As Django's test client does: the request-end connection clean-up would close the
    # connection that holds the test's transaction.
    monkeypatch.setattr(fastpath, "close_old_connections", lambda: None)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def wsgi(monkeypatch: pytest.MonkeyPatch) -> Any:
    inner = Recorder()
    app = HeartbeatWSGI(inner)

    def call(
        body: bytes | str | dict[str, Any],
        *,
        authorization: str | None = None,
        content_type: str = "application/json",
        cookies: str | None = None,
        path: str = HEARTBEATS_URL,
        method: str = "POST",
        **extra: str,
    ) -> Answer:
        raw = json.dumps(body) if isinstance(body, dict) else body
        data = raw.encode() if isinstance(raw, str) else raw
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(data)),
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": BytesIO(data),
            "wsgi.url_scheme": "http",
            "wsgi.errors": BytesIO(),
            **extra,
        }
        if authorization:
            environ["HTTP_AUTHORIZATION"] = authorization
        if cookies:
            environ["HTTP_COOKIE"] = cookies
        seen: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            seen.update(status=status, headers=headers)

        with _in_test_transaction(monkeypatch):
            chunks = app(environ, start_response)
            content = b"".join(chunks)
            getattr(chunks, "close", lambda: None)()
        return Answer(seen["status"], seen["headers"], content)

    call.inner = inner  # type: ignore[attr-defined]
    return call


def test_a_heartbeat_is_answered_in_front_of_django_and_recorded(wsgi, member, lecture):
    answer = wsgi(
        report(lecture, ranges=[[0, 10]]), authorization=f"Heartbeat {heartbeat_key_make(member)}"
    )

    assert answer.status == "200 OK"
    assert answer.json()["lectures"][0]["covered_seconds"] == 10
    assert LectureProgress.objects.get(user=member).covered_seconds == 10
    assert wsgi.inner.paths == []  # Django's handler never saw it
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert "set-cookie" not in answer.headers


def test_both_doors_answer_with_the_same_status_body_and_headers(wsgi, member, lecture):
    """Through Django (middleware, SecurityMiddleware) and in front of it: a refused body."""
    key = heartbeat_key_make(member)
    bad = report(lecture, ranges=[[20, 10]])

    django = Client().post(
        HEARTBEATS_URL,
        json.dumps(bad),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Heartbeat {key}",
    )
    front = wsgi(bad, authorization=f"Heartbeat {key}")

    assert front.status_code == django.status_code == 400
    assert front.json() == django.json()
    django_headers = {k.lower(): v for k, v in django.headers.items()}
    assert front.headers == django_headers
    assert front.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("forged key", 403, "authentication_failed"),
        ("bad token", 403, "authentication_failed"),
        ("not JSON", 400, "parse_error"),
        ("NaN", 400, "parse_error"),
        ("too large", 413, "payload_too_large"),
        ("unknown lecture", 404, "lecture_not_found"),
    ],
)
def test_bad_heartbeats_are_refused_with_a_reason_and_store_nothing(
    wsgi, member, lecture, case, status, code
):
    key = f"Heartbeat {heartbeat_key_make(member)}"
    body: Any = report(lecture)
    if case == "forged key":
        key = key[:-3] + "xyz"
    elif case == "bad token":
        key = "Token 0123456789abcdef"
    elif case == "not JSON":
        body = "{not json"
    elif case == "NaN":
        body = json.dumps(report(lecture)).replace('"rate": 1.0', '"rate": NaN')
    elif case == "too large":
        body = {**report(lecture), "padding": "x" * 600_000}
    elif case == "unknown lecture":
        body = report(lecture.pk + 1000)

    answer = wsgi(body, authorization=key)

    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.content
    assert answer.json()["message"]
    assert not LectureProgress.objects.exists()
    assert wsgi.inner.paths == []


def test_the_limit_per_member_answers_429_with_retry_after(wsgi, member, lecture, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "heartbeats", "2/min")
    key = f"Heartbeat {heartbeat_key_make(member)}"

    answers = [wsgi(report(lecture, seq=i), authorization=key) for i in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "throttled"
    assert 0 < int(answers[2].headers["retry-after"]) <= 60


def test_errors_come_in_the_language_the_member_chose(wsgi, member, lecture):
    key = f"Heartbeat {heartbeat_key_make(member)}"
    body = report(lecture, rate=100)

    korean = wsgi(body, authorization=key)
    english = wsgi(body, authorization=key, cookies="django_language=en")

    assert korean.json()["code"] == english.json()["code"] == "invalid_rate"
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean.json()["message"])
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in english.json()["message"])


@pytest.mark.parametrize(
    "request_kind",
    ["no Authorization", "another path", "a GET", "form data", "another scheme"],
)
def test_anything_else_goes_to_django_unchanged(wsgi, member, lecture, request_kind):
    kwargs: dict[str, Any] = {"authorization": f"Heartbeat {heartbeat_key_make(member)}"}
    if request_kind == "no Authorization":
        kwargs = {}
    elif request_kind == "another path":
        kwargs["path"] = f"/api/v1/progress/lectures/{lecture.pk}"
    elif request_kind == "a GET":
        kwargs["method"] = "GET"
    elif request_kind == "form data":
        kwargs["content_type"] = "application/x-www-form-urlencoded"
    else:
        kwargs["authorization"] = "Basic dXNlcjpwYXNz"

    answer = wsgi(report(lecture), **kwargs)

    assert len(wsgi.inner.paths) == 1
    assert answer.status_code in (401, 403, 405, 415)
    assert not LectureProgress.objects.exists()


def test_plain_http_under_ssl_redirect_is_left_to_django_and_https_gets_hsts(
    wsgi, member, lecture, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    key = f"Heartbeat {heartbeat_key_make(member)}"

    plain = wsgi(report(lecture), authorization=key)
    behind_proxy = wsgi(report(lecture), authorization=key, HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
    assert wsgi.inner.paths == [HEARTBEATS_URL]
    assert behind_proxy.status_code == 200
    assert behind_proxy.headers["strict-transport-security"].startswith("max-age=3600")
    assert "strict-transport-security" not in wsgi(report(lecture), authorization=key).headers
