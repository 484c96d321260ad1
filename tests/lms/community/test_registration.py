"""Registration, cancellation and the waitlist with its timed offer."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from lms.community import selectors, services
from lms.community.models import RegistrationState
from lms.core.errors import AppError, Conflict
from tests.factories import UserFactory, WeeklyLectureFactory

pytestmark = pytest.mark.django_db


def offer_to_third(event, members):
    """Capacity 2, four members: the first cancels and the third is offered the place."""
    for m in members[:4]:
        services.registration_register(event=event, member=m)
    services.registration_cancel(event=event, member=members[0])
    return members[:4]


def test_a_member_registers_and_takes_a_place(event, member):
    registration = services.registration_register(event=event, member=member)
    assert registration.state == RegistrationState.REGISTERED
    assert selectors.places_taken(event) == 1


def test_double_registration_is_refused(event, member):
    services.registration_register(event=event, member=member)
    with pytest.raises(Conflict) as exc:
        services.registration_register(event=event, member=member)
    assert exc.value.code == "already_registered"
    assert selectors.places_taken(event) == 1


def test_beyond_capacity_a_member_goes_on_the_waitlist_in_order(event, members):
    a, b, c, d = members[:4]
    for m in (a, b, c, d):
        services.registration_register(event=event, member=m)
    states = {r.member_id: r.state for r in event.registrations.all()}
    assert states[a.pk] == states[b.pk] == RegistrationState.REGISTERED
    assert states[c.pk] == states[d.pk] == RegistrationState.WAITLISTED
    assert selectors.waitlist_position(event.registrations.get(member=d)) == 2
    assert selectors.places_taken(event) == 2


def test_registration_after_closing_is_refused(member):
    event = WeeklyLectureFactory(registration_closes_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(AppError) as exc:
        services.registration_register(event=event, member=member)
    assert exc.value.code == "registration_closed"


def test_registration_before_opening_is_refused(member):
    event = WeeklyLectureFactory(registration_opens_at=timezone.now() + timedelta(days=1))
    with pytest.raises(AppError) as exc:
        services.registration_register(event=event, member=member)
    assert exc.value.code == "registration_not_open"


def test_registration_for_a_past_lecture_is_refused(member):
    event = WeeklyLectureFactory(starts_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(AppError) as exc:
        services.registration_register(event=event, member=member)
    assert exc.value.code == "event_past"


def test_registration_for_a_cancelled_lecture_is_refused(event, member):
    services.event_cancel(event=event)
    with pytest.raises(AppError) as exc:
        services.registration_register(event=event, member=member)
    assert exc.value.code == "event_cancelled"


def test_cancelling_offers_the_place_to_the_first_on_the_waitlist_for_24_hours(event, members):
    _a, _b, c, d = offer_to_third(event, members)
    offered = event.registrations.get(member=c)
    assert offered.state == RegistrationState.OFFERED
    assert offered.offer_expires_at == pytest.approx(
        timezone.now() + timedelta(hours=24), abs=timedelta(seconds=5)
    )
    assert event.registrations.get(member=d).state == RegistrationState.WAITLISTED
    assert selectors.places_taken(event) == 2
    services.offer_accept(event=event, member=c)
    assert event.registrations.get(member=c).state == RegistrationState.REGISTERED


def test_an_offer_close_to_the_lecture_lasts_until_it_starts(members):
    event = WeeklyLectureFactory(capacity=1, starts_at=timezone.now() + timedelta(hours=5))
    a, b = members[:2]
    services.registration_register(event=event, member=a)
    services.registration_register(event=event, member=b)
    services.registration_cancel(event=event, member=a)
    assert event.registrations.get(member=b).offer_expires_at == event.starts_at


def test_an_expired_offer_passes_on_and_running_the_task_twice_changes_nothing(event, members):
    _a, _b, c, d = offer_to_third(event, members)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert services.offers_expire() == 1
        assert services.offers_expire() == 0
        assert event.registrations.get(member=c).state == RegistrationState.OFFER_EXPIRED
        assert event.registrations.get(member=d).state == RegistrationState.OFFERED
        assert selectors.places_taken(event) == 2


def test_taking_an_expired_offer_is_refused_and_the_place_passes_on(event, members):
    _a, _b, c, d = offer_to_third(event, members)
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        with pytest.raises(AppError) as exc:
            services.offer_accept(event=event, member=c)
        assert exc.value.code == "offer_expired"
        assert event.registrations.get(member=d).state == RegistrationState.OFFERED


def test_a_new_member_does_not_jump_the_waitlist_while_an_offer_is_open(event, members):
    a, b, c, d = members[:4]
    for m in (a, b, c):
        services.registration_register(event=event, member=m)
    services.registration_cancel(event=event, member=a)
    registration = services.registration_register(event=event, member=d)
    assert registration.state == RegistrationState.WAITLISTED


def test_cancel_then_register_again_goes_to_the_end_of_the_line(event, members):
    a, b, c = members[:3]
    for m in (a, b, c):
        services.registration_register(event=event, member=m)
    services.registration_cancel(event=event, member=c)
    again = services.registration_register(event=event, member=c)
    assert again.state == RegistrationState.WAITLISTED
    assert event.registrations.count() == 3


def test_cancelling_without_a_registration_is_refused(event, member):
    with pytest.raises(AppError) as exc:
        services.registration_cancel(event=event, member=member)
    assert exc.value.code == "not_registered"


def test_the_online_link_shows_only_to_registered_members_shortly_before_the_start(event, members):
    a, b, c = members[:3]
    for m in (a, b, c):
        services.registration_register(event=event, member=m)
    registered = event.registrations.get(member=a)
    waiting = event.registrations.get(member=c)
    assert selectors.online_link_for(event=event, registration=registered) == ""
    with time_machine.travel(event.starts_at - timedelta(minutes=20), tick=False):
        assert selectors.online_link_for(event=event, registration=registered) == event.online_url
        assert selectors.online_link_for(event=event, registration=waiting) == ""
        assert selectors.online_link_for(event=event, registration=None) == ""
    with time_machine.travel(event.ends_at + timedelta(minutes=1), tick=False):
        assert selectors.online_link_for(event=event, registration=registered) == ""


def test_attendance_is_marked_only_for_registered_members(event, members):
    a, b, c = members[:3]
    for m in (a, b, c):
        services.registration_register(event=event, member=m)
    marked = services.attendance_mark(registration=event.registrations.get(member=a), attended=True)
    assert marked.attended is True
    with pytest.raises(AppError):
        services.attendance_mark(registration=event.registrations.get(member=c), attended=True)


def test_an_unpublished_lecture_takes_no_registration(member):
    event = WeeklyLectureFactory(status="draft")
    with pytest.raises(AppError) as exc:
        services.registration_register(event=event, member=UserFactory())
    assert exc.value.code == "event_not_published"
