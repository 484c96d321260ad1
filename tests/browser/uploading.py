"""What the browser tests do with the studio's video panel: upload a file with the connection cut
in the middle and the page reloaded, then watch the video turn ready without a reload.

No Celery worker runs in tests: when the upload is complete, `transcode_and_see_ready` runs the
transcode task in the test's thread (`tasks.transcode_job(job_id)`), exactly as a worker would,
while the page polls the status endpoint.
"""

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Error, Page, Request, Route, expect

from lms.media import tasks, uploads
from lms.media.models import TranscodeJob, Upload

RESUME_HINT = "같은 파일을 다시 선택하면 이어서 올립니다"


def is_part_put(request: Request) -> bool:
    if request.method != "PUT":
        return False
    return bool(re.search(r"/parts/\d+$", request.url) or "partNumber=" in request.url)


def wait_for(page: Page, condition: Callable[[], bool], timeout_s: float = 60) -> None:
    """Poll a database condition while letting Playwright dispatch its events (a part of a
    noisy clip through the live server can take a while on a loaded 2-core machine)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        page.wait_for_timeout(100)


def upload_ready(page: Page) -> None:
    """Wait until the studio's upload script has run (it sets `window.lmsUpload` last, once its
    listeners are on): a module that imports another may start after the page's load event
    has been seen, and a file picked before it listens would be missed."""
    page.wait_for_function("() => window.lmsUpload !== undefined")


def held_parts() -> int:
    upload = Upload.objects.filter(state="open").first()
    return 0 if upload is None else len(uploads.upload_parts(upload=upload))


def upload_cut_then_resumed(page: Page, clip: Path) -> Upload:
    """On a lecture's studio page (already open), upload `clip`: one part goes through, the
    connection drops, the page is reloaded (and fails, offline), the connection returns, the
    page is opened again and shows the resume hint, the same file is picked again and only
    the missing parts are sent. Returns the completed upload."""
    url = page.url
    put_parts: list[str] = []
    page.on("request", lambda request: is_part_put(request) and put_parts.append(request.url))
    held: list[Route] = []
    first_sent = False
    offline = False

    def one_part_then_hold(route: Route) -> None:
        # The first part goes through; the others hang until the connection "drops", and
        # from then on every part fails as it would offline.
        nonlocal first_sent
        if not is_part_put(route.request):
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
    upload_ready(page)
    page.set_input_files("[data-upload-input]", str(clip))
    wait_for(page, lambda: held_parts() >= 1)
    upload = Upload.objects.get(state="open")
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
    page.goto(url)
    expect(page.locator("[data-upload-resume]")).to_contain_text(RESUME_HINT)
    # What the server holds: the part let through (and, if the browser had another request
    # already under way when the connection dropped, that one too), never all of them.
    stored = {part.number for part in uploads.upload_parts(upload=upload)}
    assert 1 <= len(stored) < upload.parts_count
    sent_before_reload = len(put_parts)

    upload_ready(page)
    page.set_input_files("[data-upload-input]", str(clip))

    expect(panel).to_have_attribute("data-upload-state", "done", timeout=60_000)
    after_reload = put_parts[sent_before_reload:]
    numbers = sorted(
        int(re.search(r"(?:/parts/|partNumber=)(\d+)", url).group(1))  # type: ignore[union-attr]
        for url in after_reload
    )
    expected = [n for n in range(1, upload.parts_count + 1) if n not in stored]
    assert numbers == expected  # only the missing parts, each once
    upload.refresh_from_db()
    assert upload.state == "completed"
    assert upload.asset is not None
    assert upload.asset.original_size_bytes == clip.stat().st_size
    expect(page.locator("[data-video-label]")).to_contain_text("처리")
    return upload


def transcode_and_see_ready(page: Page, upload: Upload) -> None:
    """Run the completed upload's transcode job as a worker would; the studio page, still open,
    shows the video ready in its player, with its poster, without a reload, and the lecture
    has the video."""
    job = TranscodeJob.objects.get(asset=upload.asset)
    tasks.transcode_job(job.pk)

    expect(page.locator("[data-video-status]")).to_have_attribute("data-state", "ready")
    expect(page.locator("[data-video-label]")).to_contain_text("준비되었습니다")
    # The studio's player shows the new video's poster (a signed URL that serves an image).
    player = page.locator("[data-video-player]")
    expect(player).to_be_visible()
    page.wait_for_function("() => document.querySelector('[data-video-player]').poster !== ''")
    poster = page.request.get(player.evaluate("video => video.poster"))
    assert poster.ok
    assert poster.headers["content-type"].startswith("image/")
    assert upload.lecture is not None
    upload.lecture.refresh_from_db()
    assert upload.lecture.video_id == upload.asset_id
    assert page.evaluate("localStorage.length") == 0
