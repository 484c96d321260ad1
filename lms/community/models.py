import secrets
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from lms.catalog.models import Category, Lecture, PublishableModel
from lms.core.i18n import BilingualTitleModel
from lms.core.models import TimeStampedModel


class EventSeries(BilingualTitleModel, TimeStampedModel):
    """A recurring plan ("every Thursday at 19:00 Asia/Seoul"); its weeks are `WeeklyLecture` rows.

    A week of the series is made once (`series_plan`) and may then be skipped or moved on its own
    row; the series keeps only what the weeks start from.
    """

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="event_series", verbose_name=_("category")
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), help_text=_("0 = Monday … 6 = Sunday"), default=3
    )
    start_time = models.TimeField(_("start time"), default=time(19))
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=120)
    first_date = models.DateField(_("first date"))
    last_date = models.DateField(_("last date"), null=True, blank=True)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(_("capacity"), null=True, blank=True)
    fee_note = models.CharField(_("fee note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("event series")
        verbose_name_plural = _("event series")


class EventState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    CANCELLED = "cancelled", _("Cancelled")


class WeeklyLecture(BilingualTitleModel, PublishableModel):
    """A special lecture: a week of a series or a one-off event (19:00, 1.5–2 hours), later
    shared recorded.

    The model that staff typed in by hand grew into the event itself, so that the seed, the
    home page and the admin keep working and no rows move between tables.
    """

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    category = models.ForeignKey(
        Category,
        on_delete=models.PROTECT,
        related_name="weekly_lectures",
        verbose_name=_("category"),
    )
    series = models.ForeignKey(
        EventSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("series"),
    )
    # The week of the series this row stands for, kept when the lecture is moved.
    series_date = models.DateField(_("week of the series"), null=True, blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=EventState.choices,
        default=EventState.SCHEDULED,
        db_index=True,
    )
    speaker = models.CharField(_("speaker (guest name)"), max_length=100, blank=True)
    speaker_member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("speaker (member)"),
    )
    speaker_bio = models.TextField(_("speaker's short bio"), blank=True)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    moved_from = models.DateTimeField(_("originally at"), null=True, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=120)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    online_url = models.URLField(_("online link"), blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    registration_opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes"), null=True, blank=True, help_text=_("Empty: at the start.")
    )
    fee_note = models.CharField(_("fee note"), max_length=200, blank=True)
    # RFC 5545 SEQUENCE: raised whenever the time, place or state changes, so calendars update
    # the entry they already hold (same UID) instead of adding another.
    sequence = models.PositiveIntegerField(_("calendar sequence"), default=0, editable=False)
    recording = models.ForeignKey(
        Lecture,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recording"),
    )
    # When registrants were told the recording can be watched (once).
    recording_announced_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("weekly special lecture")
        verbose_name_plural = _("weekly special lectures")
        ordering = ("starts_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("series", "series_date"), name="community_one_event_per_series_week"
            )
        ]

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def closes_at(self) -> datetime:
        return self.registration_closes_at or self.starts_at

    @property
    def is_cancelled(self) -> bool:
        return self.state == EventState.CANCELLED

    @property
    def speaker_name(self) -> str:
        if self.speaker_member_id and self.speaker_member:
            return str(self.speaker_member.public_name)
        return self.speaker

    @property
    def calendar_uid(self) -> str:
        """Stable for the life of the event: the row's id never changes, whatever else does."""
        return f"weekly-lecture-{self.pk}@{settings.CALENDAR_UID_DOMAIN}"


class RegistrationState(models.TextChoices):
    REGISTERED = "registered", _("Registered")
    WAITLISTED = "waitlisted", _("On the waitlist")
    OFFERED = "offered", _("Offered a place")
    CANCELLED = "cancelled", _("Cancelled")
    OFFER_EXPIRED = "offer_expired", _("Offer expired")


# The states that hold one of the event's places.
HOLDS_PLACE = (RegistrationState.REGISTERED, RegistrationState.OFFERED)


class Registration(TimeStampedModel):
    """One member's registration for one event; cancelling and registering again reuse it."""

    event = models.ForeignKey(WeeklyLecture, on_delete=models.CASCADE, related_name="registrations")
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_registrations"
    )
    state = models.CharField(_("state"), max_length=16, choices=RegistrationState.choices)
    # The waitlist's order: when the member (last) asked for a place.
    queued_at = models.DateTimeField(_("queued at"))
    offer_expires_at = models.DateTimeField(_("offer expires"), null=True, blank=True)
    attended = models.BooleanField(_("attended"), null=True, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=("event", "member"), name="community_one_registration")
        ]
        indexes = [models.Index(fields=("event", "state", "queued_at"))]


def _new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class CalendarFeed(models.Model):
    """The secret address of a member's calendar of registered events; reset makes a new one."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=_new_feed_token)
    reset_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"calendar of {self.member_id}"


class NotificationKind(models.TextChoices):
    REGISTRATION_CONFIRMED = "registration_confirmed", _("Registration confirmed")
    WAITLISTED = "waitlisted", _("Put on the waitlist")
    WAITLIST_OFFER = "waitlist_offer", _("A place is offered from the waitlist")
    REMINDER_DAY = "reminder_day", _("Reminder the day before")
    REMINDER_HOUR = "reminder_hour", _("Reminder an hour before")
    EVENT_MOVED = "event_moved", _("Lecture moved")
    EVENT_CANCELLED = "event_cancelled", _("Lecture cancelled")
    RECORDING_PUBLISHED = "recording_published", _("Recording published")
    ANNOUNCEMENT = "announcement", _("Announcement")
    ANSWER_POSTED = "answer_posted", _("An answer to my question")
    COURSE_APPROVED = "course_approved", _("My course approved")
    COURSE_SENT_BACK = "course_sent_back", _("My course sent back for changes")


class Notification(models.Model):
    """Something the platform told a member: the in-site list, and the source of every channel."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("member"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=NotificationKind.choices)
    event = models.ForeignKey(
        WeeklyLecture,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("special lecture"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    url = models.CharField(_("link"), max_length=300, blank=True)
    # What makes two calls the same notification ("reminder_day:<event>"): told once.
    dedupe_key = models.CharField(_("duplicate check key"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=("member", "dedupe_key"), name="community_notification_once"
            )
        ]
        indexes = [models.Index(fields=("member", "read_at"))]

    def __str__(self) -> str:
        return self.title


class NotificationDelivery(models.Model):
    """A notification sent on one channel (e-mail, later 알림톡): sent once, however often asked."""

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=32)
    sent_at = models.DateTimeField(auto_now_add=True)
    # Not sent: the member chose not to get this kind there, or the source was too chatty.
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("notification", "channel"), name="community_delivery_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notification_id} by {self.channel}"


class NotificationPreference(models.Model):
    """A member's choice for one kind on one channel; without a row, the kind's default holds."""

    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    channel = models.CharField(max_length=32, default="email")
    enabled = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("member", "kind", "channel"), name="community_preference_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind}/{self.channel}: {self.enabled}"


class Announcement(TimeStampedModel):
    """A notice from the staff (exam dates, a venue change of the forum...)."""

    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("author"),
    )
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ("-published_at", "-pk")

    def __str__(self) -> str:
        return self.title
