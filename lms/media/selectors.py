"""Reads of the media app. `access_*` look-ups also authorise: what a user may not see is 404."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from lms.accounts.models import User

from .models import TranscodeJob, VideoAsset


def can_manage_video(user: User | None, asset: VideoAsset) -> bool:
    """Staff, the uploader, and instructors of a course whose lecture uses the video."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or asset.uploaded_by_id == user.pk:
        return True
    return asset.lectures.filter(course__instructors=user).exists()


def access_video_asset(user: User | None, *, asset_id: int) -> VideoAsset:
    """The asset, if `user` may manage it (see `can_manage_video`); otherwise 404."""
    try:
        asset = VideoAsset.objects.select_related("current_version").get(pk=asset_id)
    except VideoAsset.DoesNotExist as exc:
        raise Http404 from exc
    if not can_manage_video(user, asset):
        raise Http404
    return asset


def access_video_original(user: User, *, asset_id: int) -> VideoAsset:
    """A video whose uploaded original `user` may download: staff, and instructors of a course
    whose lecture uses it. Anything else is a 404."""
    try:
        asset = VideoAsset.objects.get(pk=asset_id)
    except VideoAsset.DoesNotExist as exc:
        raise Http404 from exc
    if not user.is_staff and not asset.lectures.filter(course__instructors=user).exists():
        raise Http404
    return asset


def video_asset_list_for(user: User) -> QuerySet[VideoAsset]:
    """Videos `user` may manage, newest first."""
    qs = VideoAsset.objects.select_related("current_version", "uploaded_by")
    if not user.is_staff:
        qs = qs.filter(Q(uploaded_by=user) | Q(lectures__course__instructors=user)).distinct()
    return qs.order_by("-created_at", "-id")


def transcode_job_latest(*, asset: VideoAsset) -> TranscodeJob | None:
    return asset.jobs.select_related("version").order_by("-created_at", "-id").first()


def transcode_job_active(*, asset: VideoAsset) -> TranscodeJob | None:
    return (
        asset.jobs.select_related("version")
        .filter(state__in=TranscodeJob.ACTIVE_STATES)
        .order_by("-created_at", "-id")
        .first()
    )


def transcode_job_list(*, asset: VideoAsset) -> QuerySet[TranscodeJob]:
    """Every attempt of every version of `asset`, newest first."""
    return asset.jobs.select_related("version").order_by("-created_at", "-id")


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
