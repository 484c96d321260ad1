"""The player's controls in Chromium, on a real transcoded video: keyboard shortcuts, full
screen, chapters, storyboard previews, the message when a video cannot play, the "course
completed" moment and the last report sent as the page goes away."""

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from lms.catalog.models import Lecture, LectureChapter, Status
from lms.learning.models import CourseProgress, LectureProgress
from lms.web.player import player_text

from .playing import checked
from .test_player import URL, ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _at(page: Page, seconds: float) -> None:
    """Wait until the video is within 0.6 s of `seconds`."""
    page.wait_for_function(
        f"() => Math.abs(document.querySelector('video').currentTime - {seconds}) < 0.6"
    )


def _eventually(check: Callable[[], bool], seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "not within the time allowed"
        time.sleep(0.1)


def test_keyboard_shortcuts_play_seek_mute_caption_and_change_speed(
    member_page: Page, watch_lecture
):
    page = member_page
    ready(page)
    page.locator("h1").click()  # the page has the focus, not a control
    video = "document.querySelector('video')"

    page.keyboard.press("k")
    page.wait_for_function(f"() => !{video}.paused")
    page.keyboard.press(" ")
    page.wait_for_function(f"() => {video}.paused")

    page.evaluate(f"() => {{ {video}.currentTime = 8; }}")
    _at(page, 8)
    page.keyboard.press("ArrowLeft")
    _at(page, 3)
    page.keyboard.press("l")
    _at(page, 13)
    page.keyboard.press("j")
    _at(page, 3)
    page.keyboard.press("ArrowRight")
    _at(page, 8)

    page.keyboard.press("m")
    page.wait_for_function(f"() => !{video}.muted")

    assert checked(page, "captions") == "한국어"  # Korean captions are on at the start
    page.keyboard.press("c")
    assert checked(page, "captions") == "끄기"
    page.wait_for_function(f"() => [...{video}.textTracks].every(t => t.mode !== 'showing')")

    page.keyboard.press(">")
    page.wait_for_function(f"() => {video}.playbackRate === 1.25")
    assert checked(page, "speed") == "1.25×"
    user = page.user  # type: ignore[attr-defined]

    def stored_rate() -> Decimal:
        user.refresh_from_db(fields=["playback_rate"])
        return Decimal(user.playback_rate)

    _eventually(lambda: stored_rate() == Decimal("1.25"))  # remembered for the member
    page.keyboard.press("<")
    page.keyboard.press("<")
    page.wait_for_function(f"() => {video}.playbackRate === 0.75")


def test_full_screen_from_the_button_and_the_f_key(member_page: Page, watch_lecture):
    page = member_page
    ready(page)
    button = page.get_by_role("button", name="전체 화면")
    button.click()
    page.wait_for_function(
        "() => document.fullscreenElement === document.querySelector('[data-player]')"
    )
    expect(button).to_have_attribute("aria-label", "전체 화면 종료")
    page.keyboard.press("f")
    page.wait_for_function("() => document.fullscreenElement === null")


def test_a_chapter_in_the_list_seeks_to_its_start_and_plays(member_page: Page, watch_lecture):
    LectureChapter.objects.create(lecture=watch_lecture, start_seconds=9, title="질문 기법")
    page = member_page
    ready(page)
    chapter = page.locator('[data-chapter="9"]')
    expect(chapter).to_contain_text("질문 기법")
    chapter.click()
    page.wait_for_function(
        "() => !document.querySelector('video').paused && "
        "document.querySelector('video').currentTime >= 9"
    )


def test_hovering_the_seek_bar_shows_the_storyboard_thumbnail_of_that_time(
    member_page: Page, watch_lecture
):
    page = member_page
    with page.expect_response(lambda r: "storyboard" in r.url and r.ok):
        ready(page)
    page.wait_for_function("() => document.querySelector('video').duration > 0")
    bar = page.locator("[data-seekbar]").bounding_box()
    assert bar is not None
    preview = page.locator("[data-seek-preview]")

    def hover(fraction: float) -> str:
        page.mouse.move(bar["x"] + bar["width"] * fraction, bar["y"] + bar["height"] / 2)
        expect(preview).to_be_visible()
        expect(preview).to_have_attribute("data-thumbnail", "1")
        return str(preview.evaluate("el => el.style.backgroundPosition"))

    early = hover(0.1)
    later = hover(0.6)  # 60 % of the 14 s clip
    expect(preview.locator("span")).to_have_text("0:08")
    assert early != later  # another time, another tile of the sprite
    image = preview.evaluate("el => el.style.backgroundImage")
    sprite = page.request.get(image.removeprefix('url("').removesuffix('")'))
    assert sprite.ok
    assert sprite.headers["content-type"].startswith("image/")


def test_a_video_that_cannot_be_played_says_so(member_page: Page, watch_lecture):
    page = member_page
    page.route("**/master.m3u8", lambda route: route.fulfill(status=500, body="broken"))
    page.goto(URL)
    message = page.locator("[data-player-message]")
    with translation.override("ko"):
        expected = player_text()["cannotPlay"]
    expect(message).to_be_visible(timeout=30_000)
    expect(message).to_have_text(expected)


def test_completing_the_last_lecture_shows_the_course_completed_moment(
    member_page: Page, watch_lecture
):
    # The course's only visible lecture, watched up to 12 s of 14 (not yet the 90 %).
    Lecture.objects.filter(course=watch_lecture.course, position=2).update(status=Status.DRAFT)
    user = member_page.user  # type: ignore[attr-defined]
    LectureProgress.objects.create(
        user=user,
        lecture=watch_lecture,
        coverage=[[0.0, 12.0]],
        covered_seconds=12,
        credited_seconds=12,
        furthest_position=12,
        position=12,
        last_report_at=timezone.now() - timedelta(minutes=1),
    )
    CourseProgress.objects.create(user=user, course=watch_lecture.course)
    page = member_page
    ready(page)
    dialog = page.locator("[data-course-completed]")
    expect(dialog).to_be_hidden()

    page.evaluate(
        "() => { const v = document.querySelector('video'); v.currentTime = 11.5; v.play(); }"
    )

    expect(dialog).to_be_visible(timeout=30_000)
    expect(dialog).to_contain_text(watch_lecture.course.title)
    assert LectureProgress.objects.get(user=user, lecture=watch_lecture).completed_at
    assert CourseProgress.objects.get(user=user, course=watch_lecture.course).percent == 100


def test_the_last_report_is_sent_as_the_page_goes_away(member_page: Page, watch_lecture):
    page = member_page
    ready(page)
    page.evaluate("() => document.querySelector('video').play()")
    page.wait_for_function("() => document.querySelector('video').currentTime >= 3", timeout=30_000)
    user = page.user  # type: ignore[attr-defined]
    # Reports go every 10 s: none of these 3 s has been sent yet.
    assert not LectureProgress.objects.filter(user=user, covered_seconds__gte=2).exists()

    page.goto("/")  # pagehide: the player sends what it has, with keepalive

    def sent() -> bool:
        row = LectureProgress.objects.filter(user=user, lecture=watch_lecture).first()
        return row is not None and row.covered_seconds >= 2.5

    _eventually(sent)
