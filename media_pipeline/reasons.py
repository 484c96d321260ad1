"""Every code the pipeline reports, and the reason a person reads for it: the one table.

The reasons are English and use ``%(name)s`` placeholders filled from the error's ``params``.
They are marked with :func:`gettext_noop` (a no-op here: the pipeline has no Django), so that
Django's ``makemessages`` collects them and the platform shows them translated
(`lms.media.failures.failure_message`). Nothing here imports the rest of the pipeline.
"""

from __future__ import annotations

from collections.abc import Mapping

ParamValue = str | int | float


def gettext_noop(message: str) -> str:
    """Marks `message` for translation by the platform; returns it unchanged."""
    return message


# Rejections of an upload by the acceptance policy: deterministic, never retried.
EMPTY_FILE = "empty_file"
NOT_A_VIDEO = "not_a_video"
PLAYLIST_OR_REFERENCE_FILE = "playlist_or_reference_file"
TOO_LONG = "too_long"
TOO_MANY_PIXELS = "too_many_pixels"
FRAME_RATE_TOO_HIGH = "frame_rate_too_high"
TOO_MANY_STREAMS = "too_many_streams"
FILE_TOO_LARGE = "file_too_large"
NO_VIDEO_STREAM = "no_video_stream"
UNSUPPORTED_CODEC = "unsupported_codec"
TRUNCATED_OR_CORRUPT = "truncated_or_corrupt"
PROBE_TIMEOUT = "probe_timeout"
PROBE_FAILED = "probe_failed"

#: Keep them free of jargon: they are shown to instructors who uploaded the file.
REJECTION_MESSAGES: Mapping[str, str] = {
    EMPTY_FILE: gettext_noop("The file is empty."),
    NOT_A_VIDEO: gettext_noop(
        "This file is not a video we can read. Upload a video file such as MP4, MOV, MKV or WebM."
    ),
    PLAYLIST_OR_REFERENCE_FILE: gettext_noop(
        "This file is a playlist or a list of other files, not a video. "
        "Upload the video file itself."
    ),
    TOO_LONG: gettext_noop("The video is %(duration)s long; the limit is %(limit)s."),
    TOO_MANY_PIXELS: gettext_noop(
        "The picture is %(width)s×%(height)s pixels; the limit is %(megapixels)s megapixels "
        "and at most %(max_side)s pixels on a side."
    ),
    FRAME_RATE_TOO_HIGH: gettext_noop(
        "The video has %(fps)s frames per second; the limit is %(limit)s."
    ),
    TOO_MANY_STREAMS: gettext_noop("The file has %(count)s tracks; the limit is %(limit)s."),
    FILE_TOO_LARGE: gettext_noop("The file is %(size)s; the limit is %(limit)s."),
    NO_VIDEO_STREAM: gettext_noop(
        "The file has no video track (it may be an audio file or a still image)."
    ),
    UNSUPPORTED_CODEC: gettext_noop("The video is encoded as %(codec)s, which we do not support."),
    TRUNCATED_OR_CORRUPT: gettext_noop(
        "The file is incomplete or damaged; the upload or the export may have been cut short. "
        "Export or upload it again."
    ),
    PROBE_TIMEOUT: gettext_noop("The file took longer than %(limit)s seconds to analyse."),
    PROBE_FAILED: gettext_noop("The file could not be analysed."),
}

REJECTION_CODES: frozenset[str] = frozenset(REJECTION_MESSAGES)

#: Failures of the encode itself (`media_pipeline.errors`), not of the file's acceptance.
PROCESS_MESSAGES: Mapping[str, str] = {
    "ffmpeg_failed": gettext_noop(
        "The video could not be encoded. The file may be damaged; export it again and upload it."
    ),
    "ffmpeg_timeout": gettext_noop("Encoding took longer than allowed."),
    "ffmpeg_not_found": gettext_noop("The video encoder is not installed on the server."),
    "packaging_failed": gettext_noop("The encoded video came out incomplete."),
}

#: Every code the pipeline reports, with its reason.
MESSAGES: Mapping[str, str] = {**REJECTION_MESSAGES, **PROCESS_MESSAGES}


def render(template: str, params: Mapping[str, ParamValue]) -> str:
    """`template` filled from `params`; a missing number must not hide the reason itself."""
    values = dict(params)
    if "max_pixels" in values and "megapixels" not in values:
        values["megapixels"] = f"{int(values['max_pixels']) / 1e6:.1f}"
    if "%(" not in template:
        return template
    try:
        return template % values
    except (KeyError, TypeError, ValueError):
        return template.split("%(", 1)[0].rstrip(" ;(") or template


def rejection_reason(code: str, params: Mapping[str, ParamValue]) -> str:
    """The English reason for `code`, for logs and for callers without translations."""
    template = MESSAGES.get(code)
    return render(template, params) if template else code.replace("_", " ")
