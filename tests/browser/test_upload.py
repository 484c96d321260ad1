"""An instructor uploads a lecture video from the studio, in Chromium: the connection drops in
the middle, the page is reloaded, the same file is picked again and only the missing parts are
sent; then the video is encoded and the page shows it ready without a reload. Once with the
embedded storage (parts go to the platform) and once on S3 (parts go straight to SeaweedFS).

The mechanics of the cut connection and of the transcode run live in tests/browser/uploading.py,
shared with the whole teaching journey (test_teaching_journey.py).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from lms.media.models import TranscodeJob, Upload
from tests.browser.uploading import (
    held_parts,
    is_part_put,
    transcode_and_see_ready,
    upload_cut_then_resumed,
    upload_ready,
    wait_for,
)
from tests.video import make_clip

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


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


def _upload_cut_then_resumed(page: Page, clip: Path) -> None:
    """The journey both storage modes share."""
    page.goto(page.url_path)  # type: ignore[attr-defined]
    upload = upload_cut_then_resumed(page, clip)
    transcode_and_see_ready(page, upload)


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
            is_part_put(r)
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


def test_cancelling_an_upload_deletes_what_was_sent(
    studio_page: Page, embedded_storage, small_clip
):
    page = studio_page
    first_done = False

    def stall_after_first(route: Route) -> None:
        nonlocal first_done
        if is_part_put(route.request) and first_done:
            return  # never answered: the upload stays in progress
        first_done = first_done or is_part_put(route.request)
        route.continue_()

    page.route(re.compile(".*"), stall_after_first)
    page.goto(page.url_path)  # type: ignore[attr-defined]
    upload_ready(page)
    page.set_input_files("[data-upload-input]", str(small_clip))
    wait_for(page, lambda: held_parts() >= 1)

    page.get_by_role("button", name="업로드 취소").click()

    panel = page.locator("[data-video-panel]")
    expect(panel).to_have_attribute("data-upload-state", "cancelled")
    expect(page.locator("[data-upload-message]")).to_contain_text("취소")
    wait_for(page, lambda: Upload.objects.get().parts_deleted_at is not None)
    assert Upload.objects.get().state == "aborted"
    assert not any((embedded_storage / "upload-parts").iterdir())
    assert page.evaluate("localStorage.length") == 0


def test_processing_can_be_stopped_and_tried_again_from_the_page(
    studio_page: Page, embedded_storage, small_clip
):
    page = studio_page
    page.goto(page.url_path)  # type: ignore[attr-defined]
    upload_ready(page)
    page.set_input_files("[data-upload-input]", str(small_clip))
    # As long as the other uploads are given (tests/browser/uploading.py): a loaded machine
    # sends the clip at a few hundred KB/s.
    expect(page.locator("[data-video-panel]")).to_have_attribute(
        "data-upload-state", "done", timeout=60_000
    )
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
