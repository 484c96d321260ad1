"""Races for places with real threads and real row locks (PostgreSQL)."""

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from lms.community import selectors, services
from lms.community.models import Registration, RegistrationState
from lms.community.services import registrations
from lms.core.errors import AppError
from tests.factories import UserFactory, WeeklyLectureFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite serialises writers, so two threads cannot race there",
    ),
]


def run_at_once(*jobs: Callable[[], Any]) -> list[Any]:
    """Run `jobs` in threads released together; a refusal (`AppError`) is returned as a result,
    anything else fails the test."""
    barrier = threading.Barrier(len(jobs))

    def released(job: Callable[[], Any]) -> Any:
        barrier.wait(timeout=10)
        try:
            return job()
        except AppError as exc:
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(released, jobs, timeout=30))


@pytest.fixture
def slow_offer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Widen the window between counting the free places and offering one, so that without
    the event lock both cancellations would surely offer the same place."""
    has_room = registrations._has_room

    def slowly(event: Any) -> bool:
        answer = has_room(event)
        threading.Event().wait(0.2)
        return answer

    monkeypatch.setattr(registrations, "_has_room", slowly)


@pytest.mark.usefixtures("slow_offer")
def test_two_cancellations_and_a_newcomer_at_once_offer_each_place_to_the_next_in_line():
    event = WeeklyLectureFactory(capacity=2)
    a, b, waiting_1, waiting_2 = (UserFactory() for _ in range(4))
    for m in (a, b, waiting_1, waiting_2):
        services.registration_register(event=event, member=m)
    c = UserFactory()
    run_at_once(
        lambda: services.registration_cancel(event=event, member=a),
        lambda: services.registration_cancel(event=event, member=b),
        lambda: services.registration_register(event=event, member=c),
    )
    states = dict(Registration.objects.filter(event=event).values_list("member_id", "state"))
    assert states[waiting_1.pk] == RegistrationState.OFFERED
    assert states[waiting_2.pk] == RegistrationState.OFFERED
    assert states[c.pk] == RegistrationState.WAITLISTED
    assert selectors.places_taken(event) == 2


@pytest.mark.usefixtures("slow_offer")
def test_two_cancellations_racing_for_one_waitlist_place_give_it_to_exactly_one_member():
    event = WeeklyLectureFactory(capacity=2)
    a, b, waiting = (UserFactory() for _ in range(3))
    for m in (a, b, waiting):
        services.registration_register(event=event, member=m)
    run_at_once(
        lambda: services.registration_cancel(event=event, member=a),
        lambda: services.registration_cancel(event=event, member=b),
    )
    offered = Registration.objects.filter(event=event, state=RegistrationState.OFFERED)
    assert list(offered.values_list("member_id", flat=True)) == [waiting.pk]
    assert selectors.places_taken(event) == 1
    assert waiting.notifications.filter(kind="waitlist_offer").count() == 1


@pytest.mark.usefixtures("slow_offer")
def test_one_freed_place_with_two_members_waiting_goes_to_exactly_the_first():
    event = WeeklyLectureFactory(capacity=1)
    a, first, second = (UserFactory() for _ in range(3))
    for m in (a, first, second):
        services.registration_register(event=event, member=m)
    late = UserFactory()
    run_at_once(
        lambda: services.registration_cancel(event=event, member=a),
        lambda: services.registration_register(event=event, member=late),
    )
    states = dict(Registration.objects.filter(event=event).values_list("member_id", "state"))
    assert states[first.pk] == RegistrationState.OFFERED
    assert states[second.pk] == states[late.pk] == RegistrationState.WAITLISTED
    assert selectors.places_taken(event) == 1


def test_the_same_member_registering_twice_at_once_gets_one_place_and_one_refusal():
    event = WeeklyLectureFactory(capacity=5)
    member = UserFactory()
    results = run_at_once(
        lambda: services.registration_register(event=event, member=member),
        lambda: services.registration_register(event=event, member=member),
    )
    assert sum(isinstance(r, Registration) for r in results) == 1
    (refusal,) = [r for r in results if isinstance(r, AppError)]
    assert refusal.code == "already_registered"
    assert selectors.places_taken(event) == 1


def test_many_members_registering_at_once_never_exceed_the_capacity():
    event = WeeklyLectureFactory(capacity=3)
    people = [UserFactory() for _ in range(8)]
    run_at_once(
        *[(lambda m=m: services.registration_register(event=event, member=m)) for m in people]
    )
    assert selectors.places_taken(event) == 3
    assert event.registrations.filter(state=RegistrationState.WAITLISTED).count() == 5
