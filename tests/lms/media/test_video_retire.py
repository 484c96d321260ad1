"""A lecture moved to another video: the old one, if no lecture uses it any more, is retired and
deleted with all its files once the grace period is over (`versions_purge`)."""

from datetime import timedelta

import pytest
from django.core.files.storage import Storage
from django.utils import timezone

from lms.catalog.models import Lecture
from lms.media import assets, jobs, tasks
from lms.media.models import TranscodeJob, VideoAsset
from lms.media.storage import walk
from tests.factories import CourseFactory, LectureFactory

from .conftest import run, upload

pytestmark = pytest.mark.django_db


def _ready(clip, capture):  # type: ignore[no-untyped-def]
    asset = upload(clip, user=None)
    with capture(execute=True):
        job = jobs.transcode_enqueue(asset=asset)
    assert run(job).state == TranscodeJob.State.READY
    asset.refresh_from_db()
    return asset


def _files(storage: Storage, asset: VideoAsset) -> set[str]:
    names = {asset.original.name}
    for version in asset.versions.all():
        names |= set(walk(storage, version.storage_prefix))
    return {name for name in names if storage.exists(name)}


def _retired_hours_ago(asset: VideoAsset, hours: float) -> None:
    VideoAsset.objects.filter(pk=asset.pk).update(
        retired_at=timezone.now() - timedelta(hours=hours)
    )


def test_a_replaced_video_is_deleted_with_its_files_after_the_grace(
    settings, local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    settings.MEDIA_SUPERSEDED_VERSION_GRACE_HOURS = 24
    capture = django_capture_on_commit_callbacks
    old, new = _ready(tiny_clip, capture), _ready(tiny_clip, capture)
    lecture = LectureFactory(course=CourseFactory())
    with capture(execute=True):
        assets.lecture_attach_video(lecture=lecture, asset=old)
    old_files, new_files = _files(local_storage, old), _files(local_storage, new)
    assert len(old_files) > 5
    assert len(new_files) > 5

    with capture(execute=True):
        assets.lecture_video_replace(lecture=lecture, asset=new)

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.retired_at is not None
    assert new.retired_at is None
    with capture(execute=True):
        assert tasks.versions_purge()["videos_deleted"] == []  # within the grace
    assert _files(local_storage, old) == old_files

    _retired_hours_ago(old, 25)
    with capture(execute=True):
        first = tasks.versions_purge()
    with capture(execute=True):
        second = tasks.versions_purge()

    assert first["videos_deleted"] == [old.pk]
    assert second["videos_deleted"] == []
    assert not VideoAsset.objects.filter(pk=old.pk).exists()
    assert _files(local_storage, old) == set()
    assert _files(local_storage, new) == new_files
    assert Lecture.objects.get(pk=lecture.pk).video_id == new.pk


def test_a_video_another_lecture_still_uses_is_kept(
    local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    shared, other = _ready(tiny_clip, capture), _ready(tiny_clip, capture)
    course = CourseFactory()
    first, second = LectureFactory(course=course), LectureFactory(course=course)
    with capture(execute=True):
        assets.lecture_attach_video(lecture=first, asset=shared)
        assets.lecture_attach_video(lecture=second, asset=shared)
        assets.lecture_video_replace(lecture=first, asset=other)

    shared.refresh_from_db()
    assert shared.retired_at is None
    _retired_hours_ago(shared, 1000)  # even if it had been retired: in use, so kept
    with capture(execute=True):
        assert tasks.versions_purge()["videos_deleted"] == []
    shared.refresh_from_db()
    assert shared.retired_at is None  # and no longer due
    assert _files(local_storage, shared)


def test_the_old_video_is_retired_when_the_waiting_replacement_becomes_ready(
    local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    playing = _ready(tiny_clip, capture)
    lecture = LectureFactory(course=CourseFactory())
    with capture(execute=True):
        assets.lecture_attach_video(lecture=lecture, asset=playing)
    replacement = upload(tiny_clip, user=None)
    with capture(execute=True):
        assets.lecture_video_replace(lecture=lecture, asset=replacement)
        job = jobs.transcode_enqueue(asset=replacement)
    lecture.refresh_from_db()
    assert (lecture.video_id, lecture.pending_video_id) == (playing.pk, replacement.pk)
    playing.refresh_from_db()
    assert playing.retired_at is None  # still what learners watch

    with capture(execute=True):
        assert run(job).state == TranscodeJob.State.READY

    lecture.refresh_from_db()
    playing.refresh_from_db()
    assert (lecture.video_id, lecture.pending_video_id) == (replacement.pk, None)
    assert playing.retired_at is not None


def test_a_waiting_replacement_superseded_by_a_newer_one_is_retired(
    local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    playing = _ready(tiny_clip, capture)
    lecture = LectureFactory(course=CourseFactory())
    first, second = upload(tiny_clip, user=None), upload(tiny_clip, user=None)
    with capture(execute=True):
        assets.lecture_attach_video(lecture=lecture, asset=playing)
        assets.lecture_video_replace(lecture=lecture, asset=first)
        assets.lecture_video_replace(lecture=lecture, asset=second)

    lecture.refresh_from_db()
    first.refresh_from_db()
    assert lecture.pending_video_id == second.pk
    assert first.retired_at is not None


def test_a_retired_video_a_lecture_takes_again_is_no_longer_due(
    local_storage, tiny_clip, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    old, new = _ready(tiny_clip, capture), _ready(tiny_clip, capture)
    lecture = LectureFactory(course=CourseFactory())
    with capture(execute=True):
        assets.lecture_attach_video(lecture=lecture, asset=old)
        assets.lecture_attach_video(lecture=lecture, asset=new)
    old.refresh_from_db()
    assert old.retired_at is not None

    with capture(execute=True):
        assets.lecture_attach_video(lecture=lecture, asset=old)

    old.refresh_from_db()
    new.refresh_from_db()
    assert old.retired_at is None
    assert new.retired_at is not None
