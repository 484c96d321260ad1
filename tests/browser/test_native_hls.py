"""The ladder played by Chromium's built-in HLS player (hls.js not loaded), through the
platform's own playback URLs (issue 23).

Embedded mode only: on S3 the platform's master points at presigned S3 URLs on another
origin, and Chromium's built-in player aborts those media requests (net::ERR_ABORTED on the
first `Range: bytes=0-` request, sent without an Origin header, so not a CORS refusal);
hls.js, which the platform's player uses, plays them."""

import re
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAY = """src => {
  const video = document.createElement("video");
  video.muted = true;
  video.src = src;
  document.body.append(video);
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


def _play_whole_ladder(page: Page, lecture) -> None:
    page.goto("/")
    can_play = page.evaluate(
        "document.createElement('video').canPlayType('application/vnd.apple.mpegurl')"
    )
    assert can_play in ("maybe", "probably"), "this Chromium has no built-in HLS player"
    assert page.evaluate("typeof window.Hls") == "undefined"

    requests: list[str] = []
    playlists: dict[str, str] = {}

    def on_response(response) -> None:
        match = re.search(r"/v\d+/(\w+)/index\.m3u8", response.url)
        if match and response.ok:
            playlists[match.group(1)] = response.text()

    page.on("request", lambda request: requests.append(request.url))
    page.on("response", on_response)
    # A slow network first (~400 kbit/s), so that the player starts on the lowest rung...
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    slow = {"offline": False, "latency": 50, "downloadThroughput": 50_000, "uploadThroughput": -1}
    cdp.send("Network.emulateNetworkConditions", slow)
    started = page.evaluate(PLAY, f"/play/lectures/{lecture.pk}/master.m3u8")
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


def test_chromiums_own_hls_player_plays_the_ladder_to_the_end_embedded(
    member_page: Page, embedded_storage, settings, tmp_path, lecture_clip
):
    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")
    _play_whole_ladder(member_page, _lecture(lecture_clip))
