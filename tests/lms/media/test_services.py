import re
import socket
from datetime import timedelta

import pytest
from botocore.config import Config
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage
from django.test import override_settings
from django.utils import timezone

from lms.core.enqueue import TaskSend
from lms.core.errors import AppError, Conflict
from lms.media import assets, jobs, tasks, worker
from lms.media.models import TranscodeJob, VideoAsset
from lms.media.storage import media_headers, walk
from tests.factories import LectureFactory

from .conftest import run, upload
from .factories import TranscodeJobFactory, VideoAssetFactory

pytestmark = pytest.mark.django_db

State = TranscodeJob.State


def stored(storage: Storage, prefix: str) -> set[str]:
    return set(walk(storage, prefix))


def test_upload_is_stored_under_a_neutral_name_and_keeps_the_file_name_as_metadata(
    local_storage, tiny_clip, instructor
):
    asset = upload(tiny_clip, user=instructor, name="C:\\녹화\\1강 소개.mp4")

    assert re.fullmatch(r"uploads/[0-9a-f]{32}", asset.original.name)
    assert local_storage.size(asset.original.name) == tiny_clip.stat().st_size
    assert asset.original_filename == "1강 소개.mp4"
    assert asset.original_size_bytes == tiny_clip.stat().st_size
    assert asset.state == VideoAsset.State.UPLOADED


def test_upload_over_the_size_limit_is_refused_and_nothing_is_stored(
    local_storage, tiny_clip, settings
):
    settings.MEDIA_MAX_UPLOAD_BYTES = 1000

    with pytest.raises(AppError) as error:
        upload(tiny_clip, user=None)

    assert error.value.code == "file_too_large"
    assert stored(local_storage, "uploads/") == set()
    assert not VideoAsset.objects.exists()


def test_create_from_storage_key_records_an_upload_already_in_storage(local_storage, member):
    key = assets.upload_key_new()
    local_storage.save(key, ContentFile(b"\0" * 64))

    asset = assets.video_asset_create_from_storage_key(
        uploaded_by=member, key=key, original_filename="../../etc/lecture.mov"
    )

    assert asset.original.name == key
    assert asset.original_size_bytes == 64
    assert asset.original_filename == "lecture.mov"


@pytest.mark.parametrize("key", ["videos/1/1/master.m3u8", "uploads/../secret", "uploads/x"])
def test_create_from_storage_key_refuses_names_the_platform_did_not_choose(local_storage, key):
    with pytest.raises(AppError) as error:
        assets.video_asset_create_from_storage_key(
            uploaded_by=None, key=key, original_filename="a.mp4"
        )
    assert error.value.code == "invalid_upload_key"


def test_create_from_storage_key_refuses_a_missing_upload(local_storage):
    with pytest.raises(AppError) as error:
        assets.video_asset_create_from_storage_key(
            uploaded_by=None, key=assets.upload_key_new(), original_filename="a.mp4"
        )
    assert error.value.code == "source_missing"


def test_transcode_makes_a_ready_version_switches_the_asset_and_sets_lecture_duration(
    local_storage, tiny_clip, instructor, tmp_path, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=instructor)
    lecture = LectureFactory(video=asset, duration_seconds=0)
    with django_capture_on_commit_callbacks() as callbacks:
        job = jobs.transcode_enqueue(asset=asset, requested_by=instructor)
    asset.refresh_from_db()
    assert len(callbacks) == 1
    assert asset.state == VideoAsset.State.PROCESSING

    job = run(job)

    assert job.state == State.READY, job.failure_detail
    assert job.progress == 1.0
    assert job.lease_expires_at is None
    assert "-nostdin" in job.argv
    version = job.version
    version.refresh_from_db()
    asset.refresh_from_db()
    lecture.refresh_from_db()
    assert asset.current_version == version
    assert asset.state == VideoAsset.State.READY
    assert version.is_ready
    assert re.fullmatch(rf"videos/{asset.pk}/1-[0-9a-f]{{16}}/", version.storage_prefix)
    assert 1.3 < version.duration_seconds < 1.8
    assert lecture.duration_seconds == round(version.duration_seconds)
    # Exactly the package, under the version's prefix; the original is kept.
    files = stored(local_storage, version.storage_prefix)
    assert files == {version.storage_prefix + name for name in version.files}
    assert {version.master_playlist_path, version.poster_path, version.storyboard_path} <= files
    with local_storage.open(version.master_playlist_path) as master:
        assert b"#EXT-X-STREAM-INF" in master.read()
    assert {r["kind"] for r in version.renditions} == {"video", "audio"}
    assert local_storage.exists(asset.original.name)
    # The worker's private temp dir is gone.
    assert list((tmp_path / "work" / "lms-transcode").iterdir()) == []


def test_media_headers_are_long_lived_for_media_and_short_for_playlists():
    assert media_headers("videos/1/1/master.m3u8") == (
        "application/vnd.apple.mpegurl",
        "public, max-age=60",
    )
    assert media_headers("videos/1/1/360p/media.mp4") == (
        "video/mp4",
        "public, max-age=31536000, immutable",
    )
    assert media_headers("videos/1/1/audio/media.mp4")[0] == "audio/mp4"  # type: ignore[index]
    assert media_headers("videos/1/1/poster.jpg")[0] == "image/jpeg"  # type: ignore[index]
    assert media_headers("videos/1/1/storyboard/storyboard.vtt")[0] == "text/vtt"  # type: ignore[index]
    assert media_headers("uploads/0123") is None


def test_transcode_task_run_twice_does_nothing_the_second_time(
    local_storage, tiny_clip, member, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=member)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)
    job = run(job)
    files = stored(local_storage, job.version.storage_prefix)
    modified = {name: local_storage.get_modified_time(name) for name in files}

    with django_capture_on_commit_callbacks() as callbacks:
        assert tasks.transcode_job(job.pk) is None

    again = TranscodeJob.objects.get(pk=job.pk)
    assert again.state == State.READY
    assert again.updated_at == job.updated_at
    assert {name: local_storage.get_modified_time(name) for name in files} == modified
    assert asset.versions.count() == 1
    assert callbacks == []


def test_a_job_running_under_a_live_lease_is_not_run_a_second_time(local_storage):
    job = TranscodeJobFactory(
        state=State.TRANSCODING,
        worker="other-host:1",
        lease_token="a" * 32,
        lease_expires_at=timezone.now() + timedelta(minutes=1),
        progress=0.4,
    )

    assert worker.transcode_run(job_id=job.pk, worker="this-host:2") is None

    job.refresh_from_db()
    assert (job.state, job.worker, job.progress) == (State.TRANSCODING, "other-host:1", 0.4)


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"These are my lecture notes, not a video.\n" * 20, "not_a_video"),
        (
            b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
            "playlist_or_reference_file",
        ),
    ],
    ids=["text", "hls-playlist"],
)
def test_a_hostile_upload_fails_with_the_policy_code_and_is_not_retried(
    local_storage, tmp_path, content, code, django_capture_on_commit_callbacks
):
    path = tmp_path / "lecture.mp4"
    path.write_bytes(content)
    asset = upload(path, user=None, name="lecture.mp4")
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)

    with django_capture_on_commit_callbacks() as callbacks:
        job = run(job)

    assert job.state == State.FAILED
    assert job.failure_code == code
    assert job.failure_message
    assert job.failure_message != code
    assert callbacks == []  # no next attempt queued
    assert asset.jobs.count() == 1
    assert stored(local_storage, "videos/") == set()
    asset.refresh_from_db()
    assert asset.state == VideoAsset.State.FAILED
    assert asset.current_version is None


def test_a_missing_original_fails_the_job_without_retry(
    local_storage, django_capture_on_commit_callbacks
):
    job = TranscodeJobFactory()

    with django_capture_on_commit_callbacks() as callbacks:
        job = run(job)

    assert (job.state, job.failure_code) == (State.FAILED, "source_missing")
    assert callbacks == []


def _unreachable_s3_storages() -> dict[str, object]:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": "lms",
                "endpoint_url": f"http://127.0.0.1:{port}",
                "access_key": "x",
                "secret_key": "y",
                "region_name": "us-east-1",
                "client_config": Config(connect_timeout=1, retries={"max_attempts": 1}),
            },
        },
    }


def test_a_storage_outage_fails_the_attempt_and_queues_the_next_with_backoff(
    settings, django_capture_on_commit_callbacks
):
    settings.TRANSCODE_RETRY_BACKOFF_SECONDS = 7
    job = TranscodeJobFactory()

    with (
        override_settings(STORAGES=_unreachable_s3_storages()),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        job = run(job)

    assert (job.state, job.failure_code) == (State.FAILED, "storage_unavailable")
    following = job.asset.jobs.get(attempt=2)
    assert following.state == State.QUEUED
    assert following.version == job.version
    assert len(callbacks) == 1
    assert callbacks[0] == TaskSend(jobs.TRANSCODE_TASK, (following.pk,), countdown=7)
    job.asset.refresh_from_db()
    assert job.asset.state == VideoAsset.State.PROCESSING


def test_a_storage_outage_on_the_last_attempt_fails_the_video(
    settings, django_capture_on_commit_callbacks
):
    settings.TRANSCODE_MAX_ATTEMPTS = 2
    job = TranscodeJobFactory(attempt=2)

    with (
        override_settings(STORAGES=_unreachable_s3_storages()),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        job = run(job)

    assert (job.state, job.failure_code) == (State.FAILED, "storage_unavailable")
    assert callbacks == []
    job.asset.refresh_from_db()
    assert job.asset.state == VideoAsset.State.FAILED


def test_reencode_writes_version_2_and_switches_only_when_it_is_ready(
    local_storage, tiny_clip, staff, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=staff)
    with django_capture_on_commit_callbacks():
        first = jobs.transcode_enqueue(asset=asset)
    first = run(first)
    first_files = stored(local_storage, first.version.storage_prefix)

    with django_capture_on_commit_callbacks() as callbacks:
        second = jobs.transcode_enqueue(asset=asset, requested_by=staff)
    asset.refresh_from_db()
    # Queued, not ready: learners still get version 1.
    assert len(callbacks) == 1
    assert second.version.number == 2
    assert re.fullmatch(rf"videos/{asset.pk}/2-[0-9a-f]{{16}}/", second.version.storage_prefix)
    assert asset.current_version == first.version
    assert asset.state == VideoAsset.State.READY

    second = run(second)

    asset.refresh_from_db()
    assert second.state == State.READY
    assert asset.current_version == second.version
    assert stored(local_storage, first.version.storage_prefix) == first_files
    assert stored(local_storage, second.version.storage_prefix) == {
        second.version.storage_prefix + name for name in second.version.files
    }


def test_a_second_encode_while_one_is_active_is_refused(
    local_storage, django_capture_on_commit_callbacks
):
    asset = VideoAssetFactory()
    with django_capture_on_commit_callbacks():
        jobs.transcode_enqueue(asset=asset)

    with pytest.raises(Conflict) as error:
        jobs.transcode_enqueue(asset=asset)

    assert error.value.code == "transcode_in_progress"
    assert asset.versions.count() == 1


def test_cancelling_a_queued_job_makes_its_task_do_nothing(
    local_storage, tiny_clip, instructor, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=instructor)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)

    job = jobs.transcode_cancel(job=job, cancelled_by=instructor)

    assert (job.state, job.failure_code) == (State.CANCELLED, "cancelled")
    asset.refresh_from_db()
    assert asset.state == VideoAsset.State.CANCELLED
    assert tasks.transcode_job(job.pk) is None
    assert stored(local_storage, "videos/") == set()


def test_cancelling_removes_what_an_earlier_dead_attempt_uploaded(
    local_storage, django_capture_on_commit_callbacks
):
    job = TranscodeJobFactory(attempt=2, state=State.QUEUED)
    partial = f"{job.version.storage_prefix}360p/media.mp4"
    local_storage.save(partial, ContentFile(b"from attempt 1"))

    with django_capture_on_commit_callbacks(execute=True):
        jobs.transcode_cancel(job=job)

    assert not local_storage.exists(partial)


def test_cancelling_keeps_the_files_of_a_ready_version(
    local_storage, django_capture_on_commit_callbacks
):
    ready = TranscodeJobFactory(state=State.READY, version__ready_at=timezone.now())
    kept = f"{ready.version.storage_prefix}master.m3u8"
    local_storage.save(kept, ContentFile(b"#EXTM3U\n"))
    second = TranscodeJobFactory(asset=ready.asset, version__asset=ready.asset, version__number=2)

    with django_capture_on_commit_callbacks(execute=True):
        jobs.transcode_cancel(job=second)

    assert local_storage.exists(kept)


def test_cancelling_a_finished_job_is_refused(local_storage):
    job = TranscodeJobFactory(state=State.FAILED, failure_code="not_a_video")

    with pytest.raises(Conflict) as error:
        jobs.transcode_cancel(job=job)

    assert error.value.code == "transcode_not_active"


def test_retry_runs_the_next_attempt_of_the_same_version_to_ready(
    local_storage, tiny_clip, instructor, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=instructor)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)
    jobs.transcode_cancel(job=job)

    with django_capture_on_commit_callbacks() as callbacks:
        again = jobs.transcode_retry(job=job, requested_by=instructor)

    assert len(callbacks) == 1
    assert (again.attempt, again.version, again.state) == (2, job.version, State.QUEUED)
    asset.refresh_from_db()
    assert asset.state == VideoAsset.State.PROCESSING
    again = run(again)
    asset.refresh_from_db()
    assert again.state == State.READY
    assert asset.current_version == job.version


def test_retry_of_an_active_job_is_refused(local_storage):
    job = TranscodeJobFactory(state=State.QUEUED)

    with pytest.raises(Conflict) as error:
        jobs.transcode_retry(job=job)

    assert error.value.code == "transcode_not_retryable"


def test_attaching_a_ready_video_sets_the_lecture_duration(local_storage):
    job = TranscodeJobFactory(state=State.READY, version__duration_seconds=754.4)
    asset = job.asset
    asset.current_version = job.version
    asset.save()
    lecture = LectureFactory(duration_seconds=0)

    lecture = assets.lecture_attach_video(lecture=lecture, asset=asset)

    lecture.refresh_from_db()
    assert lecture.video == asset
    assert lecture.duration_seconds == 754


def test_deleting_a_video_removes_its_rows_and_all_its_files(
    local_storage, tiny_clip, member, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=member)
    lecture = LectureFactory(video=asset)
    with django_capture_on_commit_callbacks():
        job = jobs.transcode_enqueue(asset=asset)
    run(job)

    with django_capture_on_commit_callbacks(execute=True):
        assets.video_asset_delete(asset=asset)

    lecture.refresh_from_db()
    assert lecture.video is None
    assert not VideoAsset.objects.filter(pk=asset.pk).exists()
    assert not TranscodeJob.objects.filter(pk=job.pk).exists()
    assert stored(local_storage, "") == set()
