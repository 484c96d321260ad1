"""What the studio lecture page's video panel needs: the videos' state and the upload client's
configuration, with its text in the reader's language (reads only)."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.catalog.models import Lecture, Status
from lms.core.dates import korean_datetime
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
        "wentBack": _(
            "Back from {from}% to {to}%: the parts that were on their way when the connection "
            "dropped are sent again."
        ),
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
        "ready": _("The video is ready."),
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


def video_audience(*, lecture: Lecture, now: datetime | None = None) -> str:
    """Who can watch the lecture's video, given its course's state and its own: one sentence
    for the instructor (the rule itself is `selectors.access_lecture_playback`)."""
    now = now or timezone.now()
    course = lecture.course
    if course.status == Status.DRAFT:
        return _("The course is a draft: only you and staff can see this video.")
    if course.status == Status.IN_REVIEW:
        return _("The course is in review: only you and staff, who review it, can see this video.")
    if course.status == Status.ARCHIVED:
        return _("The course is archived: only you and staff can see this video.")
    if lecture.status != Status.PUBLISHED:
        return _(
            "The course is published but this lecture is not yet: only you and staff can see "
            "this video until it is approved."
        )
    starts = max(d for d in (course.publish_at, lecture.publish_at, now) if d is not None)
    if starts > now:
        return _("Scheduled: every member can see this video from %(when)s.") % {
            "when": korean_datetime(starts)
        }
    return _("Published: every member can see this video.")


def replacement_notice(*, lecture: Lecture, has_playing_video: bool) -> str:
    """What happens to learners when a new video is uploaded, said before the upload.

    A new video of a published lecture goes live when its processing ends, without a new
    review (`assets.lecture_video_replace`, `assets.lectures_switch_to_ready`). Why: review
    judges a course and its instructor, and a published course's texts already change without
    one; a replacement is almost always a fix (sound, a wrong slide, a cut), which learners
    should get at once rather than keep watching the faulty video for days; the old video
    plays until the new one is ready, so nothing breaks meanwhile; and staff can still
    archive a course, and see the new video in the next review's list of changes ("New
    video: ...")."""
    if not has_playing_video:
        return ""
    if lecture.is_visible and lecture.course.is_visible:
        return _(
            "This lecture is public. A new video replaces the current one for every learner as "
            "soon as it has been processed, without a new review; until then learners keep "
            "watching the current one."
        )
    return _("A new video replaces the current one as soon as it has been processed.")


def _panel_state(current: dict[str, Any] | None, replacement: dict[str, Any] | None) -> str:
    """The one state the panel shows: no video, the first video processing (or failed), a
    video ready, or a ready video with its replacement processing (or failed)."""
    if current is None:
        return "empty"
    if current["ready"]:
        if replacement is None:
            return "ready"
        return "replacement_failed" if replacement["failure_message"] else "replacing"
    return "failed" if current["failure_message"] else "processing"


def _state_label(state: str, current: dict[str, Any] | None, text: dict[str, str]) -> str:
    if state == "empty":
        return _("No video yet.")
    if state in ("ready", "replacing", "replacement_failed"):
        return text["ready"]
    assert current is not None
    if state == "failed":
        return text["processingFailed"].format(reason=current["failure_message"])
    if current["job_state"] == TranscodeJob.State.QUEUED:
        return text["processingQueued"]
    if current["active"]:
        return text["processing"].format(percent=int(current["progress"] * 100))
    return str(current["state_label"])


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
    has_playing_video = bool(current and current["ready"])
    text = upload_text()
    state = _panel_state(current, replacement)
    config = {
        "lecture": lecture.pk,
        "uploadsUrl": reverse("api-uploads"),
        "videoStatusUrl": reverse("api-video-status", args=[0]),  # upload.js puts the id in
        "playerSrc": reverse("media:master", args=[lecture.pk]),
        "csrf": get_token(request),
        "maxBytes": settings.MEDIA_MAX_UPLOAD_BYTES,
        "maxSize": filesizeformat(settings.MEDIA_MAX_UPLOAD_BYTES),
        "headBytes": HEAD_BYTES,
        "pollMs": 2000,
        # The video whose processing the panel follows: a replacement in progress, else the
        # lecture's own video.
        "watch": replacement or current,
        "watchIsReplacement": replacement is not None,
        "hasPlayingVideo": has_playing_video,
        "text": text,
    }
    return {
        "current": current,
        "pending": replacement,
        "state": state,
        "label": _state_label(state, current, text),
        "audience": video_audience(lecture=lecture),
        "replacement_notice": replacement_notice(
            lecture=lecture, has_playing_video=has_playing_video
        ),
        "config": config,
    }
