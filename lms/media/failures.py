"""Why a transcode failed, in words an instructor understands, in their language.

`media_pipeline` (no Django) gives a stable code and the numbers behind it; its reasons are in
`media_pipeline.reasons`, the one table, translated here. Jobs store the code and numbers; the
message is rendered when shown, so it follows the reader's language. This module adds the codes
of the platform's own (the worker, the storage).
"""

from collections.abc import Mapping
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from media_pipeline import reasons

# Codes this app adds to the pipeline's.
WORKER_LOST = "worker_lost"
CANCELLED = "cancelled"
STORAGE_UNAVAILABLE = "storage_unavailable"
SOURCE_MISSING = "source_missing"
INTERNAL_ERROR = "internal_error"

MESSAGES: Mapping[str, Promise] = {
    WORKER_LOST: _("The server encoding this video stopped responding."),
    CANCELLED: _("The encoding was cancelled."),
    STORAGE_UNAVAILABLE: _("The file storage could not be reached."),
    SOURCE_MISSING: _("The uploaded file is no longer in storage. Upload it again."),
    INTERNAL_ERROR: _("An unexpected error stopped the encoding."),
}


# Failures that another attempt can fix (the server, the storage, a time limit); the others are
# about the file itself, and only another file helps.
RETRYABLE_FAILURES = frozenset(
    {
        CANCELLED,
        WORKER_LOST,
        STORAGE_UNAVAILABLE,
        INTERNAL_ERROR,
        "ffmpeg_timeout",
        "ffmpeg_not_found",
        "probe_timeout",
        "probe_failed",
        "packaging_failed",
    }
)


def failure_message(code: str, params: Mapping[str, Any], detail: str = "") -> str:
    """The reason for `code` in the reader's language: this app's codes, then the pipeline's
    (`media_pipeline.reasons`, translated by their English text); an unknown code shows
    `detail`."""
    own = MESSAGES.get(code)
    if own is not None:
        return reasons.render(str(own), params)
    template = reasons.MESSAGES.get(code)
    if template is None:
        return detail or code.replace("_", " ")
    return reasons.render(gettext(template), params)


def message(code: str) -> str:
    """The reason for `code` without numbers (for an error raised before any were measured)."""
    return failure_message(code, {})
