"""A member's special lecture in Chromium: register, cancel, the waitlist offer, the header."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import close_quietly, signed_in_context
from tests.browser.test_csp import assert_no_violation, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"special-lectures-{name}.png"), full_page=True)


@pytest.fixture
def lecture(transactional_db, eager_tasks):
    from tests.factories import WeeklyLectureFactory

    return WeeklyLectureFactory(
        slug="thirsty-customers",
        title="고객은 목마르다: CS 종사자의 역할",
        speaker="김하늘",
        speaker_bio="CS 컨설턴트, 콜센터 QA 15년",
        venue="서울 강남구 포럼 세미나실",
        capacity=1,
        description="고객 경험을 바꾸는 상담의 기본기.",
    )


def test_a_member_registers_and_cancels(member_page: Page, lecture):
    page = member_page
    violations = watch_csp(page)
    page.goto("/")
    expect(page.locator(".weekly-when")).to_contain_text(re.compile(r"\d+월 \d+일 \(.\) 오후 7:00"))
    shot(page, "home")
    page.get_by_role("link", name="특강 전체 보기").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("주간 특강")
    shot(page, "list")
    page.goto("/")
    page.get_by_role("link", name=lecture.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(lecture.title)
    expect(page.locator(".event-when")).to_have_text(
        re.compile(r"\d+년 \d+월 \d+일 \(.\) 오후 7:00")
    )
    page.get_by_role("button", name="참가 신청").click()
    expect(page.get_by_text("신청이 완료되었습니다.").first).to_be_visible()
    expect(page.locator(".places")).to_have_text("1명 중 1명 신청")
    shot(page, "registered")
    page.get_by_role("button", name="신청 취소").click()
    expect(page.get_by_text("신청을 취소했습니다.")).to_be_visible()
    expect(page.get_by_role("button", name="참가 신청")).to_be_visible()
    shot(page, "cancelled")
    assert_no_violation(page, violations)


def test_a_waitlisted_member_is_offered_the_place_and_takes_it(
    browser: Browser, live_server, member_page: Page, lecture
):
    from lms.community import services
    from tests.factories import UserFactory

    first = UserFactory(display_name="먼저온회원")
    services.registration_register(event=lecture, member=first)
    page = member_page
    page.goto(f"/events/{lecture.slug}/")
    page.get_by_role("button", name="참가 신청").click()
    expect(page.get_by_text("정원이 찼습니다. 대기 1번으로 등록했습니다.")).to_be_visible()
    expect(page.locator(".reg-state")).to_have_text("대기 1번입니다.")
    shot(page, "waitlisted")

    other = signed_in_context(browser, live_server.url, first)
    other_page = other.new_page()
    other_page.goto(f"/events/{lecture.slug}/")
    other_page.get_by_role("button", name="신청 취소").click()
    expect(other_page.get_by_text("신청을 취소했습니다.")).to_be_visible()
    close_quietly(other)

    page.reload()
    expect(page.locator(".reg-state")).to_contain_text("자리가 났습니다.")
    expect(page.locator(".bell .unread-count")).to_be_visible()
    shot(page, "offered")
    page.get_by_role("button", name="자리 확정하기").click()
    expect(page.get_by_text("자리를 확정했습니다. 신청이 완료되었습니다.")).to_be_visible()
    expect(page.locator(".reg-state")).to_have_text("신청이 완료되었습니다.")


def test_the_notification_shows_in_the_header(member_page: Page, lecture):
    page = member_page
    page.goto(f"/events/{lecture.slug}/")
    expect(page.locator(".bell .unread-count")).to_have_count(0)
    page.get_by_role("button", name="참가 신청").click()
    bell = page.locator(".bell")
    expect(bell.locator(".unread-count")).to_have_text("1")
    shot(page, "header-unread")
    bell.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("알림")
    expect(page.locator(".notification.unread")).to_contain_text(f"신청 완료: {lecture.title}")
    shot(page, "notifications")
    page.get_by_role("button", name="모두 읽음으로 표시").click()
    expect(page.locator(".bell .unread-count")).to_have_count(0)
