"""Writes for the lectures themselves: planning a series, moving or cancelling one week, and
the recording that becomes a lecture of the 주간 특강 course."""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Lecture, Status
from lms.catalog.services import parse_publish_at, status_transition
from lms.core.errors import AppError

from .. import notifications
from ..models import (
    HOLDS_PLACE,
    EventSeries,
    EventState,
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


@transaction.atomic
def event_publish(
    *, event: WeeklyLecture, publish_at: datetime | str | None = None
) -> WeeklyLecture:
    """List a special lecture (and open its page) now or at `publish_at`, as the catalog's
    transition table allows (an archived one goes back to draft first)."""
    when = parse_publish_at(publish_at)
    event = _locked_event(event)
    status_transition(event, Status.PUBLISHED)
    event.publish_at = when
    event.save(update_fields=["status", "publish_at", "updated_at"])
    return event


@transaction.atomic
def event_set_status(*, event: WeeklyLecture, status: str) -> WeeklyLecture:
    """Unlist a special lecture (back to draft) or archive it; publishing is `event_publish`.
    Its registrations stay as they are: calling it off is `event_cancel`."""
    if status == Status.PUBLISHED:
        return event_publish(event=event)
    event = _locked_event(event)
    status_transition(event, status)
    event.save(update_fields=["status", "updated_at"])
    return event


def _tell_registrants(event: WeeklyLecture, *, kind: str) -> None:
    members = User.objects.filter(
        event_registrations__event=event, event_registrations__state__in=HOLDS_PLACE
    )
    for member in members:
        notifications.notify(
            member=member, kind=kind, event=event, dedupe=f"{kind}:{event.pk}:{event.sequence}"
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
