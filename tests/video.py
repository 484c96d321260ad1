"""Real video for tests: clips made by the ffmpeg the platform uses, and lectures with a video
transcoded by the real pipeline."""

import subprocess
from pathlib import Path

from django.core.files import File

from lms.catalog.models import Lecture
from lms.media import services as media_services
from lms.media.models import VideoAsset
from media_pipeline import resolve_ffmpeg


def make_clip(
    path: Path,
    *,
    seconds: float,
    size: str = "320x180",
    rate: int = 25,
    noise: bool = False,
) -> Path:
    """A test pattern with a tone: real H.264/AAC in MP4, made by the ffmpeg the app uses.

    `noise=True` makes a clip that compresses badly (noise, near-lossless): a second of it is
    megabytes, for upload tests that need many parts from a short video."""
    pattern = f"testsrc2=size={size}:rate={rate}:duration={seconds}"
    quality = ["-qp", "8"] if noise else []
    if noise:
        pattern += ",noise=alls=40:allf=t"
    argv = [
        resolve_ffmpeg(),
        "-nostdin",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        pattern,
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=440:sample_rate=48000:duration={seconds}",
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        *quality,
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-y",
        str(path),
    ]
    subprocess.run(argv, check=True, timeout=120)
    return path


def lecture_with_ready_video(lecture: Lecture, clip: Path) -> VideoAsset:
    """Upload `clip`, transcode it in this process as a worker would, attach it to `lecture`."""
    from lms.media import tasks

    with clip.open("rb") as handle:
        asset = media_services.video_asset_create_from_upload(
            uploaded_by=None, file=File(handle), original_filename=clip.name
        )
    job = media_services.transcode_enqueue(asset=asset)
    tasks.transcode_job(job.pk)
    asset.refresh_from_db()
    if asset.current_version is None:
        job.refresh_from_db()
        raise AssertionError(f"transcode failed: {job.failure_code} {job.stderr_tail[-500:]}")
    media_services.lecture_attach_video(lecture=lecture, asset=asset)
    lecture.refresh_from_db()
    return asset
