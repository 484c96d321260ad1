"""Two devices of one member at once, with real threads and real row locks (PostgreSQL)."""

import json
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lms.catalog.models import Course
from lms.learning import services
from lms.learning.models import CourseProgress, LectureProgress
from tests.factories import CourseFactory, LectureFactory, UserFactory

from .conftest import HEARTBEATS_URL, page_key, report

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite's test database lives in one connection's memory and "
        "serialises writers, so two threads cannot race on row locks there",
    ),
]


def run_at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run `jobs` in threads released together; return their results (or raise the first
    error)."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(i: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=10)
            results[i] = job()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    if errors:
        raise errors[0]
    return results


def device(user: Any) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def poster(client: APIClient, body: dict[str, Any]) -> Callable[[], int]:
    def post() -> int:
        response = client.post(HEARTBEATS_URL, json.dumps(body), content_type="application/json")
        assert response.status_code == 200, response.content
        return response.status_code

    return post


@pytest.fixture
def slow_merge(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between reading a progress row and writing it back, so that without
    the row lock the two requests would surely overwrite each other."""
    apply_reports = services._apply_reports

    def slowly(**kwargs: Any) -> int:
        time.sleep(0.15)
        return apply_reports(**kwargs)

    monkeypatch.setattr(services, "_apply_reports", slowly)


@pytest.mark.usefixtures("slow_merge")
def test_two_devices_posting_at_once_lose_nothing():
    member = UserFactory()
    course = CourseFactory()
    phone, laptop = device(member), device(member)
    phone_session, laptop_session = uuid.uuid4(), uuid.uuid4()

    for position in range(1, 4):
        lecture = LectureFactory(course=course, position=position)
        # Nobody has a progress row yet: both requests race to create it...
        run_at_once(
            poster(phone, report(lecture, ranges=[[0, 10]], session=uuid.uuid4())),
            poster(laptop, report(lecture, ranges=[[100, 110]], session=uuid.uuid4())),
        )
        # ...and then to update it.
        run_at_once(
            poster(phone, report(lecture, ranges=[[10, 20]], session=phone_session)),
            poster(laptop, report(lecture, ranges=[[110, 120]], session=laptop_session)),
        )

        progress = LectureProgress.objects.get(user=member, lecture=lecture)
        assert progress.coverage == [[0.0, 20.0], [100.0, 120.0]]
        assert progress.credited_seconds == 40
        assert len(progress.sessions) == 4
        phone_session, laptop_session = uuid.uuid4(), uuid.uuid4()
    assert CourseProgress.objects.filter(user=member, course=course).count() == 1


@pytest.mark.usefixtures("slow_merge")
def test_two_devices_cannot_both_take_the_last_place_under_the_daily_cap():
    member = UserFactory()
    course = CourseFactory(
        completion_policy=Course.CompletionPolicy.HRD, completion_threshold=80, daily_lecture_cap=1
    )
    first = LectureFactory(course=course, position=1, duration_seconds=20)
    second = LectureFactory(course=course, position=2, duration_seconds=20)
    phone, laptop = device(member), device(member)
    first_session, second_session = uuid.uuid4(), uuid.uuid4()
    for client, lecture, session in (
        (phone, first, first_session),
        (laptop, second, second_session),
    ):
        poster(client, report(lecture, ranges=[[0, 1]], session=session))()

    run_at_once(
        poster(phone, report(first, ranges=[[0, 20]], session=first_session, seq=2)),
        poster(laptop, report(second, ranges=[[0, 20]], session=second_session, seq=2)),
    )

    completed = LectureProgress.objects.filter(user=member, completed_at__isnull=False)
    assert completed.count() == 1
    assert CourseProgress.objects.get(user=member, course=course).completed_lectures == 1


def test_two_devices_with_known_sessions_at_once_lose_nothing(monkeypatch: pytest.MonkeyPatch):
    """The usual heartbeat writes without a lock, only if the row is as it read it: when both
    devices read the row before either wrote it, the second write is refused and redone under
    the row lock, with the first device's ranges in it."""
    member = UserFactory()
    lecture = LectureFactory(course=CourseFactory())
    phone, laptop = device(member), device(member)
    phone_session, laptop_session = uuid.uuid4(), uuid.uuid4()
    poster(phone, report(lecture, ranges=[[0, 10]], session=phone_session))()
    poster(laptop, report(lecture, ranges=[[100, 110]], session=laptop_session))()

    merges: list[int] = []
    both_read = threading.Barrier(2)
    apply_reports = services._apply_reports

    def after_both_read(**kwargs: Any) -> int:
        merges.append(1)
        if len(merges) <= 2:
            both_read.wait(timeout=10)  # neither writes before the other has read
        return apply_reports(**kwargs)

    monkeypatch.setattr(services, "_apply_reports", after_both_read)
    run_at_once(
        poster(phone, report(lecture, ranges=[[10, 20]], session=phone_session, seq=2)),
        poster(laptop, report(lecture, ranges=[[110, 120]], session=laptop_session, seq=2)),
    )

    progress = LectureProgress.objects.get(user=member, lecture=lecture)
    assert progress.coverage == [[0.0, 20.0], [100.0, 120.0]]
    assert progress.credited_seconds == 40
    assert sorted(seq for _session, seq in progress.sessions) == [2, 2]
    assert len(merges) == 3  # two unlocked merges, one of them redone under the lock


def _through_the_wsgi_handler(key: str, body: dict[str, Any]) -> tuple[int, bytes]:
    """A heartbeat through Django's own WSGI handler, as gunicorn calls it (the test client
    leaves out the request_started signal, where Django checks its connections)."""
    import io

    from django.core.handlers.wsgi import WSGIHandler
    from django.test.client import RequestFactory

    data = json.dumps(body).encode()
    environ = {
        **RequestFactory()._base_environ(),
        "REQUEST_METHOD": "POST",
        "PATH_INFO": HEARTBEATS_URL,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "HTTP_AUTHORIZATION": f"Heartbeat {key}",
        "wsgi.input": io.BytesIO(data),
    }
    answer: list[str] = []
    content = b"".join(WSGIHandler()(environ, lambda status, headers: answer.append(status)))
    return int(answer[0].split()[0]), content


def test_a_heartbeat_on_a_connection_postgresql_dropped_is_recorded_on_a_new_one():
    """Django's ping before a request's first query (CONN_HEALTH_CHECKS) finds the dead
    connection, and the heartbeat is recorded on a new one."""
    import psycopg

    assert connection.settings_dict["CONN_HEALTH_CHECKS"]
    member = UserFactory()
    lecture = LectureFactory(course=CourseFactory())
    key, session = page_key(member), uuid.uuid4()
    status, _body = _through_the_wsgi_handler(
        key, report(lecture, ranges=[[0, 10]], session=session)
    )
    assert status == 200
    connection.ensure_connection()
    backend = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    with psycopg.connect(
        dbname=params["dbname"],
        user=params.get("user"),
        host=params.get("host"),
        port=params.get("port"),
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [backend])

    status, body = _through_the_wsgi_handler(
        key, report(lecture, ranges=[[10, 20]], session=session, seq=2)
    )

    assert status == 200, body
    assert connection.connection.info.backend_pid != backend
    assert LectureProgress.objects.get(user=member, lecture=lecture).coverage == [[0.0, 20.0]]
