"""An instructor uploads a lecture video from the studio, in Chromium: the connection drops in
the middle, the page is reloaded, the same file is picked again and only the missing parts are
sent; then the video is encoded and the page shows it ready without a reload. Once with the
embedded storage (parts go to the platform) and once on S3 (parts go straight to SeaweedFS).

No Celery worker runs in tests: when the upload is complete the test runs the transcode task
in its own thread (`tasks.transcode_job(job_id)`), exactly as a worker would, while the page
polls the status endpoint.
"""

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Error, Page, Request, Route, expect

from lms.media import tasks, uploads
from lms.media.models import TranscodeJob, Upload
from tests.browser.conftest import close_quietly, signed_in_context
from tests.video import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RESUME_HINT = "같은 파일을 다시 선택하면 이어서 올립니다"


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory) -> Path:
    """~2 MB: 8+ parts of 256 KiB."""
    return make_clip(tmp_path_factory.mktemp("up") / "1강.mp4", seconds=1, noise=True)


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory) -> Path:
    """~12 MB: 3 parts of 5 MiB, S3's smallest part size."""
    return make_clip(
        tmp_path_factory.mktemp("up") / "2강.mp4", seconds=1.5, size="640x360", noise=True
    )


@pytest.fixture
def studio_page(
    browser: Browser, live_server, transactional_db, settings, tmp_path
) -> Iterator[Page]:
    """An instructor signed in, on the studio page of a lecture of their published course."""
    from tests.factories import CourseFactory, LectureFactory, UserFactory

    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    instructor = UserFactory(is_instructor=True)
    course = CourseFactory(title="상담 품질 관리")
    course.instructors.add(instructor)
    lecture = LectureFactory(course=course, title="모니터링의 이해", duration_seconds=0)
    context = signed_in_context(browser, live_server.url, instructor)
    page = context.new_page()
    page.lecture = lecture  # type: ignore[attr-defined]
    page.url_path = f"/studio/courses/{course.pk}/lectures/{lecture.pk}/"  # type: ignore[attr-defined]
    yield page
    close_quietly(context)


def _is_part_put(request: Request) -> bool:
    if request.method != "PUT":
        return False
    return bool(re.search(r"/parts/\d+$", request.url) or "partNumber=" in request.url)


def _wait_for(page: Page, condition: Callable[[], bool], timeout_s: float = 20) -> None:
    """Poll a database condition while letting Playwright dispatch its events."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        page.wait_for_timeout(100)


def _held_parts() -> int:
    upload = Upload.objects.filter(state="open").first()
    return 0 if upload is None else len(uploads.upload_parts(upload=upload))


def _upload_cut_then_resumed(page: Page, clip: Path) -> None:
    """The journey both storage modes share."""
    put_parts: list[str] = []
    page.on("request", lambda request: _is_part_put(request) and put_parts.append(request.url))
    held: list[Route] = []
    first_sent = False
    offline = False

    def one_part_then_hold(route: Route) -> None:
        # The first part goes through; the others hang until the connection "drops", and
        # from then on every part fails as it would offline.
        nonlocal first_sent
        if not _is_part_put(route.request):
            route.continue_()
        elif offline:
            route.abort("internetdisconnected")
        elif not first_sent:
            first_sent = True
            route.continue_()
        else:
            held.append(route)

    everything = re.compile(".*")
    page.route(everything, one_part_then_hold)
    page.goto(page.url_path)  # type: ignore[attr-defined]
    page.set_input_files("[data-upload-input]", str(clip))
    _wait_for(page, lambda: _held_parts() >= 1)
    upload = Upload.objects.get()
    assert upload.parts_count >= 3

    page.context.set_offline(True)
    offline = True
    for route in held:
        route.abort("internetdisconnected")
    panel = page.locator("[data-video-panel]")
    expect(panel).to_have_attribute("data-upload-state", "offline")
    with pytest.raises(Error):
        page.reload()  # offline: the page cannot even load
    # The browser's offline error page replaces the studio page (whose script is gone, as
    # with a closed tab): wait for it, or the old page could carry on once back online.
    page.wait_for_function("() => !('lmsUpload' in window)")
    page.unroute(everything)
    page.context.set_offline(False)
    page.goto(page.url_path)  # type: ignore[attr-defined]
    expect(page.locator("[data-upload-resume]")).to_contain_text(RESUME_HINT)
    # What the server holds: the part let through (and, if the browser had another request
    # already under way when the connection dropped, that one too), never all of them.
    stored = {part.number for part in uploads.upload_parts(upload=upload)}
    assert 1 <= len(stored) < upload.parts_count
    sent_before_reload = len(put_parts)

    page.set_input_files("[data-upload-input]", str(clip))

    expect(panel).to_have_attribute("data-upload-state", "done", timeout=60_000)
    after_reload = put_parts[sent_before_reload:]
    numbers = sorted(
        int(re.search(r"(?:/parts/|partNumber=)(\d+)", url).group(1)) for url in after_reload
    )  # type: ignore[union-attr]
    expected = [n for n in range(1, upload.parts_count + 1) if n not in stored]
    assert numbers == expected  # only the missing parts, each once
    upload.refresh_from_db()
    assert upload.state == "completed" and upload.asset is not None
    assert upload.asset.original_size_bytes == clip.stat().st_size
    expect(page.locator("[data-video-label]")).to_contain_text("처리")

    job = TranscodeJob.objects.get(asset=upload.asset)
    tasks.transcode_job(job.pk)  # what the worker would do

    expect(page.locator("[data-video-status]")).to_have_attribute("data-state", "ready")
    expect(page.locator("[data-video-label]")).to_contain_text("준비되었습니다")
    poster = page.locator("[data-video-poster]")
    expect(poster).to_be_visible()
    page.wait_for_function("document.querySelector('[data-video-poster]').naturalWidth > 0")
    page.lecture.refresh_from_db()  # type: ignore[attr-defined]
    assert page.lecture.video_id == upload.asset_id  # type: ignore[attr-defined]
    assert page.evaluate("localStorage.length") == 0


def test_an_interrupted_upload_resumes_after_a_reload_and_turns_ready_embedded(
    studio_page: Page, embedded_storage, small_clip
):
    _upload_cut_then_resumed(studio_page, small_clip)


@pytest.mark.s3
def test_an_interrupted_upload_resumes_after_a_reload_and_turns_ready_on_s3(
    studio_page: Page, settings, s3_server, s3_storage, live_server, big_clip
):
    from tests.s3 import cors_configure

    cors_configure(s3_server, [live_server.url])
    settings.UPLOAD_PART_SIZE = 256 * 1024  # raised to 5 MiB, S3's minimum
    requests_to_django: list[str] = []
    studio_page.on(
        "request",
        lambda r: (
            _is_part_put(r)
            and r.url.startswith(live_server.url)
            and requests_to_django.append(r.url)
        ),
    )

    _upload_cut_then_resumed(studio_page, big_clip)

    assert requests_to_django == []  # every part went straight to the bucket
    upload = Upload.objects.get()
    stored = s3_server.client().head_object(
        Bucket=s3_server.bucket, Key=f"{s3_storage.location}/{upload.key}"
    )
    assert stored["ContentLength"] == big_clip.stat().st_size


@pytest.fixture
def embedded_storage(settings, tmp_path) -> Path:
    settings.UPLOAD_PART_SIZE = 256 * 1024
    media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(media), "base_url": "/media/"},
        },
    }
    return media


def test_cancelling_an_upload_deletes_what_was_sent(
    studio_page: Page, embedded_storage, small_clip
):
    page = studio_page
    first_done = False

    def stall_after_first(route: Route) -> None:
        nonlocal first_done
        if _is_part_put(route.request) and first_done:
            return  # never answered: the upload stays in progress
        first_done = first_done or _is_part_put(route.request)
        route.continue_()

    page.route(re.compile(".*"), stall_after_first)
    page.goto(page.url_path)  # type: ignore[attr-defined]
    page.set_input_files("[data-upload-input]", str(small_clip))
    _wait_for(page, lambda: _held_parts() >= 1)

    page.get_by_role("button", name="업로드 취소").click()

    panel = page.locator("[data-video-panel]")
    expect(panel).to_have_attribute("data-upload-state", "cancelled")
    expect(page.locator("[data-upload-message]")).to_contain_text("취소")
    _wait_for(page, lambda: Upload.objects.get().parts_deleted_at is not None)
    assert Upload.objects.get().state == "aborted"
    assert not any((embedded_storage / "upload-parts").iterdir())
    assert page.evaluate("localStorage.length") == 0


def test_processing_can_be_stopped_and_tried_again_from_the_page(
    studio_page: Page, embedded_storage, small_clip
):
    page = studio_page
    page.goto(page.url_path)  # type: ignore[attr-defined]
    page.set_input_files("[data-upload-input]", str(small_clip))
    expect(page.locator("[data-video-panel]")).to_have_attribute("data-upload-state", "done")
    expect(page.locator("[data-video-status]")).to_have_attribute("data-job-state", "queued")

    page.locator("[data-video-cancel]").click()

    status = page.locator("[data-video-status]")
    expect(status).to_have_attribute("data-job-state", "cancelled")
    expect(page.locator("[data-video-label]")).to_contain_text("처리하지 못했습니다")
    retry = page.locator("[data-video-retry]")
    expect(retry).to_be_visible()
    retry.click()
    expect(status).to_have_attribute("data-job-state", "queued")
    assert TranscodeJob.objects.filter(state="queued").count() == 1
    assert TranscodeJob.objects.filter(state="cancelled").count() == 1
