"""Probe an upload with PyAV in a child process and describe it as typed data.

:func:`probe` refuses playlists and other non-videos by sniffing the first bytes *before*
anything opens the file with a demuxer, then runs :mod:`media_pipeline._probe_child` under a
timeout and rlimits. :func:`inspect_upload` adds the acceptance policy.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from media_pipeline import policy, reasons
from media_pipeline.errors import FfmpegError, FfmpegTimeoutError, ProbeError, ProbeTimeoutError
from media_pipeline.runner import ResourceLimits, run_process, scrubbed_environment
from media_pipeline.sniff import SniffedKind, read_head, sniff_bytes

_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent)


@dataclass(frozen=True)
class VideoStreamInfo:
    index: int
    codec: str
    profile: str | None
    #: Picture size as stored in the stream.
    coded_width: int
    coded_height: int
    #: Size as shown: sample aspect ratio applied, then the display rotation.
    display_width: int
    display_height: int
    #: Counter-clockwise degrees from the display matrix (``rotate`` tags become one).
    rotation: int
    sample_aspect_ratio: Fraction
    frame_rate: float
    frame_rate_fraction: Fraction | None
    pix_fmt: str | None
    interlaced: bool
    color_transfer: str | None
    #: ``smpte2084`` (PQ) or ``arib-std-b67`` (HLG) when the video is HDR.
    hdr_transfer: str | None
    bit_rate: int | None
    attached_pic: bool
    decodable: bool
    decode_error: str | None


@dataclass(frozen=True)
class AudioStreamInfo:
    index: int
    codec: str
    channels: int
    channel_layout: str | None
    sample_rate: int
    bit_rate: int | None
    default: bool


@dataclass(frozen=True)
class ProbeResult:
    path: str
    #: The demuxer PyAV detected, e.g. ``mov,mp4,m4a,3gp,3g2,mj2``.
    format_name: str
    format_long_name: str
    duration_s: float
    size_bytes: int
    bit_rate: int | None
    start_time_s: float
    stream_count: int
    video_streams: tuple[VideoStreamInfo, ...]
    audio_streams: tuple[AudioStreamInfo, ...]
    truncated: bool
    problem: str | None

    @property
    def demuxer(self) -> str:
        """The name to force with ``-f`` when ffmpeg opens this file."""
        return policy.primary_demuxer_name(self.format_name)

    @property
    def video(self) -> VideoStreamInfo | None:
        """The main video stream: the first one that is not cover art."""
        return next((v for v in self.video_streams if not v.attached_pic), None)

    @property
    def audio(self) -> AudioStreamInfo | None:
        """The audio stream to publish: the default one, else the first."""
        return next((a for a in self.audio_streams if a.default), None) or next(
            iter(self.audio_streams), None
        )

    def to_json(self) -> dict[str, Any]:
        def plain(value: object) -> object:
            if isinstance(value, Fraction):
                return f"{value.numerator}/{value.denominator}"
            return value

        def stream(obj: VideoStreamInfo | AudioStreamInfo) -> dict[str, object]:
            return {key: plain(value) for key, value in vars(obj).items()}

        data: dict[str, Any] = {
            key: value
            for key, value in vars(self).items()
            if key not in ("video_streams", "audio_streams")
        }
        data["demuxer"] = self.demuxer
        data["video_streams"] = [stream(v) for v in self.video_streams]
        data["audio_streams"] = [stream(a) for a in self.audio_streams]
        return data


def _fraction(value: object) -> Fraction | None:
    if isinstance(value, list) and len(value) == 2 and value[1]:
        return Fraction(int(value[0]), int(value[1]))
    return None


def _video_from_json(raw: dict[str, Any]) -> VideoStreamInfo:
    width, height = int(raw["width"]), int(raw["height"])
    sar = _fraction(raw.get("sample_aspect_ratio")) or Fraction(1)
    rotation = int(raw.get("rotation") or 0)
    display_w, display_h = width, height
    if sar != 1:
        # Anamorphic storage: stretch the width, keep the height (what players do).
        display_w = round(width * sar)
    if rotation % 180 != 0:
        display_w, display_h = display_h, display_w
    rate = _fraction(raw.get("average_rate")) or _fraction(raw.get("guessed_rate"))
    return VideoStreamInfo(
        index=int(raw["index"]),
        codec=str(raw["codec"]),
        profile=raw.get("profile"),
        coded_width=width,
        coded_height=height,
        display_width=display_w,
        display_height=display_h,
        rotation=rotation,
        sample_aspect_ratio=sar,
        frame_rate=float(rate) if rate else 0.0,
        frame_rate_fraction=rate,
        pix_fmt=raw.get("pix_fmt"),
        interlaced=bool(raw.get("interlaced")),
        color_transfer=raw.get("color_transfer"),
        hdr_transfer=raw.get("hdr_transfer"),
        bit_rate=raw.get("bit_rate"),
        attached_pic=bool(raw.get("attached_pic")),
        decodable=bool(raw.get("decodable")),
        decode_error=raw.get("decode_error"),
    )


def _audio_from_json(raw: dict[str, Any]) -> AudioStreamInfo:
    return AudioStreamInfo(
        index=int(raw["index"]),
        codec=str(raw["codec"]),
        channels=int(raw.get("channels") or 0),
        channel_layout=raw.get("channel_layout"),
        sample_rate=int(raw.get("sample_rate") or 0),
        bit_rate=raw.get("bit_rate"),
        default=bool(raw.get("default")),
    )


def _refuse_by_sniff(kind: SniffedKind) -> None:
    if kind is SniffedKind.EMPTY:
        raise ProbeError(reasons.EMPTY_FILE)
    if kind is SniffedKind.PLAYLIST:
        raise ProbeError(reasons.PLAYLIST_OR_REFERENCE_FILE, {"detected": "playlist"})
    if kind is SniffedKind.IMAGE:
        raise ProbeError(reasons.NOT_A_VIDEO, {"detected": "an image"})
    if kind is SniffedKind.TEXT:
        raise ProbeError(reasons.NOT_A_VIDEO, {"detected": "a text file"})


def _child_failure(payload: dict[str, Any], kind: SniffedKind) -> ProbeError:
    error = payload.get("error")
    detail = str(payload.get("detail") or "")
    if error == "reference_opened":
        return ProbeError(reasons.PLAYLIST_OR_REFERENCE_FILE, {"detected": "references"})
    if error == "format_not_allowed":
        return ProbeError(reasons.NOT_A_VIDEO, {"detected": "a format we do not accept"})
    if error == "open_failed" and kind is SniffedKind.CONTAINER:
        # It starts like an MP4/MKV/... but cannot be opened: cut short or damaged.
        return ProbeError(reasons.TRUNCATED_OR_CORRUPT, {"detail": detail})
    if error == "open_failed":
        return ProbeError(reasons.NOT_A_VIDEO, {"detected": "unknown data"})
    return ProbeError(reasons.PROBE_FAILED, {"detail": f"{error}: {detail}"})


def probe(
    path: str | os.PathLike[str],
    *,
    limits: policy.Limits | None = None,
    python: str | None = None,
) -> ProbeResult:
    """Describe the media file at ``path``.

    Raises :class:`ProbeError` (a :class:`MediaRejectedError`, with a policy code) when the
    file is empty, too large, a playlist, an image, text, unreadable or cut short before any
    stream could be read, or when the child times out (:class:`ProbeTimeoutError`). Does not
    apply the rest of the policy: see :func:`inspect_upload`.
    """
    limits = limits or policy.Limits()
    source = Path(path)
    size = source.stat().st_size
    policy.check_file_size(size, limits)
    kind = sniff_bytes(read_head(source))
    _refuse_by_sniff(kind)
    argv = [
        python or sys.executable,
        # -I: isolated mode (no user site, no PYTHON* variables, no cwd on sys.path).
        "-I",
        "-c",
        f"import sys; sys.path.insert(0, {_PACKAGE_PARENT!r}); "
        "from media_pipeline._probe_child import main; main()",
        "--allowed-formats",
        ",".join(sorted(policy.ALLOWED_DEMUXERS)),
        "--max-pixels",
        str(limits.max_pixels),
        str(source.resolve()),
    ]
    try:
        run = run_process(
            argv,
            timeout_s=limits.probe_timeout_s,
            limits=ResourceLimits(
                address_space_bytes=limits.probe_memory_bytes,
                cpu_seconds=limits.probe_cpu_s,
                file_size_bytes=1024 * 1024,
                open_files=64,
            ),
            env=scrubbed_environment(),
            capture_stdout=True,
        )
    except FfmpegTimeoutError as exc:
        raise ProbeTimeoutError(
            reasons.PROBE_TIMEOUT, {"limit": round(limits.probe_timeout_s)}
        ) from exc
    except FfmpegError as exc:
        raise ProbeError(reasons.PROBE_FAILED, {"detail": f"exit status {exc.returncode}"}) from exc
    try:
        payload = json.loads(run.stdout)
    except ValueError as exc:
        raise ProbeError(reasons.PROBE_FAILED, {"detail": "unreadable probe output"}) from exc
    if not payload.get("ok"):
        raise _child_failure(payload, kind)
    streams = payload.get("streams", [])
    return ProbeResult(
        path=str(source),
        format_name=str(payload["format_name"]),
        format_long_name=str(payload.get("format_long_name") or ""),
        duration_s=float(payload.get("duration_s") or 0.0),
        size_bytes=size,
        bit_rate=payload.get("bit_rate"),
        start_time_s=float(payload.get("start_time_s") or 0.0),
        stream_count=int(payload["stream_count"]),
        video_streams=tuple(_video_from_json(s) for s in streams if s["type"] == "video"),
        audio_streams=tuple(_audio_from_json(s) for s in streams if s["type"] == "audio"),
        truncated=bool(payload.get("truncated")),
        problem=payload.get("problem"),
    )


def inspect_upload(
    path: str | os.PathLike[str], *, limits: policy.Limits | None = None
) -> ProbeResult:
    """Probe ``path`` and apply the acceptance policy.

    Returns the probe result of an acceptable video; raises :class:`MediaRejectedError`
    (``code``, ``reason``, ``params``) for every refusal, probe failures included.
    """
    limits = limits or policy.Limits()
    result = probe(path, limits=limits)
    policy.check_policy(result, limits)
    return result
