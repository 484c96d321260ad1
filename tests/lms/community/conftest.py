import pytest

from tests.factories import UserFactory, WeeklyLectureFactory


@pytest.fixture
def eager_tasks():
    """Tasks enqueued after commit run at once in this process (outgoing mail: locmem)."""
    from lms.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def event(db):
    return WeeklyLectureFactory(capacity=2, online_url="https://meet.example.com/abc")


@pytest.fixture
def members(db):
    return [UserFactory() for _ in range(5)]
