"""What the studio lecture page's video panel needs: the videos' state and the upload client's
configuration, with its text in the reader's language (reads only)."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext as _

from lms.catalog.models import Lecture
from media_pipeline.sniff import HEAD_BYTES

from . import failures, playback, selectors
from .models import TranscodeJob, VideoAsset


def upload_text() -> dict[str, str]:
    """The upload client's words. `{name}`-style fields are filled in by upload.js."""
    return {
        "drop": _("Drop a video file here, or choose one"),
        "choose": _("Choose a video file"),
        "preparing": _("Checking the file…"),
        "uploading": _("Uploading {name}"),
        "resumeHint": _(
            "The upload of “{name}” stopped at {percent}%. Choose the same file again to resume it."
        ),
        "resuming": _("Resuming: {done} of {total} parts are already on the server."),
        "offline": _("The connection was lost. The upload resumes when it is back."),
        "retrying": _("Network error. Trying again in {seconds} s…"),
        "speed": _("{speed}/s"),
        "timeLeft": _("{time} left"),
        "cancel": _("Cancel upload"),
        "cancelled": _("Upload cancelled."),
        "completing": _("Putting the parts together…"),
        "uploaded": _("Uploaded. The video is being processed."),
        "tooLarge": _("The file is larger than the limit of {limit}."),
        "failed": _("The upload failed: {reason}"),
        "notVideo": _("Choose a video file."),
        "processingQueued": _("Waiting to be processed…"),
        "processing": _("Processing: {percent}%"),
        "ready": _("Ready. Learners see this video."),
        "readyReplacement": _("The new video is ready and now replaces the old one."),
        "pendingNote": _("Learners keep seeing the current video until the new one is ready."),
        "processingFailed": _("Processing failed: {reason}"),
        "retry": _("Try again"),
        "cancelProcessing": _("Stop processing"),
        "genericError": _("Something went wrong. Reload the page and try again."),
    }


def video_status_data(*, asset: VideoAsset, lecture_id: int | None) -> dict[str, Any]:
    """What the studio shows about a video's processing, ready for JSON."""
    status = selectors.video_status(asset=asset)
    version = asset.current_version
    job_state = status.job_state
    active = job_state in TranscodeJob.ACTIVE_STATES
    finished_badly = job_state in (TranscodeJob.State.FAILED, TranscodeJob.State.CANCELLED)
    poster = None
    if version is not None and version.poster_path and lecture_id is not None:
        poster = playback.sign_file(name=version.poster_path, lecture_id=lecture_id)
    return {
        "asset": asset.pk,
        "state": status.state,
        "state_label": status.state_label,
        "ready": version is not None,
        "ready_version": status.ready_version,
        "duration_seconds": round(version.duration_seconds or 0) if version else None,
        "poster": poster,
        "active": active,
        "job": status.job_id,
        "job_state": job_state,
        "job_state_label": (str(TranscodeJob.State(job_state).label) if job_state else None),
        "progress": round(status.progress, 4),
        "eta_seconds": status.eta_seconds if active else None,
        "attempt": status.attempt,
        "failure_code": status.failure_code if finished_badly else "",
        "failure_message": status.failure_message if finished_badly else "",
        "can_cancel": active,
        "can_retry": finished_badly and status.failure_code in failures.RETRYABLE_FAILURES,
        "status_url": reverse("api-video-status", args=[asset.pk]),
        "cancel_url": reverse("api-video-cancel", args=[asset.pk]),
        "retry_url": reverse("api-video-retry", args=[asset.pk]),
    }


def _status(asset: VideoAsset | None, lecture: Lecture) -> dict[str, Any] | None:
    if asset is None:
        return None
    return video_status_data(asset=asset, lecture_id=lecture.pk)


def video_panel_context(*, request: HttpRequest, lecture: Lecture) -> dict[str, Any]:
    """For templates/studio/lecture_edit.html's video panel. The caller has checked that the
    user may edit `lecture`."""
    assets = VideoAsset.objects.select_related("current_version")
    video = assets.filter(pk=lecture.video_id).first() if lecture.video_id else None
    pending = (
        assets.filter(pk=lecture.pending_video_id).first() if lecture.pending_video_id else None
    )
    current = _status(video, lecture)
    replacement = _status(pending, lecture)
    config = {
        "lecture": lecture.pk,
        "uploadsUrl": reverse("api-uploads"),
        "videoStatusUrl": reverse("api-video-status", args=[0]),  # upload.js puts the id in
        "csrf": get_token(request),
        "maxBytes": settings.MEDIA_MAX_UPLOAD_BYTES,
        "maxSize": filesizeformat(settings.MEDIA_MAX_UPLOAD_BYTES),
        "headBytes": HEAD_BYTES,
        "pollMs": 2000,
        # The video whose processing the panel follows: a replacement in progress, else the
        # lecture's own video.
        "watch": replacement or current,
        "watchIsReplacement": replacement is not None,
        "hasPlayingVideo": bool(current and current["ready"]),
        "text": upload_text(),
    }
    return {"current": current, "pending": replacement, "config": config}
