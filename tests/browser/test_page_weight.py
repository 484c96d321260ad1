"""What a member's browser downloads to show a lecture page, before the video is played:
every response the page causes (the page, styles, scripts, the Korean font's slices, images,
the playlists and video that hls.js loads ahead), summed from Chromium's own count of bytes
received (DevTools protocol `Network.loadingFinished` encodedDataLength: headers and body as
they came over the wire), with the cache off. Printed by type (run with -s) and kept under
1 MB.

The page is served as production serves it (`production_server`): DEBUG off, the static
files collected, hashed and gzip-compressed by lms.core.staticfiles.StaticStorage and sent
by whitenoise; the test live server would send them uncompressed from the finders."""

import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
from django.test import override_settings
from playwright.sync_api import Browser

from tests.browser.a11y import VIEWPORTS, viewport_context
from tests.browser.conftest import close_quietly

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

URL = "/courses/player-course/lectures/1/"
BUDGET = 1_000_000  # bytes: "1 MB"
TYPES = ("html", "css", "js", "font", "image", "media", "other")
MEDIA_MIME = ("video/", "audio/", "application/vnd.apple.mpegurl", "application/x-mpegurl")
MEDIA_EXT = (".m3u8", ".ts", ".m4s", ".mp4", ".aac", ".vtt")


PRODUCTION_STATIC = {"BACKEND": "lms.core.staticfiles.StaticStorage"}


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static files as `collectstatic` leaves them for production, once per run."""
    from django.conf import settings

    root = tmp_path_factory.mktemp("static")
    storages = {**settings.STORAGES, "staticfiles": PRODUCTION_STATIC}
    with override_settings(STATIC_ROOT=root, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    return root


@pytest.fixture
def production_server(settings, collected_static: Path, transactional_db) -> Iterator[str]:
    """The platform in this process, on this test's database, configured as in production
    (DEBUG off, whitenoise sending the collected files, gzip where the browser accepts it);
    its base URL."""
    settings.DEBUG = False
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = {**settings.STORAGES, "staticfiles": PRODUCTION_STATIC}
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False
    server = ThreadedWSGIServer(("127.0.0.1", 0), _QuietHandler)
    server.set_app(WSGIHandler())  # built now: whitenoise reads the settings above
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def produced_lecture(transactional_db, settings, tmp_path, lecture_clip):
    """The player tests' lecture (`watch_lecture`: 14 s at 854x480, two renditions, Korean
    captions), transcoded with the production x264 preset: those tests use "ultrafast" for
    speed, whose segments are about half as large again as production's."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from lms.studio.services import caption_upload
    from tests.factories import CourseFactory, LectureFactory
    from tests.video import lecture_with_ready_video

    assert settings.TRANSCODE_X264_PRESET == "veryfast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    course = CourseFactory(slug="player-course", title="플레이어 과정")
    lecture = LectureFactory(course=course, position=1, title="모니터링의 이해")
    LectureFactory(course=course, position=2, title="코칭의 이해", duration_seconds=0)
    lecture_with_ready_video(lecture, lecture_clip)
    caption_upload(
        lecture=lecture,
        language="ko",
        upload=SimpleUploadedFile(
            "ko.srt", "1\n00:00:00,000 --> 00:00:13,000\n안녕하세요\n".encode()
        ),
    )
    return lecture


def kind(resource_type: str, mime: str, url: str) -> str:
    """The type a response is counted under (DevTools resource type, then MIME and path)."""
    by_type = {"Document": "html", "Stylesheet": "css", "Script": "js", "Font": "font"}
    if resource_type in by_type:
        return by_type[resource_type]
    if resource_type == "Image" or mime.startswith("image/"):
        return "image"
    path = url.split("?", 1)[0].lower()
    if resource_type == "Media" or mime.lower().startswith(MEDIA_MIME) or path.endswith(MEDIA_EXT):
        return "media"
    return "other"


def lecture_page_weight(browser: Browser, base_url: str, user: Any, viewport: str) -> dict:
    """Open the lecture page in a fresh context, wait until its video shows its first frame
    and the network is quiet (nothing played), and count what came over the network."""
    context = viewport_context(browser, base_url, viewport, user=user)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    seen: dict[str, tuple[str, str, str]] = {}
    received: dict[str, int] = {}
    cdp.on(
        "Network.responseReceived",
        lambda e: seen.__setitem__(
            e["requestId"], (e["type"], e["response"]["mimeType"], e["response"]["url"])
        ),
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: received.__setitem__(e["requestId"], int(e["encodedDataLength"])),
    )
    try:
        page.goto(URL)
        page.wait_for_function("() => document.querySelector('video').readyState >= 2")
        page.evaluate("document.fonts.ready")
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(1000)  # anything hls.js still loads ahead
        assert page.evaluate("document.querySelector('video').paused"), "nothing played it"
        fonts = page.evaluate(
            "[...document.fonts].filter(f => f.status === 'loaded').length"
            " + ' of ' + document.fonts.size"
        )
    finally:
        close_quietly(context)
    by_type: dict[str, int] = defaultdict(int)
    files: list[tuple[int, str, str]] = []
    for request_id, size in received.items():
        resource_type, mime, url = seen.get(request_id, ("Other", "", ""))
        if url.startswith("data:"):
            continue  # made in the page (caption tracks): nothing transferred
        counted = kind(resource_type, mime, url)
        by_type[counted] += size
        files.append((size, counted, url.replace(base_url, "")))
    return {
        "total": sum(by_type.values()),
        "by_type": {t: by_type.get(t, 0) for t in TYPES},
        "files": sorted(files, reverse=True),
        "font_faces_loaded": fonts,
    }


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_lecture_page_before_playing_weighs_under_1_mb(
    browser: Browser, produced_lecture, production_server: str, viewport: str
):
    from tests.factories import UserFactory

    weight = lecture_page_weight(browser, production_server, UserFactory(), viewport)

    print(f"\nlecture page weight before play, {viewport}: {weight['total']:,} bytes")
    for name, size in weight["by_type"].items():
        print(f"  {name:6} {size:>9,}")
    print(f"  font faces loaded: {weight['font_faces_loaded']}")
    for size, counted, url in weight["files"]:
        print(f"  {size:>9,} {counted:6} {url}")
    assert weight["by_type"]["html"] > 0
    assert weight["by_type"]["js"] > 0
    assert weight["by_type"]["font"] > 0, "the Korean font is part of the weight"
    assert weight["by_type"]["media"] > 0, "the video's first frame is part of the weight"
    assert weight["total"] < BUDGET, f"{weight['total']:,} bytes: over the 1 MB budget"


def test_once_played_the_player_buffers_ahead_as_usual(member_page, watch_lecture):
    # The limit holds only until the first play: then hls.js fills its usual buffer (30 s).
    page = member_page
    page.goto(URL)
    page.wait_for_function("() => document.querySelector('video').readyState >= 2")
    page.wait_for_load_state("networkidle")
    ahead = "document.querySelector('video').buffered"
    ahead = f"({ahead}.length ? {ahead}.end({ahead}.length - 1) : 0)"
    assert page.evaluate("window.lmsPlayer.hls.config.maxBufferLength") == 1
    assert page.evaluate(f"() => {ahead}") <= 8.5  # one 4 s segment (two where a segment is short)

    page.evaluate("() => { const v = document.querySelector('video'); v.muted = true; v.play(); }")

    page.wait_for_function("() => window.lmsPlayer.hls.config.maxBufferLength === 30")
    page.wait_for_function(f"() => {ahead} >= 13", timeout=30_000)  # the whole 14 s clip
    assert page.evaluate("document.querySelector('video').currentTime") < 13
