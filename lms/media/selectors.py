"""Reads of the media app, and every `access_*` rule of it: what a user may not see is a 404.

Who manages a video (watches its encode, cancels, retries, downloads its original) is one rule,
`can_manage_video`: staff, and instructors of a course with a lecture that plays it or waits for
it as its replacement. Uploading for a lecture, and playing one, follow the course's own rules
(`lms.catalog.selectors.can_edit_course`, lecture visibility).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from lms.accounts.models import User
from lms.catalog.models import Lecture
from lms.catalog.selectors import can_edit_course, editor_q

from .models import TranscodeJob, Upload, VideoAsset


def lectures_using(asset_ids: Iterable[int]) -> QuerySet[Lecture]:
    """The lectures that play one of `asset_ids` or wait for it as their replacement."""
    ids = list(asset_ids)
    return Lecture.objects.filter(Q(video_id__in=ids) | Q(pending_video_id__in=ids))


def can_manage_video(user: User | None, asset: VideoAsset) -> bool:
    """Staff, and instructors of a course whose lecture plays the video or waits for it."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return lectures_using([asset.pk]).filter(editor_q(user, "course__")).exists()


def _video(asset_id: int) -> VideoAsset:
    try:
        return VideoAsset.objects.select_related("current_version").get(pk=asset_id)
    except VideoAsset.DoesNotExist as exc:
        raise Http404 from exc


def access_video(user: User | None, *, asset_id: int) -> VideoAsset:
    """A video `user` may manage (`can_manage_video`): its encode, its original; else 404."""
    asset = _video(asset_id)
    if not can_manage_video(user, asset):
        raise Http404
    return asset


def lecture_for_video(*, asset: VideoAsset) -> int | None:
    """A lecture that uses (or waits for) `asset`: what its poster URL is signed for."""
    return lectures_using([asset.pk]).order_by("pk").values_list("pk", flat=True).first()


def access_lecture_for_upload(user: User, *, lecture_id: int) -> Lecture:
    """A lecture whose video `user` may replace (its course's instructors, staff); else 404."""
    try:
        lecture = Lecture.objects.select_related("course").get(pk=lecture_id)
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    if not can_edit_course(user, lecture.course):
        raise Http404
    return lecture


def access_upload(user: User, *, upload_id: int) -> Upload:
    """An upload of `user`'s own, while they may still edit its lecture; else 404 (so a URL of
    one person's upload is no use to anyone else, staff included)."""
    try:
        upload = Upload.objects.select_related("lecture__course").get(pk=upload_id)
    except Upload.DoesNotExist as exc:
        raise Http404 from exc
    if upload.uploaded_by_id != user.pk:
        raise Http404
    if upload.lecture is None or not can_edit_course(user, upload.lecture.course):
        raise Http404
    return upload


def access_lecture_playback(user: object, *, lecture_id: int) -> Lecture:
    """A lecture whose video the user may play: visible to members, or any for its
    instructors and staff. Anything else is a 404."""
    try:
        lecture = Lecture.objects.select_related("course", "video", "video__current_version").get(
            pk=lecture_id
        )
    except Lecture.DoesNotExist as exc:
        raise Http404 from exc
    visible = lecture.is_visible and lecture.course.is_visible
    if not visible and not can_edit_course(user, lecture.course):  # type: ignore[arg-type]
        raise Http404
    if lecture.video is None or lecture.video.current_version is None:
        raise Http404
    return lecture


def transcode_job_latest(*, asset: VideoAsset) -> TranscodeJob | None:
    return asset.jobs.select_related("version").order_by("-created_at", "-id").first()


def transcode_job_active(*, asset: VideoAsset) -> TranscodeJob | None:
    return (
        asset.jobs.select_related("version")
        .filter(state__in=TranscodeJob.ACTIVE_STATES)
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class VideoStatus:
    """What an upload page or the studio shows while a video is processed."""

    state: str
    state_label: str
    ready_version: int | None
    job_id: int | None
    job_state: str | None
    progress: float
    eta_seconds: int | None
    attempt: int | None
    failure_code: str
    failure_message: str


def video_status(*, asset: VideoAsset) -> VideoStatus:
    job = transcode_job_latest(asset=asset)
    current = asset.current_version
    return VideoStatus(
        state=asset.state,
        state_label=str(VideoAsset.State(asset.state).label),
        ready_version=current.number if current is not None else None,
        job_id=job.pk if job else None,
        job_state=job.state if job else None,
        progress=job.progress if job else 0.0,
        eta_seconds=job.eta_seconds if job else None,
        attempt=job.attempt if job else None,
        failure_code=job.failure_code if job else "",
        failure_message=job.failure_message if job else "",
    )
