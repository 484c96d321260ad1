"""Weekly series with skipped and moved weeks; .ics files and the personal feed, parsed back."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from icalendar import Calendar

from lms.community import services
from lms.community.models import EventSeries, EventState
from lms.core.dates import korean_datetime
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db
SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def series(db):
    return EventSeries.objects.create(
        title="주간 특강",
        category=CategoryFactory(),
        weekday=3,  # Thursday
        first_date=date(2026, 12, 1),
        capacity=50,
        online_url="https://meet.example.com/weekly",
    )


def parse(body: bytes) -> Calendar:
    return Calendar.from_ical(body)


def test_a_series_makes_one_lecture_a_week_at_19_seoul_and_planning_again_adds_none(series):
    made = services.series_plan(series=series, until=date(2026, 12, 31))
    assert [e.series_date for e in made] == [date(2026, 12, d) for d in (3, 10, 17, 24, 31)]
    assert all(e.starts_at.astimezone(SEOUL).time() == time(19) for e in made)
    assert made[0].starts_at == datetime(2026, 12, 3, 10, tzinfo=ZoneInfo("UTC"))
    assert made[0].capacity == 50
    assert services.series_plan(series=series, until=date(2026, 12, 31)) == []


def test_a_skipped_week_stays_skipped_when_the_series_is_planned_again(series):
    first = services.series_plan(series=series, until=date(2026, 12, 10))[0]
    services.event_cancel(event=first)
    services.series_plan(series=series, until=date(2027, 1, 31))
    first.refresh_from_db()
    assert first.state == EventState.CANCELLED
    assert series.events.count() == 9


def test_a_moved_week_keeps_its_week_and_raises_the_sequence(series):
    first = services.series_plan(series=series, until=date(2026, 12, 3))[0]
    old = first.starts_at
    moved = services.event_move(event=first, starts_at=old + timedelta(days=1))
    assert moved.moved_from == old
    assert moved.sequence == 1
    assert moved.series_date == date(2026, 12, 3)
    services.series_plan(series=series, until=date(2026, 12, 3))
    assert series.events.count() == 1


@translation.override("ko")
def test_korean_order_of_a_date():
    when = datetime(2026, 12, 3, 19, 0, tzinfo=SEOUL)
    assert korean_datetime(when) == "2026년 12월 3일 (목) 오후 7:00"
    assert korean_datetime(when, year=False) == "12월 3일 (목) 오후 7:00"
    assert korean_datetime(datetime(2026, 12, 4, 0, 30, tzinfo=SEOUL)) == (
        "2026년 12월 4일 (금) 오전 12:30"
    )


def test_the_ics_of_a_lecture_keeps_its_uid_and_raises_sequence_when_moved(client, event):
    first = parse(client.get(f"/events/{event.slug}/calendar.ics").content)
    services.event_move(event=event, starts_at=event.starts_at + timedelta(days=2))
    response = client.get(f"/events/{event.slug}/calendar.ics")
    assert response["Content-Type"].startswith("text/calendar")
    second = parse(response.content)
    (a,) = first.walk("VEVENT")
    (b,) = second.walk("VEVENT")
    assert a["UID"] == b["UID"] == f"weekly-lecture-{event.pk}@cs-leaders-forum.kr"
    assert int(b["SEQUENCE"]) == int(a["SEQUENCE"]) + 1
    start = b.decoded("DTSTART")
    assert start.tzinfo.key == "Asia/Seoul"
    assert start.hour == 19
    assert b.decoded("DTEND") - start == timedelta(minutes=event.duration_minutes)
    (tz,) = second.walk("VTIMEZONE")
    assert tz["TZID"] == "Asia/Seoul"


def test_a_cancelled_lecture_is_cancelled_in_the_ics(client, event):
    services.event_cancel(event=event)
    (entry,) = parse(client.get(f"/events/{event.slug}/calendar.ics").content).walk("VEVENT")
    assert entry["STATUS"] == "CANCELLED"
    assert int(entry["SEQUENCE"]) == 1


def test_the_feed_lists_the_members_lectures_and_a_reset_token_answers_404(client, event):
    member = UserFactory()
    services.registration_register(event=event, member=member)
    feed = services.calendar_feed_get_or_create(member=member)
    response = client.get(f"/calendar/{feed.token}.ics")
    assert response.status_code == 200
    entries = parse(response.content).walk("VEVENT")
    assert [str(e["SUMMARY"]) for e in entries] == [event.title]
    assert entries[0]["UID"] == event.calendar_uid
    old = feed.token
    new = services.calendar_feed_reset(member=member).token
    assert new != old
    assert client.get(f"/calendar/{old}.ics").status_code == 404
    assert client.get(f"/calendar/{new}.ics").status_code == 200


def test_the_feed_leaves_out_cancelled_registrations(client, event):
    member = UserFactory()
    services.registration_register(event=event, member=member)
    services.registration_cancel(event=event, member=member)
    feed = services.calendar_feed_get_or_create(member=member)
    assert parse(client.get(f"/calendar/{feed.token}.ics").content).walk("VEVENT") == []


def test_the_member_sees_and_resets_the_feed_address(member_client, member):
    page = member_client.get("/my/calendar/")
    token = services.calendar_feed_get_or_create(member=member).token
    assert token in page.content.decode()
    member_client.post("/my/calendar/")
    assert services.calendar_feed_get_or_create(member=member).token != token


def test_unpublished_lecture_ics_is_404_for_visitors(client):
    from tests.factories import WeeklyLectureFactory

    draft = WeeklyLectureFactory(status="draft")
    assert client.get(f"/events/{draft.slug}/calendar.ics").status_code == 404
