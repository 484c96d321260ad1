"""The studio's view of a video's processing: status, cancel and retry, and who may use them;
and replacing a published lecture's video without interrupting its learners."""

import uuid

import pytest
from django.test import Client

from lms.catalog.models import Lecture
from lms.media import jobs, tasks
from lms.media.models import TranscodeJob, VideoAsset
from tests.factories import CourseFactory, LectureFactory, UserFactory, ready_video_asset

from .uploading import complete, send_all, start

pytestmark = pytest.mark.django_db


@pytest.fixture
def lecture(instructor) -> Lecture:
    course = CourseFactory()
    course.instructors.add(instructor)
    return LectureFactory(course=course)


@pytest.fixture
def client(instructor) -> Client:
    client = Client()
    client.force_login(instructor)
    return client


def _processing_video(lecture: Lecture) -> VideoAsset:
    asset = VideoAsset.objects.create(original=f"uploads/{uuid.uuid4().hex}")
    jobs.transcode_enqueue(asset=asset)
    Lecture.objects.filter(pk=lecture.pk).update(video=asset)
    return asset


def _upload_file(client: Client, lecture: Lecture, data: bytes) -> VideoAsset:
    upload = start(client, lecture, data).json()
    response = complete(client, upload["id"], send_all(client, upload, data))
    assert response.status_code == 200, response.json()
    return VideoAsset.objects.get(pk=response.json()["video"]["asset"])


def test_status_shows_progress_and_time_left_while_encoding(client, lecture):
    asset = _processing_video(lecture)
    TranscodeJob.objects.filter(asset=asset).update(
        state="transcoding", progress=0.42, eta_seconds=31
    )

    status = client.get(f"/api/v1/videos/{asset.pk}/status").json()

    assert status["active"] is True
    assert status["can_cancel"] is True
    assert (status["job_state"], status["progress"], status["eta_seconds"]) == (
        "transcoding",
        0.42,
        31,
    )
    assert status["ready"] is False
    assert status["poster"] is None
    assert status["failure_message"] == ""
    assert status["can_retry"] is False


def test_status_turns_ready_with_a_signed_poster_after_the_real_encode(
    settings, local_storage, client, lecture, tiny_clip, django_capture_on_commit_callbacks
):
    settings.UPLOAD_PART_SIZE = 64 * 1024
    asset = _upload_file(client, lecture, tiny_clip.read_bytes())

    tasks.transcode_job(TranscodeJob.objects.get(asset=asset).pk)
    status = client.get(f"/api/v1/videos/{asset.pk}/status").json()

    assert status["ready"] is True
    assert status["active"] is False
    assert status["state"] == "ready"
    assert status["ready_version"] == 1
    assert status["duration_seconds"] in (1, 2)
    poster = client.get(status["poster"])
    assert poster.status_code == 200
    assert poster["Content-Type"] == "image/jpeg"
    lecture.refresh_from_db()
    assert lecture.video == asset
    assert lecture.duration_seconds in (1, 2)


def test_a_failure_of_the_file_is_explained_and_not_offered_for_retry(
    settings, local_storage, client, lecture
):
    settings.UPLOAD_PART_SIZE = 64 * 1024
    # Starts like an MP4 (so the upload accepts it) but is no readable video.
    asset = _upload_file(client, lecture, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000)

    tasks.transcode_job(TranscodeJob.objects.get(asset=asset).pk)
    status = client.get(f"/api/v1/videos/{asset.pk}/status").json()
    retry = client.post(f"/api/v1/videos/{asset.pk}/retry")

    assert status["state"] == "failed"
    assert status["failure_code"]
    assert status["failure_message"]
    assert status["can_retry"] is False
    assert retry.status_code == 409
    assert retry.json()["code"] == "failure_not_retryable"


def test_cancel_then_retry_through_the_api(client, lecture, django_capture_on_commit_callbacks):
    asset = _processing_video(lecture)

    cancelled = client.post(f"/api/v1/videos/{asset.pk}/cancel").json()
    again = client.post(f"/api/v1/videos/{asset.pk}/cancel")
    with django_capture_on_commit_callbacks() as callbacks:
        retried = client.post(f"/api/v1/videos/{asset.pk}/retry").json()

    assert cancelled["job_state"] == "cancelled"
    assert cancelled["can_retry"] is True
    assert cancelled["failure_message"]
    assert again.status_code == 409
    assert again.json()["code"] == "transcode_not_active"
    assert retried["job_state"] == "queued"
    assert retried["attempt"] == 2
    assert len(callbacks) == 1  # the new attempt's task, after commit


def test_status_takes_a_bounded_number_of_queries(client, lecture, django_assert_max_num_queries):
    asset = _processing_video(lecture)

    with django_assert_max_num_queries(8):
        assert client.get(f"/api/v1/videos/{asset.pk}/status").status_code == 200


ROLES = ["visitor", "member", "other instructor", "uploader only", "co-instructor", "staff"]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["status", "cancel", "retry"])
def test_who_may_watch_cancel_and_retry_an_encode(role, action, lecture):
    asset = _processing_video(lecture)
    if action == "retry":
        jobs.transcode_cancel(job=TranscodeJob.objects.get(asset=asset))
    user = None
    if role != "visitor":
        user = UserFactory(is_staff=role == "staff", is_instructor=role != "member")
    if role == "co-instructor":
        lecture.course.instructors.add(user)
    if role == "uploader only":  # uploaded it, but does not teach the course
        VideoAsset.objects.filter(pk=asset.pk).update(uploaded_by=user)
    client = Client()
    if user is not None:
        client.force_login(user)
    before = list(TranscodeJob.objects.values_list("pk", "state"))

    url = f"/api/v1/videos/{asset.pk}/{action}"
    response = client.get(url) if action == "status" else client.post(url)

    allowed = role in ("co-instructor", "staff")
    if allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == (403 if role == "visitor" else 404)
        assert list(TranscodeJob.objects.values_list("pk", "state")) == before


# --- replacing the video of a published lecture -----------------------------------------------


def test_a_replacement_waits_until_ready_then_the_lecture_switches_to_it(
    settings, local_storage, client, lecture, tiny_clip, django_capture_on_commit_callbacks
):
    settings.UPLOAD_PART_SIZE = 64 * 1024
    old = ready_video_asset(duration=600)
    Lecture.objects.filter(pk=lecture.pk).update(video=old, duration_seconds=600)

    new = _upload_file(client, lecture, tiny_clip.read_bytes())

    lecture.refresh_from_db()
    assert (lecture.video, lecture.pending_video, lecture.duration_seconds) == (old, new, 600)
    status = client.get(f"/api/v1/videos/{new.pk}/status")
    assert status.status_code == 200
    assert status.json()["active"] is True

    tasks.transcode_job(TranscodeJob.objects.get(asset=new).pk)

    lecture.refresh_from_db()
    assert lecture.video == new
    assert lecture.pending_video is None
    assert lecture.duration_seconds in (1, 2)


def test_a_failed_replacement_leaves_the_old_video_playing(
    settings, local_storage, client, lecture
):
    settings.UPLOAD_PART_SIZE = 64 * 1024
    old = ready_video_asset(duration=600)
    Lecture.objects.filter(pk=lecture.pk).update(video=old, duration_seconds=600)
    broken = _upload_file(client, lecture, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000)

    tasks.transcode_job(TranscodeJob.objects.get(asset=broken).pk)

    lecture.refresh_from_db()
    assert (lecture.video, lecture.pending_video, lecture.duration_seconds) == (old, broken, 600)
    assert client.get(f"/api/v1/videos/{broken.pk}/status").json()["state"] == "failed"


def test_a_lecture_without_a_playing_video_takes_the_new_one_at_once(
    settings, local_storage, client, lecture
):
    settings.UPLOAD_PART_SIZE = 64 * 1024
    never_ready = VideoAsset.objects.create(original=f"uploads/{uuid.uuid4().hex}")
    Lecture.objects.filter(pk=lecture.pk).update(video=never_ready)

    new = _upload_file(client, lecture, b"\x00\x00\x00\x18ftypisom" + b"\x00" * 5000)

    lecture.refresh_from_db()
    assert (lecture.video, lecture.pending_video) == (new, None)
