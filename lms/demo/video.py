"""The demo video: a generated lecture-like clip, transcoded once by the real pipeline, so that
a newcomer's first start has videos that play. Used by `manage.py bootstrap_demo`."""

import socket
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.files import File

from lms.media import assets, jobs, worker
from lms.media.models import VideoAsset
from media_pipeline.clips import make_test_pattern

DEMO_FILENAME = "demo-lecture.mp4"
DEMO_SECONDS = 20


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
        # 854x480, so that the ladder has two video renditions (480p, 360p).
        make_test_pattern(
            clip,
            seconds=DEMO_SECONDS,
            size="854x480",
            rate=30,
            preset="veryfast",
            ffmpeg_bin=getattr(settings, "FFMPEG_BINARY", None),
        )
        with clip.open("rb") as handle:
            asset = assets.video_asset_create_from_upload(
                uploaded_by=None, file=File(handle), original_filename=DEMO_FILENAME
            )
    job = jobs.transcode_enqueue(asset=asset)
    # Run it here rather than wait for the queue: the worker may not be up yet. The queued
    # message is harmless: the task returns at once for a job that is already ready.
    worker.transcode_run(job_id=job.pk, worker=f"bootstrap@{socket.gethostname()}")
    asset.refresh_from_db()
    if asset.current_version is None:
        job.refresh_from_db()
        raise RuntimeError(f"the demo video could not be encoded: {job.failure_code}")
    return asset
