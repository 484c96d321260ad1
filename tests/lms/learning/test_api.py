import json
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from lms.catalog.models import Status
from lms.core.throttling import WindowCount, WindowScopedRateThrottle
from lms.learning.models import HeartbeatSession, LectureProgress
from tests.factories import LectureFactory, UserFactory

from .conftest import HEARTBEATS_URL, progress_rows_locked_elsewhere, report

# The heartbeat limit's count in CACHES["default"], a database table here: its read, then
# the write (COUNT for the cull, SAVEPOINT, the row read, UPDATE or INSERT, RELEASE).
THROTTLE_QUERIES = 6

pytestmark = pytest.mark.django_db


def in_one_minute(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of the test in the same minute of the heartbeat limit's count (a test
    crossing a minute's edge would start a new count)."""
    monkeypatch.setattr(WindowCount, "timer", staticmethod(lambda: 1_800_000_000.0))


def post(client: Client, body: Any, **kwargs: Any) -> Any:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.post(HEARTBEATS_URL, raw, content_type="application/json", **kwargs)


def stored() -> list[dict[str, Any]]:
    rows = LectureProgress.objects.order_by("pk").values()
    return [*rows, *HeartbeatSession.objects.order_by("pk").values("pk", "user_id")]


def test_heartbeat_records_and_returns_the_lecture_progress(token_client, member, lecture):
    response = post(token_client, report(lecture, ranges=[[0, 30]], position=30))

    assert response.status_code == 200, response.content
    [data] = response.json()["lectures"]
    assert data["lecture"] == lecture.pk
    assert data["percent"] == 5
    assert data["coverage"] == [[0.0, 30.0]]
    assert data["resume_position"] == 30
    assert data["state"] == "in_progress"
    assert data["refused_seconds"] == 0
    assert LectureProgress.objects.get(user=member).credited_seconds == 30


def test_heartbeat_batch_is_accepted(token_client, course):
    lectures = [LectureFactory(course=course, position=i) for i in (1, 2)]
    session = uuid.uuid4()

    response = post(
        token_client,
        {
            "reports": [
                report(lectures[0], session=session, seq=1, ranges=[[0, 10]]),
                report(lectures[0], session=session, seq=2, ranges=[[10, 20]]),
                report(lectures[1], ranges=[[0, 5]]),
            ]
        },
    )

    assert response.status_code == 200, response.content
    assert [x["credited_seconds"] for x in response.json()["lectures"]] == [20, 5]


def test_heartbeat_with_a_session_and_csrf_token(member, lecture):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    refused = post(client, report(lecture))
    client.get("/")  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = post(client, report(lecture), HTTP_X_CSRFTOKEN=token)

    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert accepted.status_code == 200, accepted.content


def test_heartbeat_needs_a_signed_in_member(lecture):
    response = post(APIClient(), report(lecture))

    assert response.status_code in (401, 403)
    assert response.json()["code"] == "not_authenticated"
    assert not LectureProgress.objects.exists()


def test_heartbeat_with_an_unknown_or_inactive_token_is_refused(member, lecture):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    unknown = post(client, report(lecture))
    inactive_member = UserFactory(is_active=False)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=inactive_member)}")
    inactive = post(client, report(lecture))

    assert (unknown.status_code, unknown.json()["code"]) == (403, "authentication_failed")
    assert (inactive.status_code, inactive.json()["code"]) == (403, "authentication_failed")
    assert not LectureProgress.objects.exists()


def _future() -> str:
    return (timezone.now() + timedelta(minutes=10)).isoformat()


# (what, body, status, code): a str or a dict with "reports" is sent as is; any other dict
# replaces fields of a valid report ("LECTURE", "DRAFT" and "FUTURE" are filled in).
BAD_BODIES: list[tuple[str, Any, int, str]] = [
    ("malformed JSON", '{"lecture": 1, "ranges": [[0, 1]', 400, "parse_error"),
    ("NaN", '{"lecture": 1, "ranges": [[0, NaN]]}', 400, "parse_error"),
    ("Infinity", '{"lecture": 1, "position": Infinity}', 400, "parse_error"),
    ("a list body", "[]", 400, "invalid_report"),
    ("reports not a list", {"reports": {"a": 1}}, 400, "invalid_report"),
    ("no reports", {"reports": []}, 400, "no_reports"),
    ("too many reports", {"reports": [{"x": 1}] * 51}, 400, "too_many_reports"),
    ("missing fields", {"reports": [{"lecture": "LECTURE"}]}, 400, "invalid_report"),
    ("inverted range", {"ranges": [[20, 10]]}, 400, "invalid_range"),
    ("negative range", {"ranges": [[-5, 10]]}, 400, "invalid_range"),
    ("range past the end", {"ranges": [[590, 700]]}, 400, "range_out_of_bounds"),
    ("position past the end", {"position": 900}, 400, "range_out_of_bounds"),
    ("too many ranges", {"ranges": [[i, i + 0.5] for i in range(501)]}, 400, "too_many_ranges"),
    ("range not a pair", {"ranges": [[1, 2, 3]]}, 400, "invalid_report"),
    ("ranges not a list", {"ranges": "0-10"}, 400, "invalid_report"),
    ("string number", {"ranges": [["0", "10"]]}, 400, "invalid_report"),
    ("NaN as a string", {"rate": "NaN"}, 400, "invalid_report"),
    ("huge number", {"position": 1e300}, 400, "invalid_report"),
    ("boolean position", {"position": True}, 400, "invalid_report"),
    ("lecture as text", {"lecture": "abc"}, 400, "invalid_report"),
    ("session not a UUID", {"session": "my-session"}, 400, "invalid_report"),
    ("negative seq", {"seq": -1}, 400, "invalid_report"),
    ("fractional seq", {"seq": 1.5}, 400, "invalid_report"),
    ("rate of 100x", {"rate": 100}, 400, "invalid_rate"),
    ("rate of 0", {"rate": 0}, 400, "invalid_rate"),
    ("dated in the future", {"sent_at": "FUTURE"}, 400, "future_report"),
    ("date without a zone", {"sent_at": "2026-01-01T10:00:00"}, 400, "invalid_report"),
    ("date not a date", {"sent_at": "yesterday"}, 400, "invalid_report"),
    ("lecture that does not exist", {"lecture": 999_999}, 404, "lecture_not_found"),
    ("draft lecture", {"lecture": "DRAFT"}, 404, "lecture_not_found"),
]


def _fill(value: Any, names: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return names.get(value, value)
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_bad_heartbeat_is_refused_with_a_message_and_stores_nothing(
    token_client, lecture, body, status, code
):
    # Given some stored progress
    assert post(token_client, report(lecture, ranges=[[0, 20]])).status_code == 200
    before = stored()
    draft = LectureFactory(course=lecture.course, position=2, status=Status.DRAFT)
    names = {"LECTURE": lecture.pk, "DRAFT": draft.pk, "FUTURE": _future()}
    if isinstance(body, dict) and "reports" not in body:
        body = {**report(lecture, ranges=[[20, 30]]), **body}
    body = _fill(body, names)

    # When a bad report is sent
    response = post(token_client, body)

    # Then it is refused with a message and a code, and nothing changed
    assert response.status_code == status, response.content
    data = response.json()
    assert data["code"] == code
    assert isinstance(data["message"], str)
    assert len(data["message"]) > 5
    assert stored() == before


def test_a_bad_report_in_a_batch_refuses_the_whole_batch(token_client, course):
    first = LectureFactory(course=course, position=1)
    second = LectureFactory(course=course, position=2)

    response = post(
        token_client,
        {"reports": [report(first), report(second, ranges=[[10, 5]])]},
    )

    assert response.status_code == 400
    assert response.json()["extra"]["index"] == 1
    assert not LectureProgress.objects.exists()


def test_someone_elses_session_is_refused(token_client, lecture):
    session = uuid.uuid4()
    intruder = APIClient()
    intruder.force_authenticate(UserFactory())
    assert post(intruder, report(lecture, session=session)).status_code == 200
    before = stored()

    response = post(token_client, report(lecture, session=session, seq=2))

    assert response.status_code == 403
    assert response.json()["code"] == "session_forbidden"
    assert stored() == before


def test_form_encoded_heartbeat_is_refused(token_client, lecture):
    response = token_client.post(HEARTBEATS_URL, {"lecture": lecture.pk})

    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


def test_oversized_body_is_refused(token_client, lecture):
    body = json.dumps({**report(lecture), "padding": "x" * 600_000})

    response = post(token_client, body)

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert not LectureProgress.objects.exists()


def test_heartbeats_are_rate_limited_per_member(token_client, lecture, monkeypatch):
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "heartbeats", "2/min")
    in_one_minute(monkeypatch)
    session = str(uuid.uuid4())

    statuses = [
        post(token_client, report(lecture, session=session, seq=i)).status_code for i in range(3)
    ]

    assert statuses == [200, 200, 429]


def test_heartbeat_runs_few_queries(token_client, lecture, django_assert_max_num_queries):
    session = uuid.uuid4()
    # The first report of a page load creates the rows and claims the session, through the
    # ORM: token, the lecture with its course, the guarded read that finds no row; then in a
    # transaction (the test's SAVEPOINT and RELEASE; BEGIN and COMMIT outside a test) the
    # member's credit clock locked, the progress rows locked (none), the missing progress and
    # course progress rows inserted unless another request made them, then locked; the
    # session inserted unless it exists, then read; two UPDATEs (row, clock).
    with django_assert_max_num_queries(14 + THROTTLE_QUERIES):
        assert post(token_client, report(lecture, session=session, seq=1)).status_code == 200

    # Token; the progress row read with the member's credit clock (the lecture's rules are
    # remembered); then in one transaction (the test's SAVEPOINT and RELEASE) the clock and
    # the row, each UPDATE unless changed meanwhile. No lock.
    with django_assert_max_num_queries(6 + THROTTLE_QUERIES):
        response = post(token_client, report(lecture, session=session, seq=2, ranges=[[10, 20]]))
    assert response.status_code == 200


def test_heartbeat_under_a_session_runs_few_queries(
    member_client, lecture, django_assert_max_num_queries
):
    session = uuid.uuid4()
    assert post(member_client, report(lecture, session=session, seq=1)).status_code == 200

    # Session, user, progress row with the credit clock, SAVEPOINT, two UPDATEs unless
    # changed meanwhile, RELEASE.
    with django_assert_max_num_queries(7 + THROTTLE_QUERIES):
        response = post(member_client, report(lecture, session=session, seq=2))
    assert response.status_code == 200


def test_completing_heartbeat_stays_within_a_small_query_budget(
    token_client, member, course, django_assert_max_num_queries
):
    lecture = LectureFactory(course=course, position=1, duration_seconds=20)
    session = uuid.uuid4()
    assert post(token_client, report(lecture, session=session, ranges=[[0, 5]])).status_code == 200

    # Token, the unlocked read (the report completes: locked path), the locked read, the course
    # progress row locked, UPDATE, completion counts, course progress UPDATE, the bundles
    # holding the course, the credit clock read, locked and moved, and the test's SAVEPOINT
    # and RELEASE.
    with django_assert_max_num_queries(13 + THROTTLE_QUERIES):
        response = post(token_client, report(lecture, session=session, seq=2, ranges=[[5, 20]]))

    assert response.json()["lectures"][0]["completed"] is True


def test_lecture_progress_read(token_client, lecture):
    post(token_client, report(lecture, ranges=[[0, 40]], position=40))

    response = token_client.get(f"/api/v1/progress/lectures/{lecture.pk}")

    assert response.status_code == 200
    data = response.json()
    assert (data["percent"], data["resume_position"], data["completed"]) == (6, 40, False)


def test_lecture_progress_of_a_draft_is_not_found(token_client, course):
    draft = LectureFactory(course=course, position=1, status=Status.DRAFT)

    response = token_client.get(f"/api/v1/progress/lectures/{draft.pk}")

    assert response.status_code == 404
    assert response.json()["code"] == "lecture_not_found"


def test_course_progress_read(token_client, course, django_assert_max_num_queries):
    lectures = [LectureFactory(course=course, position=i, duration_seconds=20) for i in (1, 2, 3)]
    post(token_client, report(lectures[0], ranges=[[0, 20]]))
    post(token_client, report(lectures[1], ranges=[[0, 5]]))

    with django_assert_max_num_queries(5):
        response = token_client.get(f"/api/v1/progress/courses/{course.pk}")

    assert response.status_code == 200
    data = response.json()
    assert (data["percent"], data["completed_lectures"], data["total_lectures"]) == (33, 1, 3)
    assert [x["state"] for x in data["lectures"]] == ["completed", "in_progress", "not_started"]
    assert [x["percent"] for x in data["lectures"]] == [100, 25, 0]


def test_api_schema_documents_the_progress_endpoints(client):
    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    assert "post" in paths["/api/v1/progress/heartbeats"]
    assert "get" in paths["/api/v1/progress/lectures/{lecture_id}"]
    assert "get" in paths["/api/v1/progress/courses/{course_id}"]
    components = schema["components"]["schemas"]
    assert {"HeartbeatResponse", "CourseProgress"} <= set(components)
    request = paths["/api/v1/progress/heartbeats"]["post"]["requestBody"]["content"]
    one_report = request["application/json"]["schema"]["oneOf"][0]
    assert "sent_at" in one_report["properties"]


def test_with_a_redis_throttle_cache_the_limit_is_shared_by_every_web_process(
    token_client, member, lecture, settings, monkeypatch
):
    """CACHE_URL: the counts live in Redis, so a member's heartbeats to two web processes
    count against one limit (the second process is a cache client of its own)."""
    from types import SimpleNamespace

    from django.core.cache.backends.redis import RedisCache

    from lms.learning.api import HeartbeatApi

    location = "redis://127.0.0.1:6379/15"
    prefix = f"lms-test-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        },
    }
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "heartbeats", "2/min")
    in_one_minute(monkeypatch)
    session = str(uuid.uuid4())
    assert post(token_client, report(lecture, session=session, seq=1)).status_code == 200

    other_process = WindowScopedRateThrottle()
    other_process.cache = RedisCache(location, {"KEY_PREFIX": prefix})
    request = SimpleNamespace(user=member, META={})
    assert other_process.allow_request(request, HeartbeatApi)  # type: ignore[arg-type]

    response = post(token_client, report(lecture, session=session, seq=2))
    assert response.status_code == 429  # the other process's heartbeat counted here
    assert not other_process.allow_request(request, HeartbeatApi)  # type: ignore[arg-type]
    # The counts expire with their minute.


def test_the_process_throttle_counts_expire_and_stay_bounded():
    """Counts kept in a process's memory expire with their window, and a full store drops
    expired entries, then the oldest half."""
    import time

    from lms.core.expiring import ExpiringMap

    counts = ExpiringMap(max_entries=4)
    counts.set("member:1", [1.0], 0.05)
    assert counts.get("member:1", []) == [1.0]
    time.sleep(0.06)
    assert counts.get("member:1", []) == []

    for i in range(4):
        counts.set(f"member:{i}", [i], 60 + i)
    counts.set("member:new", ["new"], 120)

    kept = [k for k in (f"member:{i}" for i in range(4)) if counts.get(k) is not None]
    assert kept == ["member:2", "member:3"]  # the two that expire last
    assert counts.get("member:new") == ["new"]


@pytest.mark.django_db(transaction=True)
def test_a_heartbeat_the_database_cannot_take_gets_503_and_nothing_is_stored(member, lecture):
    """Through the DRF view (a session cookie): a database error that is no fault of the
    report (here a lock waited on past the connection's limit) is a 503 with its reason and
    Retry-After, so the player keeps the report and sends it again, not a 500."""
    client = Client()
    client.force_login(member)
    session = uuid.uuid4()
    assert post(client, report(lecture, session=session, ranges=[[0, 10]])).status_code == 200
    limit, unlimited = {
        "postgresql": ("SET statement_timeout = 300", "SET statement_timeout = 0"),
        "sqlite": ("PRAGMA busy_timeout = 300", "PRAGMA busy_timeout = 20000"),
    }[connection.vendor]
    with connection.cursor() as cursor:
        cursor.execute(limit)
    try:
        with progress_rows_locked_elsewhere(member):
            refused = post(client, report(lecture, session=session, seq=2, ranges=[[10, 20]]))
    finally:
        with connection.cursor() as cursor:
            cursor.execute(unlimited)

    assert refused.status_code == 503
    assert refused["Retry-After"] == "10"
    assert refused.json()["code"] == "progress_unavailable"
    assert LectureProgress.objects.get(user=member).covered_seconds == 10
    again = post(client, report(lecture, session=session, seq=2, ranges=[[10, 20]]))
    assert again.status_code == 200
    assert LectureProgress.objects.get(user=member).covered_seconds == 20
