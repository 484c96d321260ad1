"""Playback in S3 mode against a real S3 server (SeaweedFS): the platform serves the playlists
after its access check, and every media file in them is a presigned S3 URL, so the video
bytes come from S3 and never pass through Django; each URL opens its own file only, and
expires."""

import re
import time

import pytest
import requests
from django.test import Client

from lms.catalog.models import Lecture
from lms.media import assets, jobs
from lms.media.models import TranscodeJob
from tests.factories import LectureFactory

from .conftest import run, upload

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


@pytest.fixture
def s3_lecture(s3_storage, tiny_clip, django_capture_on_commit_callbacks) -> Lecture:
    """A published lecture whose video was transcoded onto S3."""
    asset = upload(tiny_clip, user=None)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)
    job = run(job)
    assert job.state == TranscodeJob.State.READY, job.failure_detail
    lecture = LectureFactory()
    assets.lecture_attach_video(lecture=lecture, asset=asset)
    lecture.refresh_from_db()
    return lecture


def _media_playlist(client: Client, lecture: Lecture) -> str:
    master = client.get(f"/play/lectures/{lecture.pk}/master.m3u8")
    assert master.status_code == 200
    variant = next(line for line in master.content.decode().splitlines() if line.startswith("/"))
    response = client.get(variant)
    assert response.status_code == 200
    return str(response.content.decode())


def _urls(playlist: str) -> list[str]:
    """The absolute URLs of a playlist: URI lines and URI="..." attributes."""
    found = re.findall(r'^(http\S+)|URI="(http[^"]+)"', playlist, re.M)
    return [line or attribute for line, attribute in found]


def _fetch(url: str, byte_range: str | None = None) -> requests.Response:
    """GET straight from S3, as the browser does (no platform in between)."""
    return requests.get(url, headers={"Range": byte_range} if byte_range else {}, timeout=10)


def test_media_files_are_presigned_s3_urls_that_serve_byte_ranges(
    member_client, s3_server, s3_lecture
):
    playlist = _media_playlist(member_client, s3_lecture)
    urls = _urls(playlist)

    assert urls
    assert all(url.startswith(f"{s3_server.endpoint_url}/") for url in urls)
    assert all("X-Amz-Signature=" in url and "X-Amz-Expires=" in url for url in urls)
    assert "/play/f/" not in playlist  # no file is served by the platform
    found = re.search(r'BYTERANGE="(\d+)@(\d+)"', playlist)
    assert found is not None
    length, offset = int(found.group(1)), int(found.group(2))

    response = _fetch(urls[0], f"bytes={offset}-{offset + length - 1}")

    assert response.status_code == 206
    assert len(response.content) == length
    assert response.content[4:8] == b"ftyp"  # the init segment of an fMP4 file
    assert response.headers["Content-Range"].startswith(f"bytes {offset}-{offset + length - 1}/")


def test_a_presigned_url_opens_its_own_file_only(member_client, s3_lecture, s3_storage):
    url = _urls(_media_playlist(member_client, s3_lecture))[0]
    path, query = url.split("?", 1)
    other = s3_lecture.video.current_version.master_playlist_path

    assert _fetch(url).status_code == 200
    assert _fetch(s3_storage.url(other)).status_code == 200  # the other file is there
    # The same signature on another file of the bucket (the key is part of what is signed).
    assert _fetch(f"{path.rsplit('/videos/', 1)[0]}/{other}?{query}").status_code == 403
    assert _fetch(url.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status_code == 403


def test_a_presigned_url_expires(member_client, s3_lecture, settings):
    settings.PLAYBACK_URL_TTL_SECONDS = 1
    url = _urls(_media_playlist(member_client, s3_lecture))[0]
    assert "X-Amz-Expires=1&" in url or url.endswith("X-Amz-Expires=1")

    time.sleep(2.5)

    response = _fetch(url)
    assert response.status_code == 403
    assert b"expired" in response.content.lower()
