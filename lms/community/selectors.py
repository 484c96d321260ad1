from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from lms.accounts.models import User
from lms.catalog.models import visible_q

from .models import (
    HOLDS_PLACE,
    Announcement,
    CalendarFeed,
    Notification,
    NotificationPreference,
    Registration,
    RegistrationState,
    WeeklyLecture,
)


def _visible() -> QuerySet[WeeklyLecture]:
    return WeeklyLecture.objects.filter(visible_q()).select_related("category", "speaker_member")


def weekly_lecture_upcoming() -> WeeklyLecture | None:
    """The special lecture to show on the home page: the one running now or the next one."""
    now = timezone.now()
    return (
        _visible()
        .filter(starts_at__gte=now - timedelta(hours=3), state="scheduled")
        .order_by("starts_at")
        .first()
    )


def event_list_upcoming() -> list[WeeklyLecture]:
    now = timezone.now()
    return list(
        _visible()
        .filter(starts_at__gte=now - timedelta(hours=3))
        .annotate(taken=Count("registrations", filter=Q(registrations__state__in=HOLDS_PLACE)))
        .order_by("starts_at")[:30]
    )


def event_list_past() -> list[WeeklyLecture]:
    now = timezone.now()
    return list(
        _visible()
        .filter(starts_at__lt=now - timedelta(hours=3))
        .select_related("recording__course")
        .order_by("-starts_at")[:30]
    )


def access_event(user: User | None, slug: str) -> WeeklyLecture:
    """The lecture at `slug` if `user` may see it (published, or staff); 404 otherwise."""
    event = (
        WeeklyLecture.objects.select_related("category", "speaker_member", "recording__course")
        .filter(slug=slug)
        .first()
    )
    if event is None or not (event.is_visible or (user is not None and user.is_staff)):
        raise Http404
    return event


def registration_get(*, event: WeeklyLecture, member: User) -> Registration | None:
    if not member.is_authenticated:
        return None
    return Registration.objects.filter(event=event, member=member).first()


def places_taken(event: WeeklyLecture) -> int:
    return event.registrations.filter(state__in=HOLDS_PLACE).count()


def waitlist_position(registration: Registration) -> int:
    """1 for the first in line."""
    return (
        Registration.objects.filter(
            event_id=registration.event_id, state=RegistrationState.WAITLISTED
        )
        .filter(
            Q(queued_at__lt=registration.queued_at)
            | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def online_link_for(*, event: WeeklyLecture, registration: Registration | None) -> str:
    """The online link, for a registered member from shortly before the start to the end."""
    if not event.online_url or registration is None or event.is_cancelled:
        return ""
    if registration.state != RegistrationState.REGISTERED:
        return ""
    now = timezone.now()
    lead = timedelta(minutes=settings.EVENT_ONLINE_LINK_LEAD_MINUTES)
    if event.starts_at - lead <= now < event.ends_at:
        return event.online_url
    return ""


def registration_list(event: WeeklyLecture) -> list[Registration]:
    return list(event.registrations.select_related("member").order_by("state", "queued_at", "pk"))


def member_event_list(member: User) -> list[WeeklyLecture]:
    """The lectures in a member's calendar feed: those they hold a place at, from 90 days ago."""
    since = timezone.now() - timedelta(days=90)
    return list(
        WeeklyLecture.objects.filter(
            registrations__member=member,
            registrations__state__in=HOLDS_PLACE,
            starts_at__gte=since,
        ).order_by("starts_at")
    )


def lectures_attended(member: User) -> list[WeeklyLecture]:
    """The published special lectures staff marked `member` as attending, latest first (a
    public profile shows them)."""
    return list(
        _visible()
        .filter(registrations__member=member, registrations__attended=True)
        .order_by("-starts_at")
    )


def calendar_feed_by_token(token: str) -> CalendarFeed:
    feed = CalendarFeed.objects.select_related("member").filter(token=token).first()
    if feed is None or not feed.member.is_active:
        raise Http404
    return feed


def notification_unread_count(member: User) -> int:
    return Notification.objects.filter(member=member, read_at__isnull=True).count()


def notification_list(member: User) -> list[Notification]:
    return list(Notification.objects.filter(member=member)[:50])


def announcement_list() -> QuerySet[Announcement]:
    return Announcement.objects.filter(published_at__isnull=False, published_at__lte=timezone.now())


def announcement_latest() -> Announcement | None:
    return announcement_list().first()


def announcement_get(pk: int) -> Announcement:
    announcement = announcement_list().filter(pk=pk).first()
    if announcement is None:
        raise Http404
    return announcement


def registration_open(event: WeeklyLecture) -> bool:
    """Whether the page offers the register button (the service decides for real)."""
    now = timezone.now()
    return (
        not event.is_cancelled
        and event.starts_at > now
        and now < event.closes_at
        and (event.registration_opens_at is None or event.registration_opens_at <= now)
    )


def notification_choices(member: User, channel: str = "email") -> dict[str, bool]:
    """The kinds the member decided about on `channel` (the others keep their default)."""
    return dict(
        NotificationPreference.objects.filter(member=member, channel=channel).values_list(
            "kind", "enabled"
        )
    )
