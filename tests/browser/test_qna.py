"""Questions under a lecture in Chromium: a member asks at a moment of the video, the moment
seeks the player, the instructor answers from the studio's list, the member's header shows it."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import close_quietly, signed_in_context
from tests.browser.test_csp import assert_no_violation, watch_csp

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
URL = "/courses/player-course/lectures/1/"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"qna-{name}.png"), full_page=True)


@pytest.fixture
def teacher(watch_lecture):
    from tests.factories import UserFactory

    teacher = UserFactory(is_instructor=True, display_name="김강사")
    watch_lecture.course.instructors.add(teacher)
    return teacher


def test_a_member_asks_at_a_moment_and_the_instructor_answers(
    browser: Browser, live_server, member_page: Page, watch_lecture, teacher, eager_tasks
):
    page = member_page
    violations = watch_csp(page)
    page.goto(URL)
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; }")
    page.evaluate("() => { document.querySelector('video').currentTime = 6; }")
    ask_now = page.get_by_role("button", name=re.compile(r"이 시점에 질문하기 \(0:06\)"))
    expect(ask_now).to_be_visible()
    page.get_by_label("이 강의에 대해 질문하기").fill(
        "이 장면의 평가 기준이 궁금합니다.\n<script>alert(1)</script> 참고: https://example.com/qa"
    )
    shot(page, "asking")
    ask_now.click()

    expect(page.get_by_text("질문을 올렸습니다.")).to_be_visible()
    question = page.locator("li.question").first
    expect(question.locator(".post-body")).to_contain_text("<script>alert(1)</script>")
    link = question.locator(".post-body a")
    expect(link).to_have_attribute("rel", "nofollow noopener ugc")
    moment = question.locator(".post-meta [data-seek]")
    expect(moment).to_have_text("0:06")
    shot(page, "asked")

    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    page.evaluate("() => { document.querySelector('video').currentTime = 1; }")
    page.wait_for_function("() => document.querySelector('video').currentTime < 2")
    moment.click()
    page.wait_for_function("() => Math.abs(document.querySelector('video').currentTime - 6) < 1")
    page.evaluate("() => document.querySelector('video').pause()")
    expect(page.locator(".bell .unread-count")).to_have_count(0)

    other = signed_in_context(browser, live_server.url, teacher)
    studio = other.new_page()
    studio.goto("/studio/")
    studio.get_by_role("link", name="답변을 기다리는 질문").click()
    expect(studio.get_by_role("heading", level=1)).to_have_text("답변을 기다리는 질문")
    shot(studio, "studio-waiting")
    studio.get_by_role("link", name=re.compile("이 장면의 평가 기준")).click()
    studio.get_by_placeholder("답변을 입력하세요").fill("평가표 3번 항목(12:00 부근)을 보세요.")
    studio.get_by_role("button", name="답변하기").click()
    expect(studio.get_by_text("답변을 올렸습니다.")).to_be_visible()
    expect(studio.locator("li.answer .badge").first).to_have_text("강사")
    shot(studio, "answered")
    studio.goto("/studio/questions/")
    expect(studio.get_by_text("답변을 기다리는 질문이 없습니다.")).to_be_visible()
    close_quietly(other)

    page.reload()
    bell = page.locator(".bell")
    expect(bell.locator(".unread-count")).to_have_text("1")
    expect(page.locator("li.question .badge").first).to_have_text("답변 완료")
    shot(page, "header-unread")
    bell.click()
    expect(page.locator(".notification.unread")).to_contain_text(
        "내 질문에 답변이 달렸습니다: 모니터링의 이해"
    )
    shot(page, "notifications")
    page.locator(".notification.unread a").first.click()
    expect(page).to_have_url(re.compile(r"/courses/player-course/lectures/1/#question-\d+$"))
    page.get_by_role("button", name="도움이 된 답변으로 표시").click()
    expect(page.get_by_text("도움이 된 답변으로 표시했습니다.")).to_be_visible()
    expect(page.locator(".accepted-badge")).to_have_text("도움이 된 답변")
    shot(page, "accepted")
    assert_no_violation(page, violations)


def test_staff_hide_a_post_and_members_see_the_reason(
    browser: Browser, live_server, member_page: Page, watch_lecture, eager_tasks
):
    from lms.qna import services
    from tests.factories import UserFactory

    services.question_ask(
        member=UserFactory(),
        lecture=watch_lecture,
        body="할인 쿠폰 팝니다 https://spam.example.com",
    )
    staff = UserFactory(is_staff=True, is_superuser=True)
    context = signed_in_context(browser, live_server.url, staff)
    staff_page = context.new_page()
    staff_page.goto(URL)
    question = staff_page.locator("li.question").first
    question.get_by_text("숨기기 (운영자)").click()
    question.get_by_label("사유").fill("광고성 글")
    question.get_by_role("button", name="숨기기", exact=True).click()
    expect(staff_page.get_by_text("글을 숨겼습니다.")).to_be_visible()
    close_quietly(context)

    member_page.goto(URL)
    hidden = member_page.locator("li.question").first
    expect(hidden).to_have_text("운영자가 숨긴 글입니다 (사유: 광고성 글)")
    expect(member_page.get_by_text("할인 쿠폰")).to_have_count(0)
    shot(member_page, "hidden")
