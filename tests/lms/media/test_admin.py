import pytest
from django.urls import reverse
from django.utils import timezone

from lms.media.models import TranscodeJob, Upload, UploadPart, VideoAsset
from tests.factories import LectureFactory

from .factories import TranscodeJobFactory, UploadFactory, VideoAssetFactory, VideoVersionFactory

pytestmark = pytest.mark.django_db

State = TranscodeJob.State


def video_with_history(n: int) -> VideoAsset:
    """A video whose version 1 is ready after a failed first attempt."""
    version = VideoVersionFactory(duration_seconds=61.0, asset__original_filename=f"강의{n}.mp4")
    TranscodeJobFactory(
        version=version,
        attempt=1,
        state=State.FAILED,
        failure_code="worker_lost",
        failure_params={"worker": "w1", "attempts": 1},
        stderr_tail="[error] Conversion failed!",
    )
    TranscodeJobFactory(version=version, attempt=2, state=State.READY, progress=1.0)
    asset = version.asset
    asset.current_version = version
    asset.state = VideoAsset.State.READY
    asset.save()
    return asset


def test_video_changelist_runs_a_bounded_number_of_queries(
    staff_client, django_assert_max_num_queries
):
    for n in range(5):
        video_with_history(n)

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:media_videoasset_changelist"))

    assert response.status_code == 200
    assert "강의4.mp4" in response.content.decode()


def test_video_changelist_filters_by_state_and_searches_file_names(staff_client):
    video_with_history(1)
    failed = VideoVersionFactory(asset__original_filename="broken.mov").asset
    failed.state = VideoAsset.State.FAILED
    failed.save()

    by_state = staff_client.get(
        reverse("admin:media_videoasset_changelist"), {"state__exact": "failed"}
    ).content.decode()
    by_name = staff_client.get(
        reverse("admin:media_videoasset_changelist"), {"q": "강의1"}
    ).content.decode()

    assert "broken.mov" in by_state
    assert "강의1.mp4" not in by_state
    assert "강의1.mp4" in by_name
    assert "broken.mov" not in by_name


def test_video_change_page_shows_the_job_history_with_reasons_and_stderr(staff_client):
    asset = video_with_history(1)

    response = staff_client.get(reverse("admin:media_videoasset_change", args=[asset.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Conversion failed!" in html
    assert str(TranscodeJob.objects.get(asset=asset, attempt=1).failure_message) in html


def test_job_changelist_and_change_page_render(staff_client, django_assert_max_num_queries):
    asset = video_with_history(1)
    job = asset.jobs.get(attempt=1)

    with django_assert_max_num_queries(12):
        listing = staff_client.get(reverse("admin:media_transcodejob_changelist"))
    detail = staff_client.get(reverse("admin:media_transcodejob_change", args=[job.pk]))

    assert listing.status_code == 200
    assert detail.status_code == 200
    assert "Conversion failed!" in detail.content.decode()


def test_lecture_changelist_shows_the_video_state(staff_client, django_assert_max_num_queries):
    for n in range(3):
        LectureFactory(video=video_with_history(n))
    LectureFactory(video=None)

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:catalog_lecture_changelist"))

    assert response.status_code == 200
    assert str(VideoAsset.State.READY.label) in response.content.decode()


def test_admin_cancel_action_cancels_the_running_encode(staff_client):
    job = TranscodeJobFactory(state=State.QUEUED)

    response = staff_client.post(
        reverse("admin:media_videoasset_changelist"),
        {"action": "cancel_active", "_selected_action": [job.asset.pk]},
        follow=True,
    )

    job.refresh_from_db()
    assert response.status_code == 200
    assert job.state == State.CANCELLED


def uploads_in_every_state() -> tuple[Upload, Upload]:
    """An embedded upload under way with two of its four parts, and a completed one."""
    open_upload = UploadFactory(
        uploaded_by__email="kim@example.com",
        uploaded_by__display_name="김강사",
        filename="진행중.mp4",
    )
    for number in (1, 2):
        UploadPart.objects.create(
            upload=open_upload,
            number=number,
            size=open_upload.part_size,
            etag=f"etag{number}",
            received_at=timezone.now(),
        )
    done = UploadFactory(
        uploaded_by__email="lee@example.com",
        filename="완료.mp4",
        state=Upload.State.COMPLETED,
        lecture=LectureFactory(title="모니터링의 이해"),
        asset=VideoAssetFactory(original_filename="완료.mp4"),
    )
    return open_upload, done


def test_upload_changelist_shows_who_what_and_how_far_in_bounded_queries(
    staff_client, django_assert_max_num_queries
):
    _, done = uploads_in_every_state()
    for _ in range(5):
        UploadFactory()

    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse("admin:media_upload_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "김강사" in html
    assert "모니터링의 이해" in html
    assert ">조각<" in html
    assert "2 / 4" in html
    assert reverse("admin:media_videoasset_change", args=[done.asset_id]) in html


def test_upload_changelist_filters_by_state_and_searches_by_email(staff_client):
    uploads_in_every_state()
    url = reverse("admin:media_upload_changelist")

    completed = staff_client.get(url, {"state__exact": "completed"}).content.decode()
    by_email = staff_client.get(url, {"q": "kim@example"}).content.decode()

    assert "완료.mp4" in completed
    assert "진행중.mp4" not in completed
    assert "진행중.mp4" in by_email
    assert "완료.mp4" not in by_email


def test_upload_change_page_is_read_only_with_the_parts_held(staff_client):
    open_upload, _ = uploads_in_every_state()

    response = staff_client.get(reverse("admin:media_upload_change", args=[open_upload.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "etag2" in html  # the parts the platform holds
    assert 'name="_save"' not in html
    assert reverse("admin:media_upload_delete", args=[open_upload.pk]) not in html
    assert staff_client.get(reverse("admin:media_upload_add")).status_code == 403
