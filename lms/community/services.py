"""Writes for special lectures: planning, exceptions, registration and the waitlist.

Every write that counts places locks the event row first (`_locked_event`), so two members
cancelling, registering or taking an offer at once are served one after the other and the
event never holds more than its capacity nor offers one freed place twice.
"""

from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Lecture, Status
from lms.core.errors import AppError, Conflict

from .models import (
    HOLDS_PLACE,
    Announcement,
    CalendarFeed,
    EventSeries,
    EventState,
    Registration,
    RegistrationState,
    WeeklyLecture,
)


def _locked_event(event: WeeklyLecture) -> WeeklyLecture:
    return WeeklyLecture.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def series_plan(*, series: EventSeries, until: date) -> list[WeeklyLecture]:
    """Make the weeks of `series` up to `until` (or its last date) that do not exist yet.

    Safe to run again: a week already made, skipped or moved is left as it is.
    """
    tz = timezone.get_default_timezone()
    day = series.first_date + timedelta(days=(series.weekday - series.first_date.weekday()) % 7)
    end = min(until, series.last_date) if series.last_date else until
    existing = set(series.events.values_list("series_date", flat=True))
    made: list[WeeklyLecture] = []
    now = timezone.now()
    while day <= end:
        if day not in existing:
            event = WeeklyLecture(
                series=series,
                series_date=day,
                slug=f"series-{series.pk}-{day:%Y%m%d}",
                title=series.title,
                title_en=series.title_en,
                category=series.category,
                starts_at=datetime.combine(day, series.start_time, tzinfo=tz),
                duration_minutes=series.duration_minutes,
                venue=series.venue,
                online_url=series.online_url,
                capacity=series.capacity,
                fee_note=series.fee_note,
                status=Status.PUBLISHED,
                publish_at=now,
            )
            event.full_clean()
            event.save()
            made.append(event)
        day += timedelta(weeks=1)
    return made


@transaction.atomic
def event_move(*, event: WeeklyLecture, starts_at: datetime) -> WeeklyLecture:
    """Move one lecture (a week of a series or a one-off); registration times move with it."""
    event = _locked_event(event)
    if event.is_cancelled:
        raise AppError(_("A cancelled lecture cannot be moved."), code="event_cancelled")
    delta = starts_at - event.starts_at
    if not delta:
        return event
    event.moved_from = event.moved_from or event.starts_at
    event.starts_at = starts_at
    for name in ("registration_opens_at", "registration_closes_at"):
        if getattr(event, name) is not None:
            setattr(event, name, getattr(event, name) + delta)
    event.sequence = F("sequence") + 1
    event.save(
        update_fields=[
            "moved_from",
            "starts_at",
            "registration_opens_at",
            "registration_closes_at",
            "sequence",
            "updated_at",
        ]
    )
    event.refresh_from_db()
    _tell_registrants(event, kind="event_moved")
    return event


@transaction.atomic
def event_cancel(*, event: WeeklyLecture) -> WeeklyLecture:
    """Cancel one lecture (a skipped week of a series, or a one-off called off)."""
    event = _locked_event(event)
    if event.is_cancelled:
        return event
    event.state = EventState.CANCELLED
    event.sequence = F("sequence") + 1
    event.save(update_fields=["state", "sequence", "updated_at"])
    event.refresh_from_db()
    _tell_registrants(event, kind="event_cancelled")
    return event


def _tell_registrants(event: WeeklyLecture, *, kind: str) -> None:
    from . import notifications

    members = User.objects.filter(
        event_registrations__event=event, event_registrations__state__in=HOLDS_PLACE
    )
    for member in members:
        notifications.notify(
            member=member, kind=kind, event=event, dedupe=f"{kind}:{event.pk}:{event.sequence}"
        )


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
    from . import notifications

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
    from . import notifications

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
    from . import notifications

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


def calendar_feed_get_or_create(*, member: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(member=member)
    return feed


def calendar_feed_reset(*, member: User) -> CalendarFeed:
    """A new secret address; the old one answers 404 from now on."""
    from .models import _new_feed_token

    feed = calendar_feed_get_or_create(member=member)
    feed.token = _new_feed_token()
    feed.reset_at = timezone.now()
    feed.save(update_fields=["token", "reset_at"])
    return feed


def reminders_send() -> int:
    """The day-before and hour-before reminders that are due (the periodic task).

    Each is told once per member and lecture (the notification's dedupe key), so a task run
    twice or late sends nothing twice; a run later than the day-before window but within the
    hour sends only the hour-before one.
    """
    from . import notifications

    now = timezone.now()
    told = 0
    events = WeeklyLecture.objects.filter(
        state=EventState.SCHEDULED, starts_at__gt=now, starts_at__lte=now + timedelta(days=1)
    )
    for event in events:
        kind = "reminder_hour" if event.starts_at <= now + timedelta(hours=1) else "reminder_day"
        members = User.objects.filter(
            event_registrations__event=event,
            event_registrations__state=RegistrationState.REGISTERED,
        )
        for member in members:
            with transaction.atomic():
                if notifications.notify(
                    member=member, kind=kind, event=event, dedupe=f"{kind}:{event.pk}"
                ):
                    told += 1
    return told


def notifications_mark_read(*, member: User, notification_ids: list[int] | None = None) -> int:
    from .models import Notification

    unread = Notification.objects.filter(member=member, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def notification_preference_set(*, member: User, kind: str, enabled: bool) -> None:
    from .models import NotificationKind, NotificationPreference

    if kind not in NotificationKind.values:
        raise AppError(_("Unknown kind of notification."), code="unknown_kind")
    NotificationPreference.objects.update_or_create(
        member=member, kind=kind, channel="email", defaults={"enabled": enabled}
    )


RECORDINGS_COURSE_SLUG = "weekly-special-lectures"


@transaction.atomic
def event_recording_create(*, event: WeeklyLecture) -> Lecture:
    """The lecture the recording goes into, in the "주간 특강" course (made on first use).

    Staff then upload the video on the lecture's studio page: the same pipeline, player and
    progress as every lecture. Registrants are told once it can be watched
    (`recordings_announce`). Calling it again returns the same lecture.
    """
    from lms.catalog import services as catalog_services
    from lms.catalog.models import Course

    event = _locked_event(event)
    if event.recording_id is not None and event.recording is not None:
        return event.recording
    course = Course.objects.filter(slug=RECORDINGS_COURSE_SLUG).first()
    if course is None:
        course = catalog_services.course_create(
            category=event.category,
            slug=RECORDINGS_COURSE_SLUG,
            title="주간 특강",
            title_en="Weekly special lectures",
            summary="매주 열리는 CS리더스포럼 특강의 녹화 영상",
        )
    lecture = catalog_services.lecture_create(
        course=course,
        title=event.title,
        title_en=event.title_en,
        description=event.description,
    )
    event.recording = lecture
    event.save(update_fields=["recording", "updated_at"])
    return lecture


def _recording_watchable(lecture: Lecture) -> bool:
    video = lecture.video
    return (
        lecture.is_visible
        and lecture.course.is_visible
        and video is not None
        and video.current_version_id is not None
    )


def recordings_announce() -> int:
    """Tell registrants and attendees of each lecture whose recording became watchable.

    The periodic task: it reads the catalog's state instead of hooking into publishing, and
    marks each lecture told in the same transaction, so a second run tells no one again.
    """
    from . import notifications

    told = 0
    pending = WeeklyLecture.objects.filter(
        recording__isnull=False, recording_announced_at__isnull=True
    ).select_related("recording__course", "recording__video")
    for event in pending:
        if not _recording_watchable(event.recording):  # type: ignore[arg-type]
            continue
        with transaction.atomic():
            event = WeeklyLecture.objects.select_for_update().get(pk=event.pk)
            if event.recording_announced_at is not None:
                continue
            lecture = event.recording
            assert lecture is not None
            url = reverse("catalog:lecture_detail", args=[lecture.course.slug, lecture.position])
            members = User.objects.filter(
                event_registrations__event=event,
                event_registrations__state=RegistrationState.REGISTERED,
            )
            for member in members:
                notifications.notify(
                    member=member,
                    kind="recording_published",
                    event=event,
                    url=url,
                    dedupe=f"recording:{event.pk}",
                )
                told += 1
            event.recording_announced_at = timezone.now()
            event.save(update_fields=["recording_announced_at"])
    return told


@transaction.atomic
def announcement_publish(*, announcement: Announcement) -> Announcement:
    """Publish a staff announcement and tell the members who chose to get them by e-mail."""
    from . import notifications
    from .models import NotificationPreference

    announcement = Announcement.objects.select_for_update().get(pk=announcement.pk)
    if announcement.published_at is not None:
        return announcement
    announcement.published_at = timezone.now()
    announcement.save(update_fields=["published_at", "updated_at"])
    url = reverse("community:announcement_detail", args=[announcement.pk])
    opted_in = User.objects.filter(
        is_active=True,
        pk__in=NotificationPreference.objects.filter(
            kind="announcement", channel="email", enabled=True
        ).values("member_id"),
    )
    for member in opted_in:
        notifications.notify(
            member=member,
            kind="announcement",
            title=announcement.title,
            body=announcement.body,
            url=url,
            dedupe=f"announcement:{announcement.pk}",
        )
    return announcement
