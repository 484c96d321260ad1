"""Why a transcode failed, in words an instructor understands, in their language.

`media_pipeline` (no Django) gives a stable code, the numbers behind it and an English reason.
Jobs store the code and numbers; the message is rendered when shown, so it follows the reader's
language. Codes not listed here fall back to the pipeline's English reason.
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Codes this app adds to the pipeline's.
WORKER_LOST = "worker_lost"
CANCELLED = "cancelled"
STORAGE_UNAVAILABLE = "storage_unavailable"
SOURCE_MISSING = "source_missing"
INTERNAL_ERROR = "internal_error"

MESSAGES: Mapping[str, Promise] = {
    # media_pipeline.policy
    "empty_file": _("The file is empty."),
    "not_a_video": _(
        "This file is not a video we can read. Upload a video file such as MP4, MOV, MKV or WebM."
    ),
    "playlist_or_reference_file": _(
        "This file is a playlist or a list of other files, not a video. "
        "Upload the video file itself."
    ),
    "too_long": _("The video is %(duration)s long; the limit is %(limit)s."),
    "too_many_pixels": _(
        "The picture is %(width)s×%(height)s pixels; the limit is %(megapixels)s megapixels "
        "and at most %(max_side)s pixels on a side."
    ),
    "frame_rate_too_high": _("The video has %(fps)s frames per second; the limit is %(limit)s."),
    "too_many_streams": _("The file has %(count)s tracks; the limit is %(limit)s."),
    "file_too_large": _("The file is %(size)s; the limit is %(limit)s."),
    "no_video_stream": _("The file has no video track (it may be an audio file or a still image)."),
    "unsupported_codec": _("The video is encoded as %(codec)s, which we do not support."),
    "truncated_or_corrupt": _(
        "The file is incomplete or damaged; the upload or the export may have been cut short. "
        "Export or upload it again."
    ),
    "probe_timeout": _("The file took longer than %(limit)s seconds to analyse."),
    "probe_failed": _("The file could not be analysed."),
    # media_pipeline.errors
    "ffmpeg_failed": _(
        "The video could not be encoded. The file may be damaged; export it again and upload it."
    ),
    "ffmpeg_timeout": _("Encoding took longer than allowed."),
    "ffmpeg_not_found": _("The video encoder is not installed on the server."),
    "packaging_failed": _("The encoded video came out incomplete."),
    # this app
    WORKER_LOST: _("The server encoding this video stopped responding."),
    CANCELLED: _("The encoding was cancelled."),
    STORAGE_UNAVAILABLE: _("The file storage could not be reached."),
    SOURCE_MISSING: _("The uploaded file is no longer in storage. Upload it again."),
    INTERNAL_ERROR: _("An unexpected error stopped the encoding."),
}


def failure_message(code: str, params: Mapping[str, Any], detail: str = "") -> str:
    template = MESSAGES.get(code)
    if template is None:
        return detail or code.replace("_", " ")
    values = dict(params)
    if code == "too_many_pixels" and "max_pixels" in values:
        values["megapixels"] = f"{int(values['max_pixels']) / 1e6:.1f}"
    text = str(template)
    try:
        return text % values if "%(" in text else text
    except (KeyError, TypeError, ValueError):
        # A missing number must not hide the reason itself.
        return str(template).split("%(", 1)[0].rstrip(" ;(") or detail
