from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.test import override_settings

from lms.accounts.models import User
from lms.media import assets
from lms.media.models import TranscodeJob, VideoAsset
from tests.video import make_clip


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_clip(tmp_path_factory.mktemp("clips") / "tiny.mp4", seconds=1.5)


@pytest.fixture(autouse=True)
def fast_transcodes(settings: Any, tmp_path: Path) -> None:
    settings.TRANSCODE_X264_PRESET = "ultrafast"
    settings.TRANSCODE_HEARTBEAT_SECONDS = 0.2
    settings.TRANSCODE_TEMP_DIR = str(tmp_path / "work")


@pytest.fixture
def local_storage(tmp_path: Path) -> Iterator[Storage]:
    """The embedded mode's file storage, in a directory of this test's own."""
    storages = {
        **django_settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/media/"},
        },
    }
    with override_settings(STORAGES=storages):
        yield default_storage


def upload(path: Path, *, user: User | None, name: str = "1강 소개.mp4") -> VideoAsset:
    with path.open("rb") as handle:
        return assets.video_asset_create_from_upload(
            uploaded_by=user, file=File(handle), original_filename=name
        )


def run(job: TranscodeJob) -> TranscodeJob:
    """Run the job's task in this process, as a worker would."""
    from lms.media import tasks

    tasks.transcode_job(job.pk)
    job.refresh_from_db()
    return job
