"""Exceptions raised by the media pipeline.

Every exception has a stable machine-readable ``code``. Rejections of an upload
(:class:`MediaRejectedError`) are deterministic: the same file is refused the same way every
time, so callers should not retry them. Process failures carry the argv and the stderr tail
so that a job row can store what ran and why it failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from media_pipeline.reasons import ParamValue, rejection_reason


class MediaPipelineError(Exception):
    """Base class: ``code`` is machine-readable, ``str(error)`` is for logs."""

    code: str = "media_pipeline_error"
    #: A hint for the job layer: would running the same work again plausibly succeed?
    retryable: bool = False


class FfmpegNotFoundError(MediaPipelineError):
    code = "ffmpeg_not_found"


class MediaRejectedError(MediaPipelineError):
    """The upload breaks the acceptance policy; ``reason`` is written for a person.

    ``params`` holds the numbers the reason was built from, so that a translated message can
    be rendered from ``code`` and ``params`` alone (see :mod:`media_pipeline.reasons`).
    """

    def __init__(self, code: str, params: Mapping[str, ParamValue] | None = None) -> None:
        self.code = code
        self.params: dict[str, ParamValue] = dict(params or {})
        self.reason = rejection_reason(code, self.params)
        details = f" {self.params}" if self.params else ""
        super().__init__(f"{code}: {self.reason}{details}")


class ProbeError(MediaRejectedError):
    """The probe could not read the file (or found it was not a video it may open)."""


class ProbeTimeoutError(ProbeError):
    retryable = True


class FfmpegError(MediaPipelineError):
    """A child process run by :mod:`media_pipeline.runner` failed.

    Raised for ffmpeg and for the probe child alike; ``argv`` is what ran, ``returncode`` is
    the exit status (negative: killed by that signal), ``stderr_tail`` the last few KB of its
    standard error.
    """

    code = "ffmpeg_failed"

    def __init__(
        self,
        message: str,
        *,
        argv: Sequence[str],
        returncode: int | None,
        stderr_tail: str,
    ) -> None:
        self.argv: tuple[str, ...] = tuple(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        last_line = stderr_tail.strip().splitlines()[-1:] or [""]
        super().__init__(f"{message} (exit status {returncode}): {last_line[0]}")


class FfmpegTimeoutError(FfmpegError):
    """The wall-clock limit passed; the whole process group was killed."""

    code = "ffmpeg_timeout"
    retryable = True


class FfmpegCancelledError(FfmpegError):
    """``should_cancel`` returned true; the whole process group was killed."""

    code = "cancelled"
