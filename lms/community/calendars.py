"""iCalendar (RFC 5545) files of special lectures, made with the `icalendar` library.

Each lecture keeps one UID for life and raises SEQUENCE on every move or cancellation, and
times are written in Asia/Seoul with its VTIMEZONE, so that Google Calendar and Outlook update
the entry they hold instead of adding a second one.
"""

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from .models import WeeklyLecture

PRODID = "-//CS Leaders Forum//Special lectures//KO"


def _calendar(*, method: str | None = None, name: str | None = None) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", settings.TIME_ZONE)
    return cal


def _event(lecture: WeeklyLecture, *, url: str) -> Event:
    tz = timezone.get_default_timezone()
    entry = Event()
    entry.add("uid", lecture.calendar_uid)
    entry.add("sequence", lecture.sequence)
    entry.add("dtstamp", timezone.now())
    entry.add("last-modified", lecture.updated_at)
    entry.add("dtstart", lecture.starts_at.astimezone(tz))
    entry.add("dtend", lecture.ends_at.astimezone(tz))
    entry.add("summary", lecture.title)
    description = lecture.description
    if lecture.speaker_name:
        description = f"{lecture.speaker_name}\n\n{description}".strip()
    entry.add("description", f"{description}\n\n{url}".strip())
    entry.add("url", url)
    if lecture.venue:
        entry.add("location", lecture.venue)
    entry.add("status", "CANCELLED" if lecture.is_cancelled else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.rsplit('<', 1)[-1].strip('>')}")
    organizer.params["cn"] = vText(getattr(settings, "SITE_NAME", "CS리더스포럼"))
    entry.add("organizer", organizer)
    return entry


def event_ics(
    lecture: WeeklyLecture, *, url: str, method: str = "PUBLISH", attendee: str = ""
) -> bytes:
    """One lecture as an .ics file; an e-mailed invitation (`method="REQUEST"` or `"CANCEL"`,
    RFC 5546) names its recipient as the attendee, as mail clients expect."""
    cal = _calendar(method=method)
    entry = _event(lecture, url=url)
    if attendee:
        address = vCalAddress(f"mailto:{attendee}")
        address.params["role"] = vText("REQ-PARTICIPANT")
        address.params["partstat"] = vText("ACCEPTED")
        entry.add("attendee", address)
    cal.add_component(entry)
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def feed_ics(lectures: Iterable[tuple[WeeklyLecture, str]], *, name: str) -> bytes:
    """A subscribed calendar: the member's lectures with their page addresses."""
    cal = _calendar(method="PUBLISH", name=name)
    for lecture, url in lectures:
        cal.add_component(_event(lecture, url=url))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())
