"""The demo video: a generated lecture-like clip, transcoded once by the real pipeline, so that
a newcomer's first start has videos that play. Used by `manage.py bootstrap_demo`."""

import socket
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File

from lms.media import services
from lms.media.models import VideoAsset
from media_pipeline import resolve_ffmpeg

DEMO_FILENAME = "demo-lecture.mp4"
DEMO_SECONDS = 20


def _make_demo_clip(path: Path) -> None:
    """A test pattern with a moving counter and a soft tone: 854x480, so that the ladder has
    two video renditions (480p, 360p) besides the audio-only one."""
    argv = [
        resolve_ffmpeg(getattr(settings, "FFMPEG_BINARY", None)),
        "-nostdin",
        "-v",
        "error",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size=854x480:rate=30:duration={DEMO_SECONDS}",
        "-f",
        "lavfi",
        "-i",
        f"sine=frequency=330:sample_rate=48000:duration={DEMO_SECONDS},volume=0.3",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-pix_fmt",
        "yuv420p",
        "-c:a",
        "aac",
        "-shortest",
        "-y",
        str(path),
    ]
    subprocess.run(argv, check=True, timeout=300)


def demo_video_ensure() -> VideoAsset:
    """The ready demo video, made and transcoded in this process the first time."""
    existing = (
        VideoAsset.objects.filter(original_filename=DEMO_FILENAME, current_version__isnull=False)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    with tempfile.TemporaryDirectory(prefix="lms-demo-") as tmp:
        clip = Path(tmp) / DEMO_FILENAME
        _make_demo_clip(clip)
        with clip.open("rb") as handle:
            asset = services.video_asset_create_from_upload(
                uploaded_by=None, file=File(handle), original_filename=DEMO_FILENAME
            )
    job = services.transcode_enqueue(asset=asset)
    # Run it here rather than wait for the queue: the worker may not be up yet. The queued
    # message is harmless: the task returns at once for a job that is already ready.
    services.transcode_run(job_id=job.pk, worker=f"bootstrap@{socket.gethostname()}")
    asset.refresh_from_db()
    if asset.current_version is None:
        job.refresh_from_db()
        raise RuntimeError(f"the demo video could not be encoded: {job.failure_code}")
    return asset
