"""What tells members things: reminders, notification choices, announcements, the calendar
feed's secret address."""

from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.core.errors import AppError

from .. import notifications
from ..models import (
    Announcement,
    CalendarFeed,
    EventState,
    Notification,
    NotificationKind,
    NotificationPreference,
    RegistrationState,
    WeeklyLecture,
)


def calendar_feed_get_or_create(*, member: User) -> CalendarFeed:
    feed, _created = CalendarFeed.objects.get_or_create(member=member)
    return feed


def calendar_feed_reset(*, member: User) -> CalendarFeed:
    """A new secret address; the old one answers 404 from now on."""
    feed = calendar_feed_get_or_create(member=member)
    feed.token = CalendarFeed._meta.get_field("token").get_default()
    feed.reset_at = timezone.now()
    feed.save(update_fields=["token", "reset_at"])
    return feed


def reminders_send() -> int:
    """The day-before and hour-before reminders that are due (the periodic task).

    Each is told once per member and lecture (the notification's dedupe key), so a task run
    twice or late sends nothing twice; a run later than the day-before window but within the
    hour sends only the hour-before one.
    """
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
    unread = Notification.objects.filter(member=member, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())


def notification_preference_set(*, member: User, kind: str, enabled: bool) -> None:
    if kind not in NotificationKind.values:
        raise AppError(_("Unknown kind of notification."), code="unknown_kind")
    NotificationPreference.objects.update_or_create(
        member=member, kind=kind, channel="email", defaults={"enabled": enabled}
    )


@transaction.atomic
def announcement_publish(*, announcement: Announcement) -> Announcement:
    """Publish a staff announcement and tell the members who chose to get them by e-mail."""
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
