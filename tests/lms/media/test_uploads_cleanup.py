"""Abandoned uploads: `uploads_cleanup` expires them and deletes their parts, on disk and S3."""

import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from botocore.exceptions import ClientError
from django.test import Client
from django.utils import timezone

from lms.media import tasks, uploads
from lms.media.models import Upload, UploadPart
from lms.media.upload_store import LOCAL_PARTS_DIR
from tests.factories import CourseFactory, LectureFactory

from .uploading import complete, fake_video, part_bytes, put_part, send_all, start

pytestmark = pytest.mark.django_db

PART = 64 * 1024


@pytest.fixture
def lecture(instructor):
    course = CourseFactory()
    course.instructors.add(instructor)
    return LectureFactory(course=course)


@pytest.fixture
def client(instructor) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


def _age(upload_id: int, *, hours: float) -> None:
    Upload.objects.filter(pk=upload_id).update(expires_at=timezone.now() - timedelta(hours=hours))


def test_cleanup_expires_idle_uploads_deletes_their_parts_and_running_it_twice_is_safe(
    settings, local_storage, client, lecture
):
    settings.UPLOAD_PART_SIZE = PART
    data = fake_video(3 * PART)
    idle = start(client, lecture, data).json()
    put_part(client, idle["id"], 1, part_bytes(data, PART, 1))
    busy = start(client, lecture, data).json()
    put_part(client, busy["id"], 1, part_bytes(data, PART, 1))
    _age(idle["id"], hours=1)
    parts_root = Path(local_storage.location) / LOCAL_PARTS_DIR
    assert len(list(parts_root.iterdir())) == 2

    first = tasks.uploads_cleanup()
    second = tasks.uploads_cleanup()

    assert first["expired"] == [idle["id"]]
    assert first["parts_deleted"] == [idle["id"]]
    assert second == {
        "expired": [],
        "parts_deleted": [],
        "records_deleted": 0,
        "orphans_deleted": 0,
    }
    row = Upload.objects.get(pk=idle["id"])
    assert row.state == "expired"
    assert row.parts_deleted_at is not None
    assert not UploadPart.objects.filter(upload=row).exists()
    assert len(list(parts_root.iterdir())) == 1  # the busy upload's
    assert Upload.objects.get(pk=busy["id"]).state == "open"
    refused = put_part(client, idle["id"], 2, part_bytes(data, PART, 2))
    assert refused.status_code == 409
    assert refused.json()["code"] == "upload_expired"


def test_cleanup_deletes_old_finished_records_and_orphan_part_directories(
    settings, local_storage, client, lecture
):
    settings.UPLOAD_PART_SIZE = PART
    settings.UPLOAD_RECORD_RETENTION_DAYS = 7
    data = fake_video(PART)
    done = start(client, lecture, data).json()
    assert complete(client, done["id"], send_all(client, done, data)).status_code == 200
    recent = start(client, lecture, data).json()
    client.delete(f"/api/v1/uploads/{recent['id']}")
    Upload.objects.filter(pk=done["id"]).update(finished_at=timezone.now() - timedelta(days=8))
    orphan = Path(local_storage.location) / LOCAL_PARTS_DIR / ("0" * 32)
    orphan.mkdir(parents=True)
    (orphan / "data").write_bytes(b"x")
    old = time.time() - 2 * 24 * 3600
    os.utime(orphan, (old, old))

    report = tasks.uploads_cleanup()

    assert report["records_deleted"] == 1
    assert report["orphans_deleted"] == 1
    assert list(Upload.objects.values_list("pk", flat=True)) == [recent["id"]]
    assert not orphan.exists()


@pytest.mark.s3
def test_cleanup_aborts_expired_and_orphan_multipart_uploads_on_s3(
    settings, s3_server, s3_storage, client, lecture
):
    settings.UPLOAD_EXPIRE_HOURS = 1
    settings.UPLOAD_PART_SIZE = PART  # raised to S3's 5 MiB minimum
    part = 5 * 1024 * 1024
    data = fake_video(part + 100)
    upload = start(client, lecture, data).json()
    target = client.post(f"/api/v1/uploads/{upload['id']}/parts/1/url").json()
    assert requests.put(target["url"], data=data[:part], timeout=30).status_code == 200
    _age(upload["id"], hours=1)
    row = Upload.objects.get(pk=upload["id"])
    bucket = s3_server.client()
    key = f"{s3_storage.location}/{row.key}"
    orphan = bucket.create_multipart_upload(
        Bucket=s3_server.bucket, Key=f"{s3_storage.location}/uploads/{'f' * 32}"
    )["UploadId"]

    later = timezone.now() + timedelta(hours=2)  # the orphan is older than the expiry then

    first = uploads.uploads_cleanup(now=later)
    second = uploads.uploads_cleanup(now=later)

    assert (first.expired, first.parts_deleted, first.orphans_deleted) == ([row.pk], [row.pk], 1)
    assert (second.expired, second.parts_deleted, second.orphans_deleted) == ([], [], 0)
    for upload_id, object_key in (
        (row.s3_upload_id, key),
        (orphan, f"{s3_storage.location}/uploads/{'f' * 32}"),
    ):
        with pytest.raises(ClientError) as gone:
            bucket.list_parts(Bucket=s3_server.bucket, Key=object_key, UploadId=upload_id)
        assert gone.value.response["Error"]["Code"] == "NoSuchUpload"
