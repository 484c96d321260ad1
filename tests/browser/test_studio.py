"""The instructor's studio in Chromium: the video panel in one state at a time, saying who can
see the video, and playing it in the studio itself; an upload whose bar goes back only with a
reason; a file that used to be sent as one part resuming from its missing parts (embedded and
S3); captions previewed as text and deleted; a refused form that keeps its place. Screenshots
of the studio's course and lecture pages, desktop and phone, go to test-results/browser/."""

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from lms.media import tasks
from lms.media.models import TranscodeJob, Upload
from tests.browser.cutting_proxy import cutting_proxy
from tests.browser.uploading import (
    upload_cut_then_resumed,
    upload_ready,
    wait_for,
)
from tests.video import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "browser"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def _shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.screenshot(path=str(SCREENSHOTS / f"studio-{name}-{label}.png"), full_page=True)
    page.set_viewport_size(DESKTOP)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    """~2 MB, 3 s: several parts, and long enough to watch playback move."""
    return make_clip(tmp_path_factory.mktemp("studio") / "1강.mp4", seconds=3, noise=True)


def _panel_texts(page: Page) -> list[str]:
    """The visible texts of the panel's state area."""
    return page.locator("[data-video-status]").evaluate(
        "box => [...box.querySelectorAll('p')].filter(p => p.offsetParent !== null)"
        ".map(p => p.innerText.trim()).filter(Boolean)"
    )


def test_the_panel_shows_one_state_at_a_time_and_plays_the_ready_video_in_the_studio(
    studio_page: Page, embedded_storage, clip
):
    page = studio_page
    page.set_viewport_size(DESKTOP)
    page.goto(page.url_path)  # type: ignore[attr-defined]
    panel = page.locator("[data-video-panel]")
    expect(panel).to_have_attribute("data-panel-state", "empty")
    expect(page.locator("[data-video-audience]")).to_have_text(
        "공개 중: 모든 회원이 이 영상을 볼 수 있습니다."
    )
    assert _panel_texts(page) == ["아직 영상이 없습니다."]
    expect(page.locator("[data-video-preview]")).to_be_hidden()

    upload_ready(page)
    page.set_input_files("[data-upload-input]", str(clip))
    expect(panel).to_have_attribute("data-upload-state", "done", timeout=60_000)
    expect(panel).to_have_attribute("data-panel-state", "processing")
    assert "아직 영상이 없습니다." not in _panel_texts(page)

    upload = Upload.objects.get()
    tasks.transcode_job(TranscodeJob.objects.get(asset=upload.asset).pk)

    expect(panel).to_have_attribute("data-panel-state", "ready")
    expect(page.locator("[data-video-label]")).to_have_text("영상이 준비되었습니다.")
    texts = _panel_texts(page)
    assert "아직 영상이 없습니다." not in texts
    assert texts[0] == "영상이 준비되었습니다."
    player = page.locator("[data-video-player]")
    expect(player).to_be_visible()
    # The studio's player plays the lecture's own signed playlist through hls.js.
    page.wait_for_function("() => document.querySelector('[data-video-player]').poster !== ''")
    player.evaluate("video => { video.muted = true; return video.play(); }")
    page.wait_for_function(
        "() => document.querySelector('[data-video-player]').currentTime > 0.5", timeout=30_000
    )

    # A reload shows the same single state, from the server.
    page.reload()
    expect(panel).to_have_attribute("data-panel-state", "ready")
    assert _panel_texts(page)[0] == "영상이 준비되었습니다."
    expect(page.locator("[data-replacement-notice]")).to_contain_text(
        "처리가 끝나는 즉시 별도 심사 없이"
    )
    _shoot(page, "lecture")


def test_the_bar_goes_back_only_with_a_reason_when_a_part_in_flight_is_lost(
    studio_page: Page, embedded_storage, live_server, clip
):
    page = studio_page
    port = int(live_server.url.rsplit(":", 1)[1])
    # A slow uplink, so that parts are in flight, their bytes counted by the bar as they go.
    with cutting_proxy(port, upload_bytes_per_second=250_000) as proxy:
        page.goto(proxy.url + page.url_path)  # type: ignore[attr-defined]
        seen: list[tuple[int, bool]] = []  # (bar, reason shown) at every change of the bar
        page.expose_function("lmsBar", lambda value, said: seen.append((int(value), said)))
        page.evaluate(
            """() => new MutationObserver(() => window.lmsBar(
                 document.querySelector('[data-upload-bar]').value,
                 !document.querySelector('[data-upload-back]').hidden))
               .observe(document.querySelector('[data-upload-percent]'),
                        {childList: true, subtree: true, characterData: true})"""
        )
        upload_ready(page)
        page.set_input_files("[data-upload-input]", str(clip))
        # The gateway loses the parts in flight, once the bar counts some of their bytes.
        # (Rarely, a part's bytes are counted only after it was lost, which takes nothing
        # back: then once more.)
        for _attempt in range(3):
            page.wait_for_function("() => window.lmsUpload.inFlight() > 100000", timeout=60_000)
            assert proxy.fail_in_flight() >= 1
            try:
                wait_for(page, lambda: any(said for _value, said in seen), timeout_s=10)
                break
            except AssertionError:
                continue
        assert any(said for _value, said in seen), seen
        assert "연결이 끊길 때 보내던 부분을 다시 보냅니다" in (
            page.locator("[data-upload-back]").text_content() or ""
        )
        proxy.upload_bytes_per_second = None
        panel = page.locator("[data-video-panel]")
        expect(panel).to_have_attribute("data-upload-state", "done", timeout=60_000)

    drops = [
        (i, value, said)
        for i, (value, said) in enumerate(seen)
        if value < max(v for v, _said in seen[: i + 1])
    ]
    assert drops, seen  # the bar did go back...
    assert all(said for _i, _value, said in drops), drops  # ...and said why each time
    assert seen[-1][0] == 100
    upload = Upload.objects.get()
    assert upload.state == "completed"
    assert upload.asset is not None
    assert upload.asset.original_size_bytes == clip.stat().st_size


@pytest.fixture(scope="module")
def ten_megabytes(tmp_path_factory) -> Path:
    """~12 MB: one part of 16 MiB before parts were sized to the file, three of 5 MiB on S3."""
    return make_clip(
        tmp_path_factory.mktemp("studio") / "2강.mp4", seconds=1.5, size="640x360", noise=True
    )


@pytest.fixture(scope="module")
def two_megabytes(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("studio") / "3강.mp4", seconds=1, noise=True)


def test_a_file_that_was_one_part_resumes_from_its_missing_parts_embedded(
    studio_page: Page, embedded_storage, settings, two_megabytes
):
    # The production part size: with it, this file used to be one part that started over.
    settings.UPLOAD_PART_SIZE = 16 * 1024 * 1024
    page = studio_page
    page.goto(page.url_path)  # type: ignore[attr-defined]

    upload = upload_cut_then_resumed(page, two_megabytes)

    assert upload.part_size == 64 * 1024
    assert upload.parts_count >= 30


@pytest.mark.s3
def test_a_file_that_was_one_part_resumes_from_its_missing_parts_on_s3(
    studio_page: Page, settings, s3_server, s3_storage, live_server, ten_megabytes
):
    from tests.s3 import cors_configure

    cors_configure(s3_server, [live_server.url])
    settings.UPLOAD_PART_SIZE = 16 * 1024 * 1024
    page = studio_page
    page.goto(page.url_path)  # type: ignore[attr-defined]

    upload = upload_cut_then_resumed(page, ten_megabytes)

    assert upload.part_size == 5 * 1024 * 1024  # S3's smallest, not 16 MiB
    assert upload.parts_count == 3


def _in_view(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return r.top < window.innerHeight && r.bottom > 0; }"
    )


def test_captions_are_previewed_as_text_and_deleted_and_a_refused_form_keeps_its_place(
    studio_page: Page, tmp_path
):
    from lms.catalog.models import Course, Lecture
    from lms.studio import services

    page = studio_page
    lecture = Lecture.objects.get()
    Lecture.objects.filter(pk=lecture.pk).update(duration_seconds=600)  # chapters need a length
    services.chapter_add(lecture=lecture, start_seconds=0, title="들어가며")
    srt = tmp_path / "1강 자막.srt"
    srt.write_text(
        "1\n00:00:01,000 --> 00:00:03,000\n안녕하세요, 모니터링의 이해입니다.\n\n"
        "2\n00:00:04,000 --> 00:00:06,500\n오늘은 평가표를\n함께 봅니다.\n",
        encoding="utf-8",
    )
    page.set_viewport_size(DESKTOP)
    page.goto(page.url_path)  # type: ignore[attr-defined]

    page.locator("#id_caption-file").set_input_files(str(srt))
    page.get_by_role("button", name="자막 올리기").click()
    expect(page.locator("#captions")).to_contain_text("한국어 · 2줄 · 1강 자막.srt")
    assert page.url.endswith("#captions")

    page.locator("#captions").get_by_role("link", name="미리 보기").click()
    expect(page.get_by_role("heading", name="한국어 자막")).to_be_visible()
    cues = page.locator("[data-caption-cues] tbody tr")
    expect(cues).to_have_count(2)
    expect(cues.nth(0)).to_contain_text("00:01.000")
    expect(cues.nth(0)).to_contain_text("안녕하세요, 모니터링의 이해입니다.")
    expect(cues.nth(1)).to_contain_text("오늘은 평가표를")
    _shoot(page, "captions")

    page.get_by_role("button", name="이 자막 삭제").click()
    expect(page.locator("#captions")).to_contain_text("자막이 없습니다.")
    assert not lecture.captions.exists()

    # A chapter time past the end of the video: the page comes back at the chapters, with
    # the error under the time field.
    page.goto(page.url_path)  # type: ignore[attr-defined]
    page.locator("#id_chapter-start").fill("12:00")
    page.locator("#id_chapter-title").fill("마무리")
    page.get_by_role("button", name="챕터 추가").click()
    error = page.locator("#id_chapter-start_error")
    expect(error).to_contain_text("12:00 시점은 강의 길이(10:00)보다 뒤입니다.")
    assert page.evaluate("window.scrollY") > 0
    assert _in_view(page, "#id_chapter-start_error")

    # A chapter is edited in place.
    chapter = lecture.chapters.get()
    item = page.locator(f"#chapter-{chapter.pk}")
    item.get_by_text("수정").click()
    item.locator(f"#id_chapter-{chapter.pk}-title").fill("시작하며")
    item.get_by_role("button", name="챕터 저장").click()
    expect(page.locator(f"#chapter-{chapter.pk}")).to_contain_text("시작하며")
    _shoot(page, "lecture-chapters")

    course = Course.objects.get()
    page.goto(f"/studio/courses/{course.pk}/")
    expect(page.locator("[data-review-notice]")).to_have_text(
        "공개 중: 모든 회원이 강좌를 볼 수 있습니다."
    )
    _shoot(page, "course")
