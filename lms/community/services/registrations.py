"""Registration, cancellation and the waitlist with its timed offer.

Every write that counts places locks the event row first (`_locked_event`), so two members
cancelling, registering or taking an offer at once are served one after the other and the
event never holds more than its capacity nor offers one freed place twice.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.core.errors import AppError, Conflict

from .. import notifications
from ..models import (
    HOLDS_PLACE,
    Registration,
    RegistrationState,
    WeeklyLecture,
)
from .events import _locked_event


def _check_open(event: WeeklyLecture, now: datetime) -> None:
    if event.is_cancelled:
        raise AppError(_("This lecture has been cancelled."), code="event_cancelled")
    if not event.is_visible:
        raise AppError(_("This lecture is not open yet."), code="event_not_published")
    if event.starts_at <= now:
        raise AppError(_("This lecture has already started."), code="event_past")
    if event.registration_opens_at and now < event.registration_opens_at:
        raise AppError(
            _("Registration has not opened yet."),
            code="registration_not_open",
            extra={"opens_at": event.registration_opens_at.isoformat()},
        )
    if now >= event.closes_at:
        raise AppError(_("Registration is closed."), code="registration_closed")


def _places_taken(event: WeeklyLecture) -> int:
    return event.registrations.filter(state__in=HOLDS_PLACE).count()


def _has_room(event: WeeklyLecture) -> bool:
    return event.capacity is None or _places_taken(event) < event.capacity


@transaction.atomic
def registration_register(*, event: WeeklyLecture, member: User) -> Registration:
    """Register `member`, or put them on the waitlist when the event is full.

    Refuses a cancelled, unpublished, started or closed event and a second registration.
    """
    now = timezone.now()
    event = _locked_event(event)
    _check_open(event, now)
    registration = Registration.objects.filter(event=event, member=member).first()
    if registration is not None and registration.state in (*HOLDS_PLACE, "waitlisted"):
        raise Conflict(
            _("You have already registered for this lecture.")
            if registration.state == RegistrationState.REGISTERED
            else _("You are already on the waitlist for this lecture.")
            if registration.state == RegistrationState.WAITLISTED
            else _("A place is already offered to you: confirm it on the lecture page."),
            code="already_registered",
        )
    # Someone already waiting keeps their turn even if a place is free for a moment.
    waiting = event.registrations.filter(state=RegistrationState.WAITLISTED).exists()
    state = (
        RegistrationState.REGISTERED
        if _has_room(event) and not waiting
        else RegistrationState.WAITLISTED
    )
    if registration is None:
        registration = Registration(event=event, member=member)
    registration.state = state
    registration.queued_at = now
    registration.offer_expires_at = None
    registration.save()
    notifications.notify(
        member=member,
        kind="registration_confirmed" if state == "registered" else "waitlisted",
        event=event,
        dedupe=f"registration:{registration.pk}:{now.timestamp()}",
    )
    return registration


@transaction.atomic
def registration_cancel(*, event: WeeklyLecture, member: User) -> Registration:
    """Give up a place, an offer or a waitlist position; a freed place goes to the next in line."""
    now = timezone.now()
    event = _locked_event(event)
    if event.starts_at <= now:
        raise AppError(_("This lecture has already started."), code="event_past")
    registration = Registration.objects.filter(
        event=event, member=member, state__in=(*HOLDS_PLACE, RegistrationState.WAITLISTED)
    ).first()
    if registration is None:
        raise AppError(_("You are not registered for this lecture."), code="not_registered")
    registration.state = RegistrationState.CANCELLED
    registration.offer_expires_at = None
    registration.save(update_fields=["state", "offer_expires_at", "updated_at"])
    _offer_free_places(event, now)
    return registration


def _offer_free_places(event: WeeklyLecture, now: datetime) -> list[Registration]:
    """Offer every free place to the next waitlisted member. The caller holds the event lock."""
    if event.is_cancelled or event.starts_at <= now:
        return []
    offered: list[Registration] = []
    expires = min(now + timedelta(hours=settings.EVENT_OFFER_HOURS), event.starts_at)
    while _has_room(event):
        nxt = (
            event.registrations.filter(state=RegistrationState.WAITLISTED)
            .order_by("queued_at", "pk")
            .first()
        )
        if nxt is None:
            break
        nxt.state = RegistrationState.OFFERED
        nxt.offer_expires_at = expires
        nxt.save(update_fields=["state", "offer_expires_at", "updated_at"])
        notifications.notify(
            member=nxt.member,
            kind="waitlist_offer",
            event=event,
            dedupe=f"offer:{nxt.pk}:{expires.timestamp()}",
            until=expires,
        )
        offered.append(nxt)
    return offered


def offer_accept(*, event: WeeklyLecture, member: User) -> Registration:
    """Take the place offered to `member`, before the offer expires.

    An offer found expired is passed on (and that is kept) before the refusal is raised.
    """
    with transaction.atomic():
        registration, expired = _offer_accept_locked(event=event, member=member)
    if expired:
        raise AppError(
            _("The offer has expired and the place went to the next member on the waitlist."),
            code="offer_expired",
        )
    return registration


def _offer_accept_locked(*, event: WeeklyLecture, member: User) -> tuple[Registration, bool]:
    now = timezone.now()
    event = _locked_event(event)
    registration = Registration.objects.filter(event=event, member=member).first()
    if registration is None or registration.state != RegistrationState.OFFERED:
        raise AppError(_("No place is offered to you for this lecture."), code="no_offer")
    if registration.offer_expires_at and registration.offer_expires_at <= now:
        _expire(registration)
        _offer_free_places(event, now)
        return registration, True
    registration.state = RegistrationState.REGISTERED
    registration.offer_expires_at = None
    registration.save(update_fields=["state", "offer_expires_at", "updated_at"])
    notifications.notify(
        member=member,
        kind="registration_confirmed",
        event=event,
        dedupe=f"registration:{registration.pk}:{now.timestamp()}",
    )
    return registration, False


def _expire(registration: Registration) -> None:
    registration.state = RegistrationState.OFFER_EXPIRED
    registration.save(update_fields=["state", "updated_at"])


def offers_expire() -> int:
    """Pass on every expired offer to the next member (the periodic task). Safe to run twice."""
    now = timezone.now()
    expired = 0
    event_ids = (
        Registration.objects.filter(state=RegistrationState.OFFERED, offer_expires_at__lte=now)
        .values_list("event_id", flat=True)
        .distinct()
    )
    for event_id in sorted(set(event_ids)):
        with transaction.atomic():
            event = WeeklyLecture.objects.select_for_update().get(pk=event_id)
            for registration in event.registrations.filter(
                state=RegistrationState.OFFERED, offer_expires_at__lte=now
            ):
                _expire(registration)
                expired += 1
            _offer_free_places(event, now)
    return expired


def attendance_mark(*, registration: Registration, attended: bool) -> Registration:
    if registration.state != RegistrationState.REGISTERED:
        raise AppError(
            _("Only registered members can be marked as attending."), code="not_registered"
        )
    registration.attended = attended
    registration.save(update_fields=["attended", "updated_at"])
    return registration
