"""Real video for tests: clips made by the ffmpeg the platform uses, and lectures with a video
transcoded by the real pipeline."""

from pathlib import Path

from django.core.files import File

from lms.catalog.models import Lecture
from lms.media import assets, jobs
from lms.media.models import VideoAsset
from media_pipeline.clips import make_test_pattern


def make_clip(
    path: Path,
    *,
    seconds: float,
    size: str = "320x180",
    rate: int = 25,
    noise: bool = False,
) -> Path:
    """A test pattern with a tone, made by the ffmpeg the app uses (`make_test_pattern`)."""
    return make_test_pattern(path, seconds=seconds, size=size, rate=rate, noise=noise)


def lecture_with_ready_video(lecture: Lecture, clip: Path) -> VideoAsset:
    """Upload `clip`, transcode it in this process as a worker would, attach it to `lecture`."""
    from lms.media import tasks

    with clip.open("rb") as handle:
        asset = assets.video_asset_create_from_upload(
            uploaded_by=None, file=File(handle), original_filename=clip.name
        )
    job = jobs.transcode_enqueue(asset=asset)
    tasks.transcode_job(job.pk)
    asset.refresh_from_db()
    if asset.current_version is None:
        job.refresh_from_db()
        raise AssertionError(f"transcode failed: {job.failure_code} {job.stderr_tail[-500:]}")
    assets.lecture_attach_video(lecture=lecture, asset=asset)
    lecture.refresh_from_db()
    return asset
