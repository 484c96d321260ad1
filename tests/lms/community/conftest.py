import pytest

from tests.factories import UserFactory, WeeklyLectureFactory


@pytest.fixture
def event(db):
    return WeeklyLectureFactory(capacity=2, online_url="https://meet.example.com/abc")


@pytest.fixture
def members(db):
    return [UserFactory() for _ in range(5)]
