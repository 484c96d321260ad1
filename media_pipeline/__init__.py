"""The media pipeline: probe, policy, ladder, ffmpeg commands, runner and HLS packaging.

Plain Python, no Django. The Django side calls:

* :func:`inspect_upload` (probe + policy) → :class:`ProbeResult`, or raises
  :class:`MediaRejectedError` with ``code``, ``reason`` and ``params``;
* :func:`transcode` → :class:`TranscodeResult`, with progress and cancellation callbacks.
"""

from media_pipeline.binaries import resolve_ffmpeg
from media_pipeline.errors import (
    FfmpegCancelledError,
    FfmpegError,
    FfmpegNotFoundError,
    FfmpegTimeoutError,
    MediaPipelineError,
    MediaRejectedError,
    ProbeError,
    ProbeTimeoutError,
)
from media_pipeline.ladder import Ladder, Rung, build_ladder
from media_pipeline.packaging import PackagingError
from media_pipeline.policy import Limits, check_policy
from media_pipeline.probe import (
    AudioStreamInfo,
    ProbeResult,
    VideoStreamInfo,
    inspect_upload,
    probe,
)
from media_pipeline.reasons import REJECTION_CODES, REJECTION_MESSAGES
from media_pipeline.runner import Progress, ResourceLimits
from media_pipeline.spec import EncoderSpec, LoudnessTarget, StoryboardSpec, TranscodeSpec
from media_pipeline.transcode import (
    RenditionResult,
    StoryboardResult,
    TranscodeResult,
    spec_for_binary,
    transcode,
)

__all__ = [
    "REJECTION_CODES",
    "REJECTION_MESSAGES",
    "AudioStreamInfo",
    "EncoderSpec",
    "FfmpegCancelledError",
    "FfmpegError",
    "FfmpegNotFoundError",
    "FfmpegTimeoutError",
    "Ladder",
    "Limits",
    "LoudnessTarget",
    "MediaPipelineError",
    "MediaRejectedError",
    "PackagingError",
    "ProbeError",
    "ProbeResult",
    "ProbeTimeoutError",
    "Progress",
    "RenditionResult",
    "ResourceLimits",
    "Rung",
    "StoryboardResult",
    "StoryboardSpec",
    "TranscodeResult",
    "TranscodeSpec",
    "VideoStreamInfo",
    "build_ladder",
    "check_policy",
    "inspect_upload",
    "probe",
    "resolve_ffmpeg",
    "spec_for_binary",
    "transcode",
]
