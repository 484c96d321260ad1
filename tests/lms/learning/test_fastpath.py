"""The heartbeat's short path in front of Django's handler, through both its doors: ASGI
(`lms.asgi.application`, what gunicorn serves: the heartbeat's work on the event loop's
thread, Django's handler under a2wsgi) and WSGI (`lms.wsgi.application`): the same answers, headers
and refusals as through Django, and everything that is not a header-authenticated heartbeat
left to Django."""

import asyncio
import functools
import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from http import HTTPStatus
from io import BytesIO
from typing import Any

import pytest
from a2wsgi import WSGIMiddleware
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections
from django.test import Client
from rest_framework.throttling import ScopedRateThrottle

from lms.learning import fastpath
from lms.learning.fastpath import HeartbeatASGI, HeartbeatWSGI
from lms.learning.models import LectureProgress

from .conftest import HEARTBEATS_URL, page_key, progress_rows_locked_elsewhere, report

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


def _environ(method: str, path: str, data: bytes, headers: dict[str, str]) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": BytesIO(data),
        "wsgi.url_scheme": "http",
        "wsgi.errors": BytesIO(),
        **{
            name if name in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{name}": value
            for name, value in headers.items()
        },
    }


def _through_wsgi(app: Any, method: str, path: str, data: bytes, headers: dict[str, str]) -> Any:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen.update(status=status, headers=headers)

    chunks = app(_environ(method, path, data, headers), start_response)
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return Answer(seen["status"], seen["headers"], content)


class LoopThread:
    """An event loop running on a thread of its own, as in a gunicorn worker: the test's
    thread may have a loop running already (Playwright's, in a process that ran a browser
    test)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def call(self, func: Any, *args: Any) -> Any:
        """`func(*args)` on the loop's thread, while the loop runs."""

        async def call() -> Any:
            return func(*args)

        return self.run(call())

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


def _through_asgi(
    loop: LoopThread, app: Any, method: str, path: str, data: bytes, headers: dict[str, str]
) -> Any:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "headers": [
            (name.lower().replace("_", "-").encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        ],
    }
    # The body in two parts, as a socket may deliver it.
    parts = [data[: len(data) // 2], data[len(data) // 2 :]]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if parts:
            return {"type": "http.request", "body": parts.pop(0), "more_body": bool(parts)}
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    loop.run(app(scope, receive, send))
    status = sent[0]["status"]
    return Answer(
        f"{status} {HTTPStatus(status).phrase}",
        [(k.decode("latin-1"), v.decode("latin-1")) for k, v in sent[0]["headers"]],
        b"".join(m.get("body", b"") for m in sent[1:]),
    )


@contextmanager
def _threads_on_the_test_connection() -> Iterator[Any]:
    """A thread pool whose threads use the test's database connection (and so see its
    transaction), as Django's live server shares it; the test waits while they run."""
    connection = connections[DEFAULT_DB_ALIAS]

    def share() -> None:
        connections[DEFAULT_DB_ALIAS] = connection

    connection.inc_thread_sharing()
    executor = ThreadPoolExecutor(1, initializer=share)
    try:
        yield executor
    finally:
        executor.shutdown()
        connection.dec_thread_sharing()


@pytest.fixture(params=["asgi", "wsgi"])
def door(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """A callable sending one request through the short path's door, with Django's handler
    behind it noting which requests reached it (`door.inner.paths`)."""
    inner = Recorder()
    with ExitStack() as stack:
        if request.param == "asgi":
            monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # as lms/asgi.py
            wrapped = WSGIMiddleware(inner)
            wrapped.executor = stack.enter_context(_threads_on_the_test_connection())
            app: Any = HeartbeatASGI(wrapped)
            loop = LoopThread()
            stack.callback(loop.close)
            # The heartbeat's work, on the loop's thread in the app's context, on the test's
            # connection (and so in its transaction).
            connection = connections[DEFAULT_DB_ALIAS]
            connection.inc_thread_sharing()
            stack.callback(connection.dec_thread_sharing)
            loop.call(app.context.run, connections.__setitem__, DEFAULT_DB_ALIAS, connection)
            through: Any = functools.partial(_through_asgi, loop)
        else:
            app, through = HeartbeatWSGI(inner), _through_wsgi

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
            headers = {
                "HOST": "testserver",
                "CONTENT_TYPE": content_type,
                "CONTENT_LENGTH": str(len(data)),
                **{name.removeprefix("HTTP_"): value for name, value in extra.items()},
            }
            if authorization:
                headers["AUTHORIZATION"] = authorization
            if cookies:
                headers["COOKIE"] = cookies
            with _in_test_transaction(monkeypatch):
                return through(app, method, path, data, headers)

        call.inner = inner  # type: ignore[attr-defined]
        yield call


def test_a_heartbeat_is_answered_in_front_of_django_and_recorded(door, member, lecture):
    answer = door(report(lecture, ranges=[[0, 10]]), authorization=f"Heartbeat {page_key(member)}")

    assert answer.status == "200 OK"
    assert answer.json()["lectures"][0]["covered_seconds"] == 10
    assert LectureProgress.objects.get(user=member).covered_seconds == 10
    assert door.inner.paths == []  # Django's handler never saw it
    assert int(answer.headers["content-length"]) == len(answer.content)
    assert "set-cookie" not in answer.headers


def test_both_doors_answer_with_the_same_status_body_and_headers(door, member, lecture):
    """Through Django (middleware, SecurityMiddleware) and in front of it: a refused body."""
    key = page_key(member)
    bad = report(lecture, ranges=[[20, 10]])

    django = Client().post(
        HEARTBEATS_URL,
        json.dumps(bad),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Heartbeat {key}",
    )
    front = door(bad, authorization=f"Heartbeat {key}")

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
    door, member, lecture, case, status, code
):
    key = f"Heartbeat {page_key(member)}"
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

    answer = door(body, authorization=key)

    assert (answer.status_code, answer.json()["code"]) == (status, code), answer.content
    assert answer.json()["message"]
    assert not LectureProgress.objects.exists()
    assert door.inner.paths == []


def test_the_limit_per_member_answers_429_with_retry_after(door, member, lecture, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "heartbeats", "2/min")
    key = f"Heartbeat {page_key(member)}"

    answers = [door(report(lecture, seq=i), authorization=key) for i in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].json()["code"] == "throttled"
    assert 0 < int(answers[2].headers["retry-after"]) <= 60


def test_errors_come_in_the_language_the_member_chose(door, member, lecture):
    key = f"Heartbeat {page_key(member)}"
    body = report(lecture, rate=100)

    korean = door(body, authorization=key)
    english = door(body, authorization=key, cookies="django_language=en")

    assert korean.json()["code"] == english.json()["code"] == "invalid_rate"
    assert any("\uac00" <= ch <= "\ud7a3" for ch in korean.json()["message"])
    assert not any("\uac00" <= ch <= "\ud7a3" for ch in english.json()["message"])


@pytest.mark.parametrize(
    "request_kind",
    ["no Authorization", "another path", "a GET", "form data", "another scheme"],
)
def test_anything_else_goes_to_django_unchanged(door, member, lecture, request_kind):
    kwargs: dict[str, Any] = {"authorization": f"Heartbeat {page_key(member)}"}
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

    answer = door(report(lecture), **kwargs)

    assert len(door.inner.paths) == 1
    assert answer.status_code in (401, 403, 405, 415)
    assert not LectureProgress.objects.exists()


def test_plain_http_under_ssl_redirect_is_left_to_django_and_https_gets_hsts(
    door, member, lecture, settings
):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 3600
    key = f"Heartbeat {page_key(member)}"

    plain = door(report(lecture), authorization=key)
    behind_proxy = door(report(lecture), authorization=key, HTTP_X_FORWARDED_PROTO="https")

    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")
    assert door.inner.paths == [HEARTBEATS_URL]
    assert behind_proxy.status_code == 200
    assert behind_proxy.headers["strict-transport-security"].startswith("max-age=3600")
    assert "strict-transport-security" not in door(report(lecture), authorization=key).headers


@pytest.mark.django_db(transaction=True)
def test_the_served_application_keeps_the_heartbeats_connection(member, lecture, monkeypatch):
    """`lms.asgi.application`, what gunicorn serves: heartbeats on the event loop's thread, on
    one database connection kept from one to the next (not one per request, as Django's
    connections on a thread running a loop would be), and the pages through Django."""
    from lms.asgi import application

    key = f"Heartbeat {page_key(member)}"
    headers = {"HOST": "testserver", "CONTENT_TYPE": "application/json", "AUTHORIZATION": key}
    # Kept for a minute, as on PostgreSQL (the embedded SQLite's default is one per request).
    monkeypatch.setitem(connections.settings[DEFAULT_DB_ALIAS], "CONN_MAX_AGE", 60)
    pages = ThreadPoolExecutor(1)
    monkeypatch.setattr(application.inner, "executor", pages)

    def heartbeats_connection() -> Any:
        return connections[DEFAULT_DB_ALIAS].connection

    loop = LoopThread()
    try:
        held = []
        for seq in range(1, 4):
            body = json.dumps(report(lecture, seq=seq, ranges=[[seq * 10, seq * 10 + 10]])).encode()
            headers["CONTENT_LENGTH"] = str(len(body))
            answer = _through_asgi(loop, application, "POST", HEARTBEATS_URL, body, headers)
            assert answer.status_code == 200, answer.content
            held.append(loop.call(application.context.run, heartbeats_connection))
        page = _through_asgi(loop, application, "GET", "/", b"", {"HOST": "testserver"})
    finally:
        loop.call(application.context.run, connections.close_all)
        loop.close()
        pages.submit(connections.close_all).result()
        pages.shutdown()

    assert held[0] is not None and held[0] is held[1] is held[2]
    assert LectureProgress.objects.get(user=member).covered_seconds == 30
    assert page.status_code == 200
    assert b"<html" in page.content.lower()


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_waits_on_the_database_at_most_its_limit_and_is_sent_again(
    member, lecture, settings
):
    """On the event loop, where a wait holds up every request of the process, a heartbeat
    waits on a lock held elsewhere at most HEARTBEAT_DB_TIMEOUT_MS: it is answered 503 with
    its reason and Retry-After, and nothing is stored; sent again once the lock is gone, it
    is stored."""
    from lms.asgi import application

    settings.HEARTBEAT_DB_TIMEOUT_MS = 300
    key = f"Heartbeat {page_key(member)}"
    session = "0b0e1f4c-7a53-4c46-9d4e-5a7b8f1d2c3e"
    loop = LoopThread()

    def send(seq: int, start: float) -> Answer:
        body = report(lecture, session=session, seq=seq, ranges=[[start, start + 10]])
        data = json.dumps(body).encode()
        headers = {
            "HOST": "testserver",
            "CONTENT_TYPE": "application/json",
            "CONTENT_LENGTH": str(len(data)),
            "AUTHORIZATION": key,
        }
        return _through_asgi(loop, application, "POST", HEARTBEATS_URL, data, headers)

    try:
        # A connection of its own, opened under this test's limit.
        loop.call(application.context.run, connections.close_all)
        assert send(1, 0).status_code == 200
        with progress_rows_locked_elsewhere(member):
            refused = send(2, 10)
        stored = LectureProgress.objects.get(user=member).covered_seconds
        again = send(2, 10)
    finally:
        loop.call(application.context.run, connections.close_all)
        loop.close()

    assert refused.status_code == 503
    assert refused.headers["retry-after"] == "10"
    assert refused.json()["code"] == "progress_unavailable"
    assert "다시 보냅니다" in refused.json()["message"]
    assert stored == 10
    assert again.status_code == 200, again.content
    assert LectureProgress.objects.get(user=member).covered_seconds == 20
