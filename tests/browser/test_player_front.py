"""The player as members meet it (issue 20), on a desktop (1366×768) and a phone (390×844,
touch): one set of controls, the platform's own, with Korean names a screen reader reads and
keys that work; Korean captions first and `C` for the member's own track; the quality auto
plays; the time under the pointer on the seek bar; the next lecture after a countdown; the
course's count of completed lectures as it changes; the first tap on a phone. Screenshots go
to test-results/browser/."""

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from lms.catalog.models import Lecture, Status
from lms.learning.models import CourseProgress, LectureProgress
from lms.media import assets
from lms.studio.services import caption_upload

from .conftest import close_quietly
from .playing import checked, choose, items
from .test_player import ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
DESKTOP = {"viewport": {"width": 1366, "height": 768}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
VIDEO = "document.querySelector('video')"


def _context_page(browser: Browser, base_url: str, user, device: dict) -> Page:
    """A Korean page on `device`, signed in as `user`."""
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=base_url, locale="ko-KR", **device)
    context.set_default_timeout(20_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": base_url,
            }
        ]
    )
    page = context.new_page()
    page.user = user  # type: ignore[attr-defined]
    return page


@pytest.fixture(params=["desktop", "phone"])
def device_page(request, browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    """A fresh member on a desktop, then on a phone."""
    from tests.factories import UserFactory

    device = DESKTOP if request.param == "desktop" else PHONE
    page = _context_page(browser, live_server.url, UserFactory(), device)
    page.device = request.param  # type: ignore[attr-defined]
    yield page
    close_quietly(page.context)


@pytest.fixture
def desktop_page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    from tests.factories import UserFactory

    page = _context_page(browser, live_server.url, UserFactory(), DESKTOP)
    yield page
    close_quietly(page.context)


@pytest.fixture
def phone_page(browser: Browser, live_server, transactional_db) -> Iterator[Page]:
    from tests.factories import UserFactory

    page = _context_page(browser, live_server.url, UserFactory(), PHONE)
    yield page
    close_quietly(page.context)


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def _cue_showing(page: Page, text: str) -> None:
    page.wait_for_function(
        f"() => [...{VIDEO}.textTracks].some(t => t.mode === 'showing' && t.cues && "
        f"[...t.cues].some(c => c.text.includes({text!r})))",
        timeout=30_000,
    )


def _english_captions(lecture) -> None:
    caption_upload(
        lecture=lecture,
        language="en",
        upload=SimpleUploadedFile(
            "en.srt", b"1\n00:00:00,000 --> 00:00:13,000\nHello, these are captions\n"
        ),
    )


def _near_the_end(lecture, user) -> None:
    """The member has watched 12 s of the 14 s lecture: a little more completes it."""
    LectureProgress.objects.create(
        user=user,
        lecture=lecture,
        coverage=[[0.0, 12.0]],
        covered_seconds=12,
        credited_seconds=12,
        furthest_position=12,
        position=12,
        last_report_at=timezone.now() - timedelta(minutes=1),
    )
    CourseProgress.objects.create(user=user, course=lecture.course)


def _play_the_end(page: Page) -> None:
    page.evaluate(f"() => {{ const v = {VIDEO}; v.muted = true; v.currentTime = 11.5; v.play(); }}")


# ---------------------------------------------------------------- one set of controls


def test_the_player_has_one_set_of_controls_named_in_korean(device_page: Page, watch_lecture):
    page = device_page
    ready(page)
    assert page.evaluate(f"{VIDEO}.controls") is False  # no native controls under ours
    assert page.evaluate(f"{VIDEO}.hasAttribute('controls')") is False
    player = page.locator("[data-player]")

    play = player.get_by_role("button", name="재생", exact=True)
    expect(play).to_be_visible()
    expect(player.get_by_role("button", name="음소거 해제")).to_be_visible()  # ready() muted it
    expect(player.get_by_role("button", name="전체 화면")).to_be_visible()
    expect(player.get_by_role("button", name="재생 속도: 1×")).to_be_visible()
    expect(player.get_by_role("button", name=re.compile(r"^화질: 자동 \(\d+p\)$"))).to_be_visible()
    expect(player.get_by_role("button", name="자막: 한국어")).to_be_visible()
    slider = player.get_by_role("slider", name="재생 위치 이동")
    expect(slider).to_be_visible()

    page.evaluate(f"() => {{ {VIDEO}.currentTime = 3; }}")
    expect(slider).to_have_attribute("aria-valuetext", "14초 중 3초")
    expect(slider).to_have_attribute("aria-valuenow", "3")
    expect(slider).to_have_attribute("aria-valuemax", "14")
    expect(page.locator("[data-time-now]")).to_have_text("0:03")
    expect(page.locator("[data-time-total]")).to_have_text("0:14")

    play.click()
    pause = player.get_by_role("button", name="일시정지", exact=True)
    expect(pause).to_be_visible()
    page.wait_for_function(f"() => !{VIDEO}.paused")
    _cue_showing(page, "자막입니다")
    _shot(page, f"lecture-playing-{page.device}")  # type: ignore[attr-defined]
    pause.click()
    page.wait_for_function(f"() => {VIDEO}.paused")


def test_shortcut_hints_show_on_a_desktop_and_not_on_a_phone(device_page: Page, watch_lecture):
    page = device_page
    ready(page)
    hints = page.locator("[data-player-help]")
    if page.device == "desktop":  # type: ignore[attr-defined]
        expect(hints).to_be_visible()
        expect(hints).to_contain_text("단축키")
        expect(page.locator("[data-volume]")).to_be_visible()
    else:
        expect(hints).to_be_hidden()
        expect(page.locator("[data-volume]")).to_be_hidden()  # the phone's own buttons


def test_the_first_tap_on_a_phone_starts_playback(phone_page: Page, watch_lecture):
    page = phone_page
    ready(page)
    box = page.locator("video").bounding_box()
    assert box is not None
    # Off the big play button: anywhere on the picture.
    page.touchscreen.tap(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.3)
    page.wait_for_function(f"() => !{VIDEO}.paused && {VIDEO}.currentTime > 0.5")
    expect(page.locator("[data-player]")).to_have_attribute("data-state", "playing")


def test_the_big_play_button_starts_playback_with_one_tap(phone_page: Page, watch_lecture):
    page = phone_page
    ready(page)
    page.locator("[data-big-play]").tap()
    page.wait_for_function(f"() => !{VIDEO}.paused")
    expect(page.locator("[data-big-play]")).to_be_hidden()


# ---------------------------------------------------------------- the keyboard


def test_every_control_works_from_the_keyboard_alone(desktop_page: Page, watch_lecture):
    page = desktop_page
    ready(page)
    play = page.locator("[data-play]")
    play.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !{VIDEO}.paused")
    page.keyboard.press("Space")  # a focused button keeps Space: pressed once, paused once
    page.wait_for_function(f"() => {VIDEO}.paused")
    # The focus is seen: the ring of :focus-visible.
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"

    page.keyboard.press("Shift+Tab")  # the seek bar, a slider
    expect(page.locator("[data-seekbar]")).to_be_focused()
    page.keyboard.press("End")
    page.wait_for_function(f"() => {VIDEO}.currentTime > 13")
    page.keyboard.press("Home")
    page.wait_for_function(f"() => {VIDEO}.currentTime < 0.5")
    page.keyboard.press("ArrowRight")  # 5 s once, not twice (the page's own → too)
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 5) < 0.3")
    page.keyboard.press("PageUp")
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 14) < 0.5")

    speed = page.locator('[data-menu-button="speed"]')
    speed.focus()
    page.keyboard.press("Enter")
    expect(page.locator('[data-menu="speed"]')).to_be_visible()
    expect(page.locator('[data-menu="speed"] [aria-checked=true]')).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator('[data-menu="speed"]')).to_be_hidden()
    expect(speed).to_be_focused()  # back on its button
    page.wait_for_function(f"() => {VIDEO}.playbackRate === 1.25")
    expect(speed).to_have_attribute("aria-label", "재생 속도: 1.25×")

    captions = page.locator('[data-menu-button="captions"]')
    captions.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Home")
    expect(page.locator('[data-menu="captions"] [data-value=""]')).to_be_focused()
    page.keyboard.press("Escape")  # closes without a choice
    expect(page.locator('[data-menu="captions"]')).to_be_hidden()
    expect(captions).to_be_focused()
    assert checked(page, "captions") == "한국어"
    page.keyboard.press("Enter")
    page.keyboard.press("Home")
    page.keyboard.press(" ")
    assert checked(page, "captions") == "끄기"
    page.wait_for_function(f"() => [...{VIDEO}.textTracks].every(t => t.mode !== 'showing')")

    mute = page.locator("[data-mute]")
    mute.focus()
    page.keyboard.press("Enter")  # ready() muted the video
    page.wait_for_function(f"() => !{VIDEO}.muted")
    expect(mute).to_have_attribute("aria-label", "음소거")


def test_number_keys_jump_and_letter_keys_work_in_either_case_but_not_in_text_boxes(
    desktop_page: Page, watch_lecture
):
    page = desktop_page
    ready(page)
    page.locator("h1").click()
    page.keyboard.press("5")  # half the lecture, as on YouTube
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 7) < 0.3")
    page.keyboard.press("Shift+K")  # Caps Lock or Shift: the same key
    page.wait_for_function(f"() => !{VIDEO}.paused")
    page.keyboard.press("k")
    page.wait_for_function(f"() => {VIDEO}.paused")

    question = page.locator(".qna textarea").first  # where the member writes, keys are letters
    expect(question).to_be_visible()
    question.type("k l j")
    expect(question).to_have_value("k l j")
    page.wait_for_timeout(300)
    assert page.evaluate(f"{VIDEO}.paused") is True
    assert abs(page.evaluate(f"{VIDEO}.currentTime") - 7) < 0.3


def test_the_volume_slider_sets_the_volume_and_it_is_kept(desktop_page: Page, watch_lecture):
    page = desktop_page
    ready(page)
    page.evaluate(f"() => {{ {VIDEO}.muted = false; }}")
    volume = page.get_by_role("slider", name="음량")
    expect(volume).to_have_attribute("aria-valuetext", "100%")
    volume.focus()
    for _ in range(4):
        page.keyboard.press("ArrowLeft")  # 5 % a step
    page.wait_for_function(f"() => Math.abs({VIDEO}.volume - 0.8) < 0.01")
    expect(volume).to_have_attribute("aria-valuetext", "80%")

    page.reload()
    page.wait_for_function(f"() => Math.abs({VIDEO}.volume - 0.8) < 0.01")
    expect(page.get_by_role("slider", name="음량")).to_have_attribute("aria-valuetext", "80%")


# ---------------------------------------------------------------- captions and quality


def test_korean_captions_come_first_and_c_turns_on_the_track_chosen_last(
    desktop_page: Page, watch_lecture
):
    _english_captions(watch_lecture)
    page = desktop_page
    ready(page)
    page.evaluate(f"() => {VIDEO}.play()")
    assert items(page, "captions") == ["끄기", "한국어", "영어"]
    assert checked(page, "captions") == "한국어"  # the first visit: Korean on

    choose(page, "captions", "영어")
    _cue_showing(page, "Hello")
    page.locator("h1").click()
    page.keyboard.press("c")
    assert checked(page, "captions") == "끄기"

    page.reload()  # another day: the member's choice holds (off)...
    page.wait_for_function(f"() => {VIDEO}.readyState >= 2")
    assert checked(page, "captions") == "끄기"
    page.evaluate(f"() => {{ {VIDEO}.muted = true; {VIDEO}.play(); }}")
    page.locator("h1").click()
    page.keyboard.press("c")  # ...and C brings back English, not the first track
    assert checked(page, "captions") == "영어"
    _cue_showing(page, "Hello")
    expect(page.locator('[data-menu-button="captions"]')).to_have_attribute(
        "aria-label", "자막: 영어"
    )


def test_auto_quality_says_which_rendition_is_playing(desktop_page: Page, watch_lecture):
    page = desktop_page
    ready(page)
    page.evaluate(f"() => {VIDEO}.play()")
    page.wait_for_function(
        f"() => {VIDEO}.currentTime > 1 && window.lmsPlayer.hls.currentLevel >= 0"
    )
    playing = page.evaluate(
        "() => window.lmsPlayer.hls.levels[window.lmsPlayer.hls.currentLevel].height"
    )
    auto = page.locator('[data-menu="quality"] [data-value="-1"]')
    expect(auto).to_have_text(f"자동 ({playing}p)")
    expect(page.locator('[data-menu-button="quality"]')).to_have_attribute(
        "aria-label", f"화질: 자동 ({playing}p)"
    )

    choose(page, "quality", "360p")  # a fixed choice: auto no longer names one
    expect(auto).to_have_text("자동")
    expect(page.locator('[data-menu-button="quality"]')).to_have_attribute(
        "aria-label", "화질: 360p"
    )


# ---------------------------------------------------------------- the seek bar


def test_the_storyboard_label_shows_the_time_under_the_pointer(desktop_page: Page, watch_lecture):
    page = desktop_page
    with page.expect_response(lambda r: "storyboard" in r.url and r.ok):
        ready(page)
    bar = page.locator("[data-seekbar]").bounding_box()
    player = page.locator("[data-player]").bounding_box()
    assert bar is not None
    assert player is not None
    duration = page.evaluate(f"{VIDEO}.duration")
    preview = page.locator("[data-seek-preview]")
    for fraction in (0.02, 0.25, 0.5, 0.75, 0.99):
        x = bar["x"] + bar["width"] * fraction
        page.mouse.move(x, bar["y"] + bar["height"] / 2)
        expect(preview).to_have_attribute("data-thumbnail", "1")
        seconds = int((x - bar["x"]) / bar["width"] * duration)
        expect(preview.locator("span")).to_have_text(f"0:{seconds:02d}")
        # The whole tile and its label stay inside the player, also at either end.
        tile = preview.bounding_box()
        assert tile is not None
        assert tile["x"] >= player["x"] - 0.5
        assert tile["x"] + tile["width"] <= player["x"] + player["width"] + 0.5
    _shot(page, "lecture-seek-preview-desktop")


def test_a_drag_on_the_seek_bar_seeks_once_where_it_ends(desktop_page: Page, watch_lecture):
    page = desktop_page
    ready(page)
    # `seeking` is an event queued after currentTime changes; `seeked` follows it, so a seek
    # is counted once its `seeked` has been seen.
    page.evaluate(
        f"""() => {{
          window.seeks = 0;
          window.seeked = 0;
          {VIDEO}.addEventListener('seeking', () => window.seeks++);
          {VIDEO}.addEventListener('seeked', () => window.seeked++);
        }}"""
    )
    bar = page.locator("[data-seekbar]").bounding_box()
    assert bar is not None
    y = bar["y"] + bar["height"] / 2
    page.mouse.move(bar["x"] + bar["width"] * 0.2, y)
    page.mouse.down()
    page.mouse.move(bar["x"] + bar["width"] * 0.4, y, steps=5)
    page.mouse.move(bar["x"] + bar["width"] * 0.6, y, steps=5)
    assert page.evaluate("window.seeks") == 0  # not while dragging: every seek is reported
    page.mouse.up()
    page.wait_for_function(
        f"() => window.seeked > 0 && Math.abs({VIDEO}.currentTime - 0.6 * {VIDEO}.duration) < 0.3"
    )
    assert page.evaluate("window.seeks") == 1

    page.mouse.click(bar["x"] + bar["width"] * 0.25, y)  # a click seeks too
    page.wait_for_function(f"() => Math.abs({VIDEO}.currentTime - 0.25 * {VIDEO}.duration) < 0.3")


# ---------------------------------------------------------------- the next lecture


def test_at_the_end_the_next_lecture_follows_a_countdown(device_page: Page, watch_lecture):
    page = device_page
    ready(page)
    prompt = page.locator("[data-next]")
    expect(prompt).to_be_hidden()
    _play_the_end(page)
    expect(prompt).to_be_visible(timeout=30_000)
    expect(prompt).to_contain_text("다음 강의")
    expect(prompt).to_contain_text("2. 코칭의 이해")
    expect(prompt.locator("[data-next-countdown]")).to_have_text(
        re.compile(r"^[1-5]초 후에 시작합니다$")
    )
    expect(prompt.get_by_role("button", name="취소")).to_be_visible()
    _shot(page, f"lecture-next-{page.device}")  # type: ignore[attr-defined]

    page.wait_for_url(re.compile(r"/courses/player-course/lectures/2/$"), timeout=10_000)


def test_the_countdown_is_cancelled_with_escape_or_the_button(desktop_page: Page, watch_lecture):
    page = desktop_page
    ready(page)
    prompt = page.locator("[data-next]")
    _play_the_end(page)
    expect(prompt).to_be_visible(timeout=30_000)
    page.keyboard.press("Escape")
    expect(prompt).to_be_hidden()

    page.evaluate(f"() => {{ {VIDEO}.currentTime = 12.5; {VIDEO}.play(); }}")
    expect(prompt).to_be_visible(timeout=30_000)
    prompt.get_by_role("button", name="취소").click()
    expect(prompt).to_be_hidden()

    page.evaluate(f"() => {{ {VIDEO}.currentTime = 12.5; {VIDEO}.play(); }}")
    expect(prompt).to_be_visible(timeout=30_000)
    page.locator("h1").click()
    page.keyboard.press("j")  # going back to watch again cancels it too
    expect(prompt).to_be_hidden()
    page.wait_for_timeout(6_000)  # longer than the countdown
    assert page.url.endswith("/lectures/1/")


def test_the_next_lecture_carries_on_playing(desktop_page: Page, watch_lecture):
    second = Lecture.objects.get(course=watch_lecture.course, position=2)
    assets.lecture_attach_video(lecture=second, asset=watch_lecture.video)
    page = desktop_page
    ready(page)
    _play_the_end(page)
    page.locator("[data-next-go]").click()
    page.wait_for_url(re.compile(r"/lectures/2/$"))
    page.wait_for_function(f"() => !{VIDEO}.paused && {VIDEO}.currentTime > 0.5", timeout=30_000)


def test_completing_the_course_stops_the_countdown_for_the_moment(
    desktop_page: Page, watch_lecture
):
    """Watched out of order: the second lecture is done, the first completes the course. The
    page celebrates instead of moving on to a lecture already done."""
    page = desktop_page
    user = page.user  # type: ignore[attr-defined]
    _near_the_end(watch_lecture, user)
    LectureProgress.objects.create(
        user=user,
        lecture=Lecture.objects.get(course=watch_lecture.course, position=2),
        completed_at=timezone.now() - timedelta(days=1),
        last_report_at=timezone.now() - timedelta(days=1),
    )
    ready(page)
    _play_the_end(page)

    expect(page.locator("[data-course-completed]")).to_be_visible(timeout=30_000)
    expect(page.locator("[data-next]")).to_be_hidden()
    page.wait_for_timeout(6_000)
    assert page.url.endswith("/lectures/1/")


def test_the_last_lecture_has_no_next_lecture_prompt(desktop_page: Page, watch_lecture):
    Lecture.objects.filter(course=watch_lecture.course, position=2).update(status=Status.DRAFT)
    page = desktop_page
    ready(page)
    assert page.locator("[data-next]").count() == 0
    _play_the_end(page)
    page.wait_for_function(f"() => {VIDEO}.ended", timeout=30_000)
    page.wait_for_timeout(6_000)
    assert page.url.endswith("/lectures/1/")


# ---------------------------------------------------------------- the course outline


def test_the_outline_count_changes_when_the_lecture_completes(device_page: Page, watch_lecture):
    page = device_page
    _near_the_end(watch_lecture, page.user)  # type: ignore[attr-defined]
    ready(page)
    summary = page.locator("[data-course-progress]")
    expect(summary).to_have_text("2개 중 0개 완료(0%)")
    item = page.locator(f'[data-outline-lecture="{watch_lecture.pk}"]')

    _play_the_end(page)

    expect(summary).to_have_text("2개 중 1개 완료(50%)", timeout=30_000)
    expect(item).to_have_attribute("data-state", "completed")
    expect(item.locator("[data-outline-state]")).to_have_text("완료")
