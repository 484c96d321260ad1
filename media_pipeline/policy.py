"""What the platform accepts, and why it refuses the rest.

Every refusal has a stable ``code`` and ``params``; its reason, for a person, is in the one
table of :mod:`media_pipeline.reasons`, which the Django side translates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from media_pipeline.errors import MediaRejectedError
from media_pipeline.reasons import (
    EMPTY_FILE,
    FILE_TOO_LARGE,
    FRAME_RATE_TOO_HIGH,
    NO_VIDEO_STREAM,
    NOT_A_VIDEO,
    PLAYLIST_OR_REFERENCE_FILE,
    TOO_LONG,
    TOO_MANY_PIXELS,
    TOO_MANY_STREAMS,
    TRUNCATED_OR_CORRUPT,
    UNSUPPORTED_CODEC,
)

if TYPE_CHECKING:
    from media_pipeline.probe import ProbeResult


#: Demuxers we let ffmpeg use, by their first name (``-f`` accepts it). None of them opens
#: other files or URLs.
ALLOWED_DEMUXERS: frozenset[str] = frozenset(
    {"mov", "matroska", "avi", "mpegts", "flv", "asf", "mpeg"}
)
#: Demuxers that name other files, URLs, devices or scripts. Refused with their own code.
REFERENCE_DEMUXERS: frozenset[str] = frozenset(
    {
        "hls",
        "applehttp",
        "concat",
        "dash",
        "imf",
        "image2",  # a file-name pattern that opens a sequence of other files
        "sdp",
        "rtsp",
        "rtp",
        "avisynth",
        "vapoursynth",
        "ffmetadata",
        "mpl2",
        "tee",
    }
)
IMAGE_DEMUXER_SUFFIX = "_pipe"  # png_pipe, jpeg_pipe, webp_pipe, ...

#: Video codecs we transcode. Their decoders are mature, and they cover what cameras, phones,
#: screen recorders and video editors write.
ALLOWED_VIDEO_CODECS: frozenset[str] = frozenset(
    {
        "h264",
        "hevc",
        "vp8",
        "vp9",
        "av1",
        "mpeg4",
        "mpeg2video",
        "mpeg1video",
        "mjpeg",
        "prores",
        "dnxhd",
        "h263",
        "msmpeg4v3",
        "wmv2",
        "wmv3",
        "vc1",
        "theora",
        "flv1",
    }
)


@dataclass(frozen=True)
class Limits:
    """Acceptance limits. The defaults suit recorded lectures up to a full day's course."""

    max_duration_s: float = 6 * 3600.0
    max_pixels: int = 4096 * 4096
    max_side: int = 8192
    max_frame_rate: float = 120.0
    max_streams: int = 16
    max_file_bytes: int = 20 * 1024**3
    probe_timeout_s: float = 30.0
    probe_cpu_s: int = 30
    #: Address space of the probe child. Python with PyAV maps ~0.6 GB; the rest is for
    #: the frames avformat_find_stream_info decodes (one 8192×8192 frame is ~100 MB).
    probe_memory_bytes: int = 2 * 1024**3


def format_duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def format_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def primary_demuxer_name(format_name: str) -> str:
    """``mov,mp4,m4a,3gp,3g2,mj2`` → ``mov``: the name ``-f`` and ``-format_whitelist`` take."""
    return format_name.split(",", 1)[0].strip()


def check_demuxer(format_name: str) -> None:
    name = primary_demuxer_name(format_name)
    if name in ALLOWED_DEMUXERS:
        return
    if name in REFERENCE_DEMUXERS:
        raise MediaRejectedError(PLAYLIST_OR_REFERENCE_FILE, {"detected": name})
    if name.endswith(IMAGE_DEMUXER_SUFFIX) or name.startswith("image2"):
        raise MediaRejectedError(NOT_A_VIDEO, {"detected": f"an image ({name})"})
    raise MediaRejectedError(NOT_A_VIDEO, {"detected": f"format {name}"})


def check_file_size(size_bytes: int, limits: Limits) -> None:
    if size_bytes == 0:
        raise MediaRejectedError(EMPTY_FILE)
    if size_bytes > limits.max_file_bytes:
        raise MediaRejectedError(
            FILE_TOO_LARGE,
            {
                "size_bytes": size_bytes,
                "limit_bytes": limits.max_file_bytes,
                "size": format_size(size_bytes),
                "limit": format_size(limits.max_file_bytes),
            },
        )


def check_policy(result: ProbeResult, limits: Limits | None = None) -> None:
    """Raise :class:`MediaRejectedError` unless the probed file is acceptable.

    The order matters only for which of several problems is reported: cheap structural facts
    first, then the ones that depend on the video stream.
    """
    limits = limits or Limits()
    check_file_size(result.size_bytes, limits)
    check_demuxer(result.format_name)
    if result.stream_count > limits.max_streams:
        raise MediaRejectedError(
            TOO_MANY_STREAMS, {"count": result.stream_count, "limit": limits.max_streams}
        )
    video = result.video
    if video is None:
        raise MediaRejectedError(NO_VIDEO_STREAM)
    if (
        video.coded_width * video.coded_height > limits.max_pixels
        or max(video.coded_width, video.coded_height) > limits.max_side
    ):
        raise MediaRejectedError(
            TOO_MANY_PIXELS,
            {
                "width": video.coded_width,
                "height": video.coded_height,
                "max_pixels": limits.max_pixels,
                "megapixels": f"{limits.max_pixels / 1e6:.1f}",
                "max_side": limits.max_side,
            },
        )
    if video.coded_width <= 0 or video.coded_height <= 0:
        raise MediaRejectedError(TRUNCATED_OR_CORRUPT, {"detail": "no picture size"})
    if video.frame_rate > limits.max_frame_rate:
        raise MediaRejectedError(
            FRAME_RATE_TOO_HIGH,
            {"fps": round(video.frame_rate, 2), "limit": round(limits.max_frame_rate, 2)},
        )
    if result.duration_s > limits.max_duration_s:
        raise MediaRejectedError(
            TOO_LONG,
            {
                "duration_s": round(result.duration_s, 3),
                "limit_s": limits.max_duration_s,
                "duration": format_duration(result.duration_s),
                "limit": format_duration(limits.max_duration_s),
            },
        )
    if video.codec not in ALLOWED_VIDEO_CODECS:
        raise MediaRejectedError(UNSUPPORTED_CODEC, {"codec": video.codec})
    if result.truncated or not video.decodable or result.duration_s <= 0:
        raise MediaRejectedError(
            TRUNCATED_OR_CORRUPT,
            {"detail": result.problem or "the video could not be decoded"},
        )
