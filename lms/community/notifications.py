"""One way to tell a member something: `notify()` stores it, channels deliver it after commit.

The in-site list is the `Notification` row itself. Every other channel (e-mail now, KakaoTalk
알림톡 later) is a `Channel` in `CHANNELS`: callers only call `notify()`, so a new channel needs
no change anywhere else. Delivery runs in a task after the transaction commits and records one
`NotificationDelivery` per channel, so running it twice sends nothing twice.
"""

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Protocol

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.core.dates import korean_datetime
from lms.core.enqueue import enqueue_after_commit

from . import calendars
from .models import (
    Notification,
    NotificationDelivery,
    NotificationKind,
    NotificationPreference,
    WeeklyLecture,
)

DELIVER_TASK = "lms.community.tasks.notification_deliver"
UNSUBSCRIBE_SALT = "community.notifications.unsubscribe"

# Kinds e-mailed unless the member said otherwise; announcements are opt-in.
EMAIL_DEFAULTS: dict[str, bool] = {kind: True for kind in NotificationKind.values} | {
    NotificationKind.ANNOUNCEMENT: False,
    NotificationKind.WAITLISTED: False,
}


def _texts(
    kind: str,
    event: WeeklyLecture | None,
    until: datetime | None = None,
    params: Mapping[str, str] | None = None,
) -> tuple[str, str]:
    """The kind's Korean subject and text; `params` fill what is not an event's (the lecture
    of a question, who answered, a course, the reviewer's comment)."""
    title = event.title if event else ""
    when = korean_datetime(event.starts_at) if event else ""
    until_text = korean_datetime(until) if until else ""
    texts = {
        "registration_confirmed": (
            _("Registered: %(title)s"),
            _("You have a place at %(title)s on %(when)s."),
        ),
        "waitlisted": (
            _("On the waitlist: %(title)s"),
            _("%(title)s is full. We will tell you when a place frees up."),
        ),
        "waitlist_offer": (
            _("A place for you: %(title)s"),
            _(
                "A place at %(title)s (%(when)s) has freed up. Confirm it on the lecture's page "
                "by %(until)s, or it goes to the next member."
            ),
        ),
        "reminder_day": (
            _("Tomorrow: %(title)s"),
            _("%(title)s starts %(when)s."),
        ),
        "reminder_hour": (
            _("In an hour: %(title)s"),
            _("%(title)s starts %(when)s."),
        ),
        "event_moved": (
            _("Moved: %(title)s"),
            _("%(title)s now takes place %(when)s. The attached invitation updates your calendar."),
        ),
        "event_cancelled": (
            _("Cancelled: %(title)s"),
            _("%(title)s (%(when)s) has been cancelled."),
        ),
        "recording_published": (
            _("Recording available: %(title)s"),
            _("The recording of %(title)s can now be watched."),
        ),
        "answer_posted": (
            _("Your question has an answer: %(lecture)s"),
            _("%(author)s answered your question on %(lecture)s."),
        ),
        "course_approved": (
            _("Course approved: %(course)s"),
            _("“%(course)s” has been approved. %(comment)s"),
        ),
        "course_scheduled": (
            _("Course scheduled: %(course)s"),
            _("“%(course)s” has been approved and will be published %(when)s. %(comment)s"),
        ),
        "course_sent_back": (
            _("Course sent back for changes: %(course)s"),
            _("“%(course)s” has been sent back for changes. The reviewer wrote: %(comment)s"),
        ),
    }
    subject, body = texts.get(kind, ("%(title)s", ""))
    values = {
        "title": title,
        "when": when,
        "until": until_text,
        "lecture": "",
        "author": "",
        "course": "",
        "comment": "",
    }
    values.update(params or {})
    return subject % values, (body % values).strip()


def notify(
    *,
    member: User,
    kind: str,
    dedupe: str,
    event: WeeklyLecture | None = None,
    title: str = "",
    body: str = "",
    url: str = "",
    until: datetime | None = None,
    params: Mapping[str, str] | None = None,
) -> Notification | None:
    """Tell `member` once per `dedupe` key; returns None when that was already done.

    Texts are written in Korean (the members' language) unless given; `until` is the end of
    an offer; `params` fill the kind's text (see `_texts`).
    """
    with translation.override(settings.LANGUAGE_CODE):
        default_title, default_body = _texts(kind, event, until, params)
    if event is not None and not url:
        url = reverse("community:event_detail", args=[event.slug])
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                member=member,
                kind=kind,
                event=event,
                title=(title or default_title)[:200],
                body=body or default_body,
                url=url,
                dedupe_key=dedupe[:200],
            )
    except IntegrityError:
        return None
    enqueue_after_commit(DELIVER_TASK, notification.pk)
    return notification


class Channel(Protocol):
    name: str

    def wants(self, notification: Notification) -> bool: ...

    def send(self, notification: Notification) -> None: ...


def channel_enabled(member: User, kind: str, channel: str = "email") -> bool:
    choice = (
        NotificationPreference.objects.filter(member=member, kind=kind, channel=channel)
        .values_list("enabled", flat=True)
        .first()
    )
    return EMAIL_DEFAULTS.get(kind, True) if choice is None else choice


def unsubscribe_token(member: User, kind: str) -> str:
    return signing.dumps({"m": member.pk, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def absolute(path: str) -> str:
    return str(settings.SITE_URL).rstrip("/") + path


def _storming(notification: Notification, channel: str) -> bool:
    """Whether the member already got the most we send in an hour about the same source (one
    lecture moved again and again, say): the rest still shows in the in-site list."""
    since = timezone.now() - timedelta(hours=1)
    same_source = (
        Q(notification__event_id=notification.event_id)
        if notification.event_id
        else Q(notification__kind=notification.kind)
    )
    sent = NotificationDelivery.objects.filter(
        same_source,
        notification__member_id=notification.member_id,
        channel=channel,
        skipped=False,
        sent_at__gte=since,
    ).exclude(notification=notification)
    return sent.count() >= int(settings.NOTIFICATION_PER_SOURCE_HOURLY)


class EmailChannel:
    """E-mail through Django's backend: SMTP when configured, else the embedded mode's outbox
    (its console backend), as every other mail of the platform."""

    name = "email"

    def wants(self, notification: Notification) -> bool:
        return (
            bool(notification.member.email)
            and channel_enabled(notification.member, notification.kind, self.name)
            and not _storming(notification, self.name)
        )

    def send(self, notification: Notification) -> None:
        member = notification.member
        unsubscribe = absolute(
            reverse("community:unsubscribe", args=[unsubscribe_token(member, notification.kind)])
        )
        with translation.override(settings.LANGUAGE_CODE):
            footer = _("Stop these e-mails: %(url)s") % {"url": unsubscribe}
        body = notification.body
        if notification.url:
            body += "\n\n" + absolute(notification.url)
        message = EmailMessage(
            subject=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + notification.title,
            body=f"{body}\n\n--\n{footer}\n",
            to=[member.email],
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )
        event = notification.event
        if event is not None and notification.kind in (
            "registration_confirmed",
            "event_moved",
            "event_cancelled",
        ):
            method = "CANCEL" if event.is_cancelled else "REQUEST"
            ics = calendars.event_ics(
                event, url=absolute(notification.url), method=method, attendee=member.email
            )
            message.attach("invite.ics", ics, f"text/calendar; charset=utf-8; method={method}")
        message.send()


CHANNELS: list[Channel] = [EmailChannel()]


def notification_deliver(*, notification_id: int) -> list[str]:
    """Send one notification on every channel that wants it and has not sent it yet."""
    notification = (
        Notification.objects.select_related("member", "event").filter(pk=notification_id).first()
    )
    if notification is None:
        return []
    sent: list[str] = []
    for channel in CHANNELS:
        with transaction.atomic():
            # The delivery row is claimed before sending: a second run finds it and stops.
            try:
                with transaction.atomic():
                    delivery = NotificationDelivery.objects.create(
                        notification=notification, channel=channel.name
                    )
            except IntegrityError:
                continue
            if not channel.wants(notification):
                delivery.skipped = True
                delivery.save(update_fields=["skipped"])
                continue
            channel.send(notification)
            sent.append(channel.name)
    return sent
