"""The probe child: ``python -m media_pipeline._probe_child [options] FILE``.

Runs in its own process (started by :func:`media_pipeline.probe.probe` through the runner,
with a wall-clock timeout and rlimits) because a demuxer or decoder reading a hostile file
may hang, crash or allocate without bound. Prints one JSON object on stdout.

How the file is opened, and why:

* through a Python file object, so no URL protocol is involved for the upload itself;
* with ``format_whitelist`` set to the allowed demuxers: a playlist, concat script or image
  is refused right after format detection, before its demuxer's ``read_header`` (which is
  what opens the files or URLs a playlist names);
* with an ``io_open`` callback that refuses and records every nested open, and
  ``protocol_whitelist=file``, so even a demuxer that got through could not open another
  file or reach the network.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from fractions import Fraction
from typing import Any, NoReturn

import av
import av.error

JsonDict = dict[str, Any]

#: ``AVColorTransferCharacteristic`` values of HDR transfers.
_HDR_TRANSFERS = {16: "smpte2084", 18: "arib-std-b67"}
_TRANSFER_NAMES = {1: "bt709", 6: "smpte170m", 8: "linear", 13: "iec61966-2-1", 14: "bt2020-10"}
_TRANSFER_NAMES.update(_HDR_TRANSFERS)
_MAX_TAIL_PACKETS = 50_000


class ReferenceOpenRefusedError(PermissionError):
    pass


def _fraction(value: Fraction | None) -> list[int] | None:
    if value is None or value <= 0:
        return None
    return [value.numerator, value.denominator]


def _emit(payload: JsonDict) -> NoReturn:
    sys.stdout.write(json.dumps(payload))
    sys.stdout.flush()
    sys.exit(0)


def _fail(kind: str, detail: str, **extra: Any) -> NoReturn:
    _emit({"ok": False, "error": kind, "detail": detail[:500], **extra})


def _video_stream_info(stream: av.VideoStream) -> JsonDict:
    ctx = stream.codec_context
    sar = stream.sample_aspect_ratio
    trc = int(ctx.color_trc or 0)
    return {
        "index": stream.index,
        "type": "video",
        # The codec, not the decoder PyAV picked (libdav1d decodes av1).
        "codec": ctx.codec.canonical_name,
        "profile": stream.profile,
        "width": ctx.width,
        "height": ctx.height,
        "sample_aspect_ratio": _fraction(sar),
        "average_rate": _fraction(stream.average_rate),
        "guessed_rate": _fraction(stream.guessed_rate),
        "pix_fmt": ctx.pix_fmt,
        # AVFieldOrder: 0 unknown, 1 progressive, 2..5 interlaced (tt, bb, tb, bt).
        "interlaced": int(ctx.field_order or 0) >= 2,
        "color_transfer": _TRANSFER_NAMES.get(trc),
        "hdr_transfer": _HDR_TRANSFERS.get(trc),
        "bit_rate": ctx.bit_rate or None,
        # Cover art in MP4/MKV is a video stream with this disposition; it is not the video.
        "attached_pic": bool(int(stream.disposition) & int(av.stream.Disposition.attached_pic)),
        "default": bool(int(stream.disposition) & int(av.stream.Disposition.default)),
        "rotation": 0,
        "decodable": False,
        "decode_error": None,
    }


def _audio_stream_info(stream: av.AudioStream) -> JsonDict:
    ctx = stream.codec_context
    return {
        "index": stream.index,
        "type": "audio",
        # The codec, not the decoder PyAV picked (libdav1d decodes av1).
        "codec": ctx.codec.canonical_name,
        "channels": ctx.channels,
        "channel_layout": ctx.layout.name if ctx.layout else None,
        "sample_rate": ctx.sample_rate,
        "bit_rate": ctx.bit_rate or None,
        "default": bool(int(stream.disposition) & int(av.stream.Disposition.default)),
    }


def _decode_first_frame(container: av.container.InputContainer, info: JsonDict) -> None:
    """Decode one frame: proves the codec data is real, and gives the display rotation."""
    stream = container.streams[info["index"]]
    stream.codec_context.thread_count = 1
    try:
        for frame in container.decode(stream):
            info["rotation"] = int(getattr(frame, "rotation", 0) or 0)
            info["decodable"] = True
            return
        info["decode_error"] = "no frame could be decoded"
    except (av.error.FFmpegError, ValueError, MemoryError) as exc:
        info["decode_error"] = f"{type(exc).__name__}: {exc}"


def _tail_end_s(container: av.container.InputContainer, duration_s: float) -> tuple[float, str]:
    """Demux (no decoding) the last seconds; return where the packets really end.

    A file cut short keeps the duration its header promises, but its packets stop early, or
    the demuxer finds their data missing.
    """
    if duration_s > 3:
        # Not seekable: read from where we are.
        with contextlib.suppress(av.error.FFmpegError, ValueError):
            container.seek(int((duration_s - 2.0) * av.time_base), backward=True)
    end = 0.0
    count = 0
    try:
        for packet in container.demux():
            count += 1
            if packet.pts is not None and packet.time_base is not None:
                stop = packet.pts + max(packet.duration or 0, 0)
                end = max(end, float(stop * packet.time_base))
            if count >= _MAX_TAIL_PACKETS:
                break
    except (av.error.FFmpegError, ValueError) as exc:
        return end, f"reading the data failed: {exc}"
    if count == 0:
        return end, "the file has no media data"
    return end, ""


def probe_file(path: str, allowed_formats: str, max_pixels: int) -> JsonDict:
    attempted: list[str] = []

    def refuse_nested_open(url: str, flags: int, options: dict[str, str]) -> NoReturn:
        attempted.append(url)
        raise ReferenceOpenRefusedError(f"refused to open {url!r}")

    with open(path, "rb") as handle:  # PyAV reads through this Python file object
        try:
            container: av.container.InputContainer = av.open(
                handle,
                "r",
                options={
                    "format_whitelist": allowed_formats,
                    "protocol_whitelist": "file",
                },
                io_open=refuse_nested_open,
            )
        except (av.error.FFmpegError, ValueError, OSError) as exc:
            if attempted:
                _fail("reference_opened", str(exc), urls=attempted[:5])
            message = str(exc)
            # EINVAL right after format detection is the format whitelist refusing the demuxer.
            not_allowed = isinstance(exc, av.error.ArgumentError)
            kind = "format_not_allowed" if not_allowed else "open_failed"
            _fail(kind, message)
        if attempted:
            _fail("reference_opened", "the demuxer tried to open other files", urls=attempted[:5])
        with container:
            streams: list[JsonDict] = []
            other = 0
            for stream in container.streams:
                if isinstance(stream, av.VideoStream):
                    streams.append(_video_stream_info(stream))
                elif isinstance(stream, av.AudioStream):
                    streams.append(_audio_stream_info(stream))
                else:
                    other += 1
            duration_s = (
                container.duration / av.time_base if container.duration is not None else 0.0
            )
            videos = [s for s in streams if s["type"] == "video" and not s["attached_pic"]]
            if videos and videos[0]["width"] * videos[0]["height"] <= max_pixels:
                _decode_first_frame(container, videos[0])
            tail_end, problem = _tail_end_s(container, duration_s)
            if duration_s <= 0:
                duration_s = tail_end
            tolerance = max(0.5, 0.01 * duration_s)
            truncated = bool(problem) or tail_end < duration_s - tolerance
            if truncated and not problem:
                problem = f"the media data ends at {tail_end:.2f} s of {duration_s:.2f} s"
            return {
                "ok": True,
                "format_name": container.format.name,
                "format_long_name": container.format.long_name,
                "duration_s": duration_s,
                "bit_rate": container.bit_rate or None,
                "start_time_s": (
                    container.start_time / av.time_base if container.start_time is not None else 0.0
                ),
                "stream_count": len(container.streams),
                "other_stream_count": other,
                "streams": streams,
                "truncated": truncated,
                "media_end_s": tail_end,
                "problem": problem or None,
                "nested_open_attempts": attempted[:5],
            }


def main(argv: list[str] | None = None) -> NoReturn:
    parser = argparse.ArgumentParser(prog="media_pipeline._probe_child")
    parser.add_argument("path")
    parser.add_argument("--allowed-formats", required=True)
    parser.add_argument("--max-pixels", type=int, required=True)
    args = parser.parse_args(argv)
    try:
        result = probe_file(args.path, args.allowed_formats, args.max_pixels)
    except MemoryError:
        _fail("out_of_memory", "the probe ran out of memory")
    except Exception as exc:  # report any decoder/demuxer surprise as data, not a traceback
        _fail("internal_error", f"{type(exc).__name__}: {exc}")
    _emit(result)


if __name__ == "__main__":
    main()
