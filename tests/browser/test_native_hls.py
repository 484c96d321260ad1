"""The ladder played by Chromium's built-in HLS player (hls.js not loaded), through the
platform's own lecture page and playback URLs (issue 23), in the embedded mode and on S3.

On S3 the media playlists point at presigned URLs on the bucket's origin. Chromium's built-in
player refuses such segments when it fetches them in no-cors mode (the media log says
"HlsDemuxerStatus::Network read error" after a 206 from the bucket; a plain range server on
another origin gives the same), and plays them in CORS mode: the page's `<video>` carries
`crossorigin="anonymous"` and the bucket's CORS rules (`manage.py upload_bucket_cors`) let the
platform's origin GET."""

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PLAY = """() => {
  const video = document.querySelector("[data-player] video");
  video.muted = true;
  window.played = video;
  return video.play().then(() => true, error => String(error));
}"""


def _lecture(lecture_clip):
    from tests.factories import CourseFactory, LectureFactory
    from tests.video import lecture_with_ready_video

    course = CourseFactory(slug="native-course")
    lecture = LectureFactory(course=course, position=1, title="기본 재생기로 보는 강의")
    lecture_with_ready_video(lecture, lecture_clip)
    return lecture


def _renditions_fetched(requests: list[str], playlists: dict[str, str]) -> list[str]:
    """The rendition of every media request, in order: a playlist names its rendition in its
    path, a media file's (signed) URL is matched to the playlist that gave it."""
    names = []
    for url in requests:
        match = re.search(r"/v\d+/(\w+)/index\.m3u8", url)
        if match:
            continue
        for rendition, text in playlists.items():
            if urlsplit(url).path in text:
                names.append(rendition)
                break
    return names


def _play_whole_ladder(page: Page, lecture) -> list[str]:
    """Play the lecture to its end; the URLs the page requested."""
    requests: list[str] = []
    playlists: dict[str, str] = {}

    def on_response(response) -> None:
        match = re.search(r"/v\d+/(\w+)/index\.m3u8", response.url)
        if match and response.ok:
            playlists[match.group(1)] = response.text()

    page.on("request", lambda request: requests.append(request.url))
    page.on("response", on_response)
    # The player cancels its open-ended media requests as it goes (net::ERR_ABORTED); any
    # other failure (the poster, the storyboard, the captions) is a fault.
    failed: list[str] = []

    def on_failed(request) -> None:
        if request.resource_type != "media":
            failed.append(f"{request.url} {request.failure}")

    page.on("requestfailed", on_failed)
    # Without hls.js the player hands the master to the browser's own HLS player, as on
    # Safari.
    page.route("**/vendor/hls/hls.min.js", lambda route: route.abort())
    # A slow network first (~400 kbit/s), so that the player starts on the lowest rung...
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 50, "downloadThroughput": 50_000, "uploadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", slow)
    page.goto(f"/courses/{lecture.course.slug}/lectures/{lecture.position}/")
    assert page.evaluate("typeof window.Hls") == "undefined"
    can_play = page.evaluate(
        "document.createElement('video').canPlayType('application/vnd.apple.mpegurl')"
    )
    assert can_play in ("maybe", "probably"), "this Chromium has no built-in HLS player"
    source = page.evaluate("document.querySelector('[data-player] video').src")
    assert source.endswith(f"/play/lectures/{lecture.pk}/master.m3u8"), source
    started = page.evaluate(PLAY)
    assert started is True, started
    page.wait_for_function("() => window.played.currentTime > 1", timeout=60_000)
    # ...then a fast one, so that it switches up. The clip loops until it has (on a loaded
    # machine the 14 s can end before the player's estimate catches up), then plays to its end.
    fast = {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", fast)
    page.evaluate("() => { window.played.loop = true; }")
    deadline = time.monotonic() + 90
    while "480p" not in _renditions_fetched(requests, playlists) and time.monotonic() < deadline:
        page.wait_for_timeout(500)
    page.evaluate("() => { window.played.loop = false; }")
    page.wait_for_function("() => window.played.ended", timeout=90_000)

    duration = page.evaluate("window.played.duration")
    assert abs(duration - lecture.video.current_version.duration_seconds) < 0.5
    assert page.evaluate("window.played.error") is None
    fetched = _renditions_fetched(requests, playlists)
    video = [name for name in fetched if name != "audio"]
    assert "audio" in fetched
    # The clip's ladder is 480p and 360p: the first video bytes come from 360p, later ones
    # from 480p.
    assert video[0] == "360p", fetched
    assert "480p" in video, fetched
    assert [line for line in failed if "hls.min.js" not in line] == []
    return requests


def test_chromiums_own_hls_player_plays_the_ladder_to_the_end_embedded(
    member_page: Page, embedded_storage, settings, tmp_path, lecture_clip
):
    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    _play_whole_ladder(member_page, _lecture(lecture_clip))


@pytest.mark.s3
def test_chromiums_own_hls_player_plays_the_ladder_to_the_end_on_s3(
    member_page: Page, s3_server, s3_storage, live_server, settings, tmp_path, lecture_clip
):
    from tests.s3 import cors_configure

    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    cors_configure(s3_server, [live_server.url])
    requests = _play_whole_ladder(member_page, _lecture(lecture_clip))

    media = [url for url in requests if url.endswith(".mp4") or ".mp4?" in url]
    assert media
    # Every video byte came straight from the bucket, through a presigned URL.
    assert all(url.startswith(f"{s3_server.endpoint_url}/") for url in media), media
    assert all("X-Amz-Signature=" in url for url in media)
