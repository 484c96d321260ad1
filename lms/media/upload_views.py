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

from . import uploads
from .models import VideoAsset


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


def _status(asset: VideoAsset | None, lecture: Lecture) -> dict[str, Any] | None:
    if asset is None:
        return None
    return uploads.video_status_data(asset=asset, lecture_id=lecture.pk)


def video_panel_context(*, request: HttpRequest, lecture: Lecture) -> dict[str, Any]:
    """For templates/studio/lecture_edit.html's video panel. The caller has checked that the
    user may edit `lecture`."""
    video = (
        VideoAsset.objects.select_related("current_version").filter(pk=lecture.video_id).first()  # type: ignore[attr-defined]
    )
    pending = (
        VideoAsset.objects.select_related("current_version")
        .filter(pk=lecture.pending_video_id)  # type: ignore[attr-defined]
        .first()
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
