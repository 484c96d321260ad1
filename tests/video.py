"""Real video for tests: clips made by the ffmpeg the platform uses, and lectures with a video
transcoded by the real pipeline. Both are made once for given parameters and kept on disk
(tests/media_cache.py)."""

import posixpath
import shutil
import uuid
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from lms.catalog.models import Lecture
from lms.media import assets, jobs, worker
from lms.media import storage as media_storage
from lms.media.models import TranscodeJob, VideoAsset
from media_pipeline import TranscodeResult
from media_pipeline.clips import make_test_pattern
from tests.media_cache import cached_dir, cached_transcode


def make_clip(
    path: Path,
    *,
    seconds: float,
    size: str = "320x180",
    rate: int = 25,
    noise: bool = False,
) -> Path:
    """A test pattern with a tone, made by the ffmpeg the app uses (`make_test_pattern`),
    copied to `path`."""

    def make(directory: Path) -> None:
        make_test_pattern(
            directory / "clip.mp4", seconds=seconds, size=size, rate=rate, noise=noise
        )

    made = cached_dir("clip", (seconds, size, rate, noise), make)
    shutil.copyfile(made / "clip.mp4", path)
    return path


def transcoded(clip: Path) -> TranscodeResult:
    """The package the worker makes of `clip` with the current settings (its spec, its
    ffmpeg)."""
    return cached_transcode(clip, spec=worker.transcode_spec(), ffmpeg_bin=settings.FFMPEG_BINARY)


def lecture_with_ready_video(lecture: Lecture, clip: Path) -> VideoAsset:
    """Upload `clip`, bring it to ready as the worker does, attach it to `lecture`.

    The worker's steps (lms/media/worker.py, `transcode_run`) with the encode of `transcoded`:
    the job runs under a lease, the package is uploaded under the version's prefix with the
    worker's writer, and `job_finish_ready` records it. The worker itself, encode included,
    is tested in tests/lms/media/.
    """
    with clip.open("rb") as handle:
        asset = assets.video_asset_create_from_upload(
            uploaded_by=None, file=File(handle), original_filename=clip.name
        )
    job = jobs.transcode_enqueue(asset=asset)
    result = transcoded(clip)
    token = uuid.uuid4().hex
    now = timezone.now()
    TranscodeJob.objects.filter(pk=job.pk, state=TranscodeJob.State.QUEUED).update(
        state=TranscodeJob.State.UPLOADING,
        worker="tests",
        lease_token=token,
        lease_expires_at=now + timedelta(seconds=settings.TRANSCODE_LEASE_SECONDS),
        started_at=now,
        progress=0.9,
        argv=list(result.argv),
        stderr_tail=result.stderr_tail,
    )
    writer = media_storage.media_writer(default_storage)
    for name in result.files:
        media_storage.upload(
            writer, result.out_dir / name, posixpath.join(job.version.storage_prefix, name)
        )
    jobs.job_finish_ready(job=job, token=token, result=result)
    asset.refresh_from_db()
    assets.lecture_attach_video(lecture=lecture, asset=asset)
    lecture.refresh_from_db()
    return asset
