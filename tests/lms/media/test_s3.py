"""The same pipeline against a real S3 server (SeaweedFS), checked through boto3."""

import re

import pytest

from lms.media import jobs
from lms.media.models import TranscodeJob, VideoAsset
from lms.media.storage import IMMUTABLE_CACHE_CONTROL, PLAYLIST_CACHE_CONTROL, walk

from .conftest import run, upload

pytestmark = [pytest.mark.django_db, pytest.mark.s3]


def test_transcode_on_s3_stores_the_package_with_content_types_and_cache_headers(
    s3_server, s3_storage, tiny_clip, instructor, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=instructor)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)

    job = run(job)

    assert job.state == TranscodeJob.State.READY, job.failure_detail
    asset.refresh_from_db()
    version = asset.current_version
    assert asset.state == VideoAsset.State.READY
    assert version is not None
    assert re.fullmatch(rf"videos/{asset.pk}/1-[0-9a-f]{{16}}/", version.storage_prefix)
    assert set(walk(s3_storage, version.storage_prefix)) == {
        version.storage_prefix + name for name in version.files
    }
    client = s3_server.client()

    def head(name: str) -> tuple[str, str]:
        found = client.head_object(Bucket=s3_server.bucket, Key=f"{s3_storage.location}/{name}")
        return found["ContentType"], found.get("CacheControl", "")

    prefix = version.storage_prefix
    video = next(r for r in version.renditions if r["kind"] == "video")
    audio = next(r for r in version.renditions if r["kind"] == "audio")
    assert head(version.master_playlist_path) == (
        "application/vnd.apple.mpegurl",
        PLAYLIST_CACHE_CONTROL,
    )
    assert head(prefix + video["playlist"]) == (
        "application/vnd.apple.mpegurl",
        PLAYLIST_CACHE_CONTROL,
    )
    assert head(prefix + video["media_file"]) == ("video/mp4", IMMUTABLE_CACHE_CONTROL)
    assert head(prefix + audio["media_file"]) == ("audio/mp4", IMMUTABLE_CACHE_CONTROL)
    assert head(version.poster_path) == ("image/jpeg", IMMUTABLE_CACHE_CONTROL)
    assert head(version.storyboard_path) == ("text/vtt", IMMUTABLE_CACHE_CONTROL)
    # The original upload stays, under its neutral name.
    assert s3_storage.exists(asset.original.name)
    body = client.get_object(
        Bucket=s3_server.bucket, Key=f"{s3_storage.location}/{version.master_playlist_path}"
    )["Body"].read()
    assert b"#EXT-X-STREAM-INF" in body


def test_a_hostile_upload_on_s3_writes_nothing_under_videos(
    s3_server, s3_storage, tmp_path, django_capture_on_commit_callbacks
):
    path = tmp_path / "lecture.mp4"
    path.write_bytes(b"#EXTM3U\n#EXTINF:1,\nhttp://169.254.169.254/latest/meta-data\n")
    asset = upload(path, user=None)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)

    job = run(job)

    assert (job.state, job.failure_code) == (
        TranscodeJob.State.FAILED,
        "playlist_or_reference_file",
    )
    assert list(walk(s3_storage, "videos/")) == []
