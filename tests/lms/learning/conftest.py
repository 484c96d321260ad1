import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connections, transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from lms.catalog.models import Course, Lecture
from lms.learning.auth import heartbeat_key_make, recent_keys
from lms.learning.models import LectureProgress
from tests.factories import CourseFactory, LectureFactory

HEARTBEATS_URL = "/api/v1/progress/heartbeats"


@pytest.fixture(autouse=True)
def _fresh_throttle_counts() -> Iterator[None]:
    # Throttle counts live in CACHES["default"], a database table: a test's rollback (or
    # tests/conftest.py after a transactional test) empties it. Checked keys are remembered
    # in this process; user ids repeat across tests.
    recent_keys.clear()
    yield
    recent_keys.clear()


def page_key(member: Any, *, age_seconds: float = 600) -> str:
    """The lecture page's heartbeat key, as if the page was opened `age_seconds` ago: the
    first report of a page credits no more than the time since its key was issued."""
    with time_machine.travel(time.time() - age_seconds, tick=False):
        return heartbeat_key_make(member)


def watch_paced(
    user: Any,
    lecture: Lecture,
    start: float,
    end: float,
    *,
    until: datetime,
    session: uuid.UUID | None = None,
    seq: int = 1,
) -> Any:
    """Report [start, end] as an honest player does: one report per 30 s of wall time at the
    course's highest credit rate, the last one at `until`. Returns the last RecordResult."""
    from lms.learning import rules, services

    step = 30 * rules.course_policy(lecture.course).max_credit_rate
    pieces = []
    while start < end:
        pieces.append([start, min(end, start + step)])
        start += step
    session = session or uuid.uuid4()
    result = None
    for i, piece in enumerate(pieces):
        at = until - timedelta(seconds=30 * (len(pieces) - 1 - i))
        data = report(lecture, ranges=[piece], session=session, seq=seq + i, sent_at=at)
        [result] = services.progress_record(user=user, reports=[data], now=at)
    return result


def report(
    lecture: Lecture | int,
    *,
    ranges: list[list[float]] | None = None,
    position: float | None = None,
    rate: float = 1.0,
    session: uuid.UUID | str | None = None,
    seq: int = 1,
    sent_at: datetime | str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A heartbeat report as the player sends it."""
    ranges = [[0.0, 10.0]] if ranges is None else ranges
    data: dict[str, Any] = {
        "lecture": lecture if isinstance(lecture, int) else lecture.pk,
        "session": str(session or uuid.uuid4()),
        "seq": seq,
        "ranges": ranges,
        "position": position if position is not None else (ranges[-1][1] if ranges else 0.0),
        "rate": rate,
        "sent_at": sent_at if isinstance(sent_at, str) else (sent_at or timezone.now()).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def course(db: None) -> Course:
    return CourseFactory()


@pytest.fixture
def lecture(course: Course) -> Lecture:
    return LectureFactory(course=course, position=1, duration_seconds=600)


@pytest.fixture
def hrd_course(db: None) -> Course:
    return CourseFactory(completion_policy=Course.CompletionPolicy.HRD, completion_threshold=80)


@pytest.fixture
def token_client(member: Any) -> APIClient:
    client = APIClient()
    token = Token.objects.create(user=member)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@contextmanager
def progress_rows_locked_elsewhere(user: Any) -> Iterator[None]:
    """The member's progress rows locked by a transaction on another connection, on a thread
    of its own, until the block ends: on PostgreSQL the rows (SELECT ... FOR UPDATE), on
    SQLite the database's write lock (its transactions begin IMMEDIATE). Needs a
    transactional test, so that the other connection sees the rows."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(LectureProgress.objects.select_for_update().filter(user=user))
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(10), "the other transaction did not take its lock"
        yield
    finally:
        release.set()
        thread.join()
