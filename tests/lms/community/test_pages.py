"""The lecture pages, their forms' answers, and the staff list with its CSV export."""

import csv
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django.utils import timezone, translation

from lms.community import services
from lms.community.models import RegistrationState
from tests.factories import UserFactory, WeeklyLectureFactory

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_home_card_links_the_next_lecture_with_its_time_in_korean_order(client):
    WeeklyLectureFactory(
        title="고객은 목마르다",
        slug="thirsty",
        starts_at=datetime(2026, 12, 10, 19, tzinfo=ZoneInfo("Asia/Seoul")),
    )
    with time_machine.travel(datetime(2026, 12, 8, 12, tzinfo=ZoneInfo("Asia/Seoul"))):
        page = client.get("/").content.decode()
    assert 'href="/events/thirsty/"' in page
    assert "12월 10일 (목) 오후 7:00" in page


def test_the_list_shows_upcoming_and_past_lectures(client, django_assert_max_num_queries):
    WeeklyLectureFactory(title="다가오는 특강")
    WeeklyLectureFactory(title="지난 특강 하나", starts_at=timezone.now() - timedelta(days=7))
    WeeklyLectureFactory(title="비공개 특강", status="draft")
    with django_assert_max_num_queries(8):
        page = client.get("/events/").content.decode()
    assert "다가오는 특강" in page
    assert "지난 특강 하나" in page
    assert "비공개 특강" not in page
    assert page.index("다가오는 특강") < page.index("지난 특강 하나")


def test_the_event_page_shows_the_facts_to_a_visitor(client, event):
    event.speaker = "김강사"
    event.speaker_bio = "콜센터 QA 15년"
    event.venue = "서울 강남구 세미나실"
    event.save()
    page = client.get(f"/events/{event.slug}/").content.decode()
    assert "김강사" in page
    assert "콜센터 QA 15년" in page
    assert "서울 강남구 세미나실" in page
    assert "무료" in page
    assert "로그인하고 신청하세요" in page
    assert event.online_url not in page


def test_a_member_registers_and_cancels_through_the_page(event, member):
    client = login(member)
    response = client.post(f"/events/{event.slug}/register/", follow=True)
    assert "신청이 완료되었습니다" in response.content.decode()
    response = client.post(f"/events/{event.slug}/cancel/", follow=True)
    assert "신청을 취소했습니다" in response.content.decode()
    assert event.registrations.get(member=member).state == RegistrationState.CANCELLED


def test_a_second_registration_is_answered_409_with_a_korean_message(event, member):
    client = login(member)
    client.post(f"/events/{event.slug}/register/")
    response = client.post(f"/events/{event.slug}/register/")
    assert response.status_code == 409
    assert "이미 신청한 특강입니다" in response.content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"registration_closes_at": timezone.now() - timedelta(minutes=1)}, "신청이 마감"),
        ({"starts_at": timezone.now() - timedelta(hours=1)}, "이미 시작한 특강"),
        ({"state": "cancelled"}, "취소되었습니다"),
    ],
)
def test_registration_refusals_are_answered_400_with_a_korean_message(member, change, message):
    event = WeeklyLectureFactory(**change)
    response = login(member).post(f"/events/{event.slug}/register/")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_full_lecture_tells_the_waitlist_number(event, members):
    for m in members[:2]:
        services.registration_register(event=event, member=m)
    response = login(members[2]).post(f"/events/{event.slug}/register/", follow=True)
    assert "정원이 찼습니다. 대기 1번으로 등록했습니다." in response.content.decode()


def test_the_online_link_shows_on_the_page_only_shortly_before_the_start(event, member):
    services.registration_register(event=event, member=member)
    client = login(member)
    assert event.online_url not in client.get(f"/events/{event.slug}/").content.decode()
    with time_machine.travel(event.starts_at - timedelta(minutes=10)):
        assert event.online_url in client.get(f"/events/{event.slug}/").content.decode()


def test_a_draft_lecture_is_404_for_members(member):
    event = WeeklyLectureFactory(status="draft")
    assert login(member).get(f"/events/{event.slug}/").status_code == 404
    assert login(member).post(f"/events/{event.slug}/register/").status_code == 404


def test_staff_see_the_list_export_csv_with_bom_and_mark_attendance(event, staff_client):
    people = [UserFactory(display_name=name) for name in ("김민수", "이서연", "박지훈")]
    for m in people:
        services.registration_register(event=event, member=m)
    page = staff_client.get(f"/events/{event.slug}/registrations/").content.decode()
    assert all(name in page for name in ("김민수", "이서연", "박지훈"))
    first = event.registrations.get(member=people[0])
    staff_client.post(f"/events/{event.slug}/registrations/", {"id": first.pk, "attended": "1"})
    first.refresh_from_db()
    assert first.attended is True
    response = staff_client.get(f"/events/{event.slug}/registrations.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["이름", "이메일", "상태", "신청 일시", "출석"]
    assert ["김민수", people[0].email, "신청 완료"] == rows[1][:3]
    assert rows[1][4] == "O"
    assert rows[3][2] == "대기 중"


def test_members_cannot_see_the_staff_list(event, member_client):
    assert member_client.get(f"/events/{event.slug}/registrations/").status_code == 403
    assert member_client.get(f"/events/{event.slug}/registrations.csv").status_code == 403


def test_a_waitlisted_member_takes_an_offered_place_on_the_page(event, members):
    for m in members[:3]:
        services.registration_register(event=event, member=m)
    services.registration_cancel(event=event, member=members[0])
    client = login(members[2])
    assert "자리 확정하기" in client.get(f"/events/{event.slug}/").content.decode()
    response = client.post(f"/events/{event.slug}/accept/", follow=True)
    assert "자리를 확정했습니다" in response.content.decode()


def test_the_notification_settings_page_saves_choices(member_client, member):
    from lms.community.notifications import channel_enabled

    member_client.post("/my/notifications/", {"reminder_hour": "on"})
    assert channel_enabled(member, "reminder_hour") is True
    assert channel_enabled(member, "reminder_day") is False


def test_member_pages_keep_their_queries_bounded(event, members, django_assert_max_num_queries):
    for m in members:
        services.registration_register(event=event, member=m)
    client = login(members[-1])
    for url in (f"/events/{event.slug}/", "/events/", "/notifications/", "/my/notifications/"):
        with django_assert_max_num_queries(16):
            assert client.get(url).status_code == 200, url


def test_a_closed_or_past_lecture_offers_no_register_button(member):
    client = login(member)
    for event in (
        WeeklyLectureFactory(starts_at=timezone.now() - timedelta(days=1)),
        WeeklyLectureFactory(registration_closes_at=timezone.now() - timedelta(minutes=1)),
    ):
        page = client.get(f"/events/{event.slug}/").content.decode()
        assert "지금은 신청을 받지 않습니다." in page
        assert f"/events/{event.slug}/register/" not in page


def test_the_event_page_in_english(client):
    event = WeeklyLectureFactory(
        title="고객은 목마르다",
        title_en="Thirsty customers",
        starts_at=datetime(2026, 12, 10, 19, tzinfo=ZoneInfo("Asia/Seoul")),
    )
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    # The middleware leaves English active in this thread: give Korean back afterwards.
    with (
        translation.override("ko"),
        time_machine.travel(datetime(2026, 12, 8, 12, tzinfo=ZoneInfo("Asia/Seoul"))),
    ):
        page = client.get(f"/events/{event.slug}/").content.decode()
    assert "Thirsty customers" in page
    assert "Thu, Dec 10, 2026, 7:00 PM" in page
    assert "Sign in to register." in page
