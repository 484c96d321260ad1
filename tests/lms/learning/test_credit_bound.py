"""Issue 18: a scripted client that plays nothing completes a course no sooner than an honest
member watching each lecture to the threshold at the course's highest rate, one after another.

Every attack drives the real endpoint with the lecture page's key, under a controlled clock
(time-machine moves the server's clock and the key's signing time together)."""

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from rest_framework.test import APIClient

from lms.catalog.models import Course, Lecture
from lms.learning import rules
from lms.learning.auth import heartbeat_key_make
from lms.learning.models import CourseProgress, LectureProgress
from tests.factories import CourseFactory, LectureFactory

from .conftest import HEARTBEATS_URL, report

START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def now() -> datetime:
    return datetime.now(tz=UTC)


def device(member: Any) -> APIClient:
    """A player: the lecture page's key, signed now."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Heartbeat {heartbeat_key_make(member)}")
    return client


def honest_seconds(course: Course) -> float:
    """Wall time an honest member needs: each lecture to the threshold at the highest rate."""
    course_rules = rules.course_policy(course)
    return sum(
        lecture.duration_seconds * course_rules.threshold / 100 / course_rules.max_credit_rate
        for lecture in course.lectures.all()
    )


def course_done(member: Any, course: Course) -> bool:
    return CourseProgress.objects.filter(
        user=member, course=course, completed_at__isnull=False
    ).exists()


def attack(
    clock: Any,
    member: Any,
    course: Course,
    *,
    every: float,
    send: Callable[[int], None],
    give_up_after: float,
) -> float:
    """Call `send(tick)` every `every` seconds until the course is complete; the seconds it
    took."""
    tick = 0
    while not course_done(member, course):
        elapsed = tick * every
        assert elapsed <= give_up_after, "the course never completed"
        send(tick)
        tick += 1
        clock.shift(every)
    return (now() - START).total_seconds() - every


def whole(lecture: Lecture, **kwargs: Any) -> dict[str, Any]:
    return report(lecture, ranges=[[0, lecture.duration_seconds]], sent_at=now(), **kwargs)


def post(client: APIClient, reports: list[dict[str, Any]]) -> Any:
    response = client.post(HEARTBEATS_URL, {"reports": reports}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def make_course(lectures: int, seconds: int, **kwargs: Any) -> Course:
    course = CourseFactory(**kwargs)
    for i in range(1, lectures + 1):
        LectureFactory(course=course, position=i, duration_seconds=seconds)
    return course


def test_one_request_for_the_whole_course_completes_nothing(clock, member):
    course = make_course(30, 20)
    player = device(member)
    clock.shift(1)

    body = post(player, [whole(lecture) for lecture in course.lectures.all()])

    # One second since the page's key: two seconds of media at 2x, and the rest refused.
    credited = sum(lecture["credited_seconds"] for lecture in body["lectures"])
    refused = sum(lecture["refused_seconds"] for lecture in body["lectures"])
    assert credited == pytest.approx(2)
    assert refused == pytest.approx(600 - 2)
    assert not course_done(member, course)
    assert not LectureProgress.objects.filter(user=member, completed_at__isnull=False).exists()


def test_the_whole_course_every_10_seconds_completes_no_sooner_than_honest_watching(clock, member):
    course = make_course(30, 20)
    player = device(member)
    lectures = list(course.lectures.all())

    def send(tick: int) -> None:
        post(player, [whole(lecture, seq=tick) for lecture in lectures])

    taken = attack(clock, member, course, every=10, send=send, give_up_after=3600)

    assert taken >= honest_seconds(course)  # 30 x 18 s / 2 = 270 s


@pytest.mark.parametrize("hrd", [False, True], ids=["community", "hrd"])
def test_lectures_reported_in_parallel_share_one_budget(clock, member, hrd):
    kwargs = {"completion_policy": Course.CompletionPolicy.HRD} if hrd else {}
    course = make_course(4, 1800, **kwargs)
    player = device(member)
    sessions = {lecture.pk: uuid.uuid4() for lecture in course.lectures.all()}

    def send(tick: int) -> None:
        post(
            player,
            [
                whole(lecture, session=sessions[lecture.pk], seq=tick)
                for lecture in course.lectures.all()
            ],
        )

    taken = attack(clock, member, course, every=10, send=send, give_up_after=4 * 3600)

    assert taken >= honest_seconds(course)


def test_idle_then_burst_credits_only_the_carry_over(clock, member, course):
    lecture = LectureFactory(course=course, position=1, duration_seconds=600)
    player = device(member)
    clock.shift(12)
    post(player, [report(lecture, ranges=[[0, 12]], sent_at=now())])

    clock.shift(300)
    [result] = post(player, [whole(lecture, seq=2)])["lectures"]

    # 12 s watched, then one carry-over of wall time at 2x: 12 + 120 x 2.
    assert result["credited_seconds"] == pytest.approx(12 + 120 * 2)
    assert result["refused_seconds"] == pytest.approx(600 - 12 - 240)
    assert not result["completed"]


def test_two_devices_share_the_members_budget(clock, member):
    course = make_course(2, 600)
    first, second = list(course.lectures.all())
    phone, laptop = device(member), device(member)

    def send(tick: int) -> None:
        post(phone, [whole(first, seq=tick)])
        post(laptop, [whole(second, seq=tick)])

    taken = attack(clock, member, course, every=10, send=send, give_up_after=3600)

    assert taken >= honest_seconds(course)  # 2 x 540 s / 2 = 540 s


def test_replayed_reports_credit_nothing_more(clock, member, course):
    lecture = LectureFactory(course=course, position=1, duration_seconds=600)
    player = device(member)
    clock.shift(30)
    played = report(lecture, ranges=[[0, 60]], sent_at=now())
    post(player, [played])

    clock.shift(30)
    # The same report thirty times, and again with other sequence numbers.
    body = post(player, [played] * 30)
    body = post(player, [{**played, "seq": seq} for seq in range(2, 32)])

    [result] = body["lectures"]
    assert result["credited_seconds"] == 60
    assert result["refused_seconds"] == 0
    # The wall time the replays did not use is still there for real watching.
    [result] = post(player, [report(lecture, ranges=[[60, 120]], seq=40, sent_at=now())])[
        "lectures"
    ]
    assert result["credited_seconds"] == 120
