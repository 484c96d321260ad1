"""Superseded versions: a re-encode switches the asset at once, and `versions_purge` deletes the
old version's files once the grace period is over, on disk and on S3."""

from datetime import timedelta

import pytest
from django.core.files.storage import Storage
from django.utils import timezone

from lms.media import jobs, retention, tasks
from lms.media.models import TranscodeJob, VideoAsset, VideoVersion
from lms.media.storage import walk

from .conftest import run, upload

pytestmark = pytest.mark.django_db


def _encode(asset: VideoAsset, capture_on_commit) -> VideoVersion:  # type: ignore[no-untyped-def]
    with capture_on_commit():
        job = jobs.transcode_enqueue(asset=asset)
    job = run(job)
    assert job.state == TranscodeJob.State.READY, job.failure_detail
    return job.version


def _superseded_hours_ago(version: VideoVersion, hours: float) -> None:
    VideoVersion.objects.filter(pk=version.pk).update(
        superseded_at=timezone.now() - timedelta(hours=hours)
    )


def _contents(storage: Storage, prefix: str) -> dict[str, bytes]:
    contents = {}
    for name in walk(storage, prefix):
        with storage.open(name, "rb") as handle:
            contents[name] = handle.read()
    return contents


def test_reencode_marks_the_old_version_superseded_and_keeps_its_files_during_the_grace(
    settings, local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    settings.MEDIA_SUPERSEDED_VERSION_GRACE_HOURS = 24
    asset = upload(tiny_clip, user=None)
    old = _encode(asset, django_capture_on_commit_callbacks)
    old_files = set(walk(local_storage, old.storage_prefix))

    new = _encode(asset, django_capture_on_commit_callbacks)
    _superseded_hours_ago(old, 23)
    report = tasks.versions_purge()

    asset.refresh_from_db()
    old.refresh_from_db()
    new.refresh_from_db()
    assert asset.current_version == new
    assert old.superseded_at is not None
    assert new.superseded_at is None
    assert report == {"purged": [], "files_deleted": 0, "failed": [], "videos_deleted": []}
    assert old.purged_at is None
    assert set(walk(local_storage, old.storage_prefix)) == old_files


def test_purge_deletes_the_superseded_version_files_and_leaves_the_current_one_untouched(
    settings, local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    settings.MEDIA_SUPERSEDED_VERSION_GRACE_HOURS = 24
    asset = upload(tiny_clip, user=None)
    old = _encode(asset, django_capture_on_commit_callbacks)
    new = _encode(asset, django_capture_on_commit_callbacks)
    old_files = set(walk(local_storage, old.storage_prefix))
    current = _contents(local_storage, new.storage_prefix)
    assert old_files
    assert current
    _superseded_hours_ago(old, 25)

    first = tasks.versions_purge()
    second = tasks.versions_purge()

    assert first == {
        "purged": [old.pk],
        "files_deleted": len(old_files),
        "failed": [],
        "videos_deleted": [],
    }
    assert second == {"purged": [], "files_deleted": 0, "failed": [], "videos_deleted": []}
    assert list(walk(local_storage, old.storage_prefix)) == []
    assert _contents(local_storage, new.storage_prefix) == current
    assert local_storage.exists(asset.original.name)
    old.refresh_from_db()
    new.refresh_from_db()
    assert old.purged_at is not None
    assert new.purged_at is None
    # The row stays, with what it held: the history of the asset's encodes.
    assert old.is_ready
    assert old.files


def test_purge_never_deletes_the_current_version(
    settings, local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=None)
    version = _encode(asset, django_capture_on_commit_callbacks)
    files = set(walk(local_storage, version.storage_prefix))
    # A row that claims to be superseded (by a bug or a hand edit) while it is current.
    _superseded_hours_ago(version, 1000)

    report = retention.video_versions_purge()

    assert report.purged == []
    assert set(walk(local_storage, version.storage_prefix)) == files


def test_a_member_keeps_the_old_version_until_it_is_purged(
    member_client, ready_lecture, django_capture_on_commit_callbacks
):
    asset = ready_lecture.video
    old = asset.current_version
    master = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()
    old_variant = next(line for line in master.splitlines() if line.startswith("/play/"))
    assert f"/v{old.pk}/" in old_variant

    new = _encode(asset, django_capture_on_commit_callbacks)

    # Loaded before the switch: still plays during the grace period.
    assert member_client.get(old_variant).status_code == 200
    master = member_client.get(f"/play/lectures/{ready_lecture.pk}/master.m3u8").content.decode()
    assert f"/v{new.pk}/" in master
    assert f"/v{old.pk}/" not in master

    _superseded_hours_ago(old, 25)
    tasks.versions_purge()

    assert member_client.get(old_variant).status_code == 404
    new_variant = next(line for line in master.splitlines() if line.startswith("/play/"))
    assert member_client.get(new_variant).status_code == 200


@pytest.mark.s3
def test_purge_on_s3_deletes_only_the_superseded_version_objects(
    s3_server, s3_storage, tiny_clip, django_capture_on_commit_callbacks
):
    asset = upload(tiny_clip, user=None)
    old = _encode(asset, django_capture_on_commit_callbacks)
    new = _encode(asset, django_capture_on_commit_callbacks)
    old_keys = set(walk(s3_storage, old.storage_prefix))
    new_keys = set(walk(s3_storage, new.storage_prefix))
    assert old_keys
    assert new_keys
    _superseded_hours_ago(old, 25)

    first = tasks.versions_purge()
    second = tasks.versions_purge()

    assert first["purged"] == [old.pk]
    assert first["files_deleted"] == len(old_keys)
    assert second["purged"] == []
    client = s3_server.client()
    listed = client.list_objects_v2(
        Bucket=s3_server.bucket, Prefix=f"{s3_storage.location}/videos/{asset.pk}/"
    )
    keys = {item["Key"] for item in listed.get("Contents", [])}
    assert keys == {f"{s3_storage.location}/{name}" for name in new_keys}
    assert s3_storage.exists(asset.original.name)
