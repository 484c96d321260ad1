"""Pure functions that build ffmpeg argv lists. Nothing here runs a process.

The filter graph is built with ffmpeg-python (it names the split/scale pads and escapes
filter arguments); per-output options are plain keyword arguments. Options that must come
first (safety and progress flags) are inserted right after the binary.

Longer than 400 lines: the ladder's one ffmpeg command is built here whole (filter graph,
every output, the storyboard), so each flag's reason sits beside the flag.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import ffmpeg  # ffmpeg-python ships no type information

from media_pipeline.ladder import Ladder, Rung
from media_pipeline.probe import ProbeResult
from media_pipeline.spec import TranscodeSpec

MASTER_PLAYLIST = "master.m3u8"
MEDIA_PLAYLIST = "index.m3u8"
MEDIA_FILE = "media.mp4"
POSTER_FILE = "poster.jpg"
STORYBOARD_DIR = "storyboard"
STORYBOARD_VTT = "storyboard.vtt"
SPRITE_PATTERN = "sprite_%03d.jpg"
THUMB_PATTERN = "thumb_%05d.jpg"

#: First in every ffmpeg argv.
#: -nostdin: never read the terminal (a stray "q" would stop a job).
#: -progress pipe:1 / -nostats: machine-readable progress on stdout, none mixed into stderr.
#: -loglevel level+warning: keep stderr short so its tail holds the actual error, prefixed
#: with its level.
GLOBAL_OPTIONS: tuple[str, ...] = (
    "-nostdin",
    "-hide_banner",
    "-nostats",
    "-loglevel",
    "level+warning",
    "-progress",
    "pipe:1",
    "-y",
)

#: HDR (PQ/HLG) → SDR BT.709: linearise, tone-map (hable keeps highlights), back to BT.709.
#: Without it HDR phone videos come out washed out (PeerTube #6573).
_TONEMAP_CHAIN: tuple[tuple[str, dict[str, Any]], ...] = (
    ("zscale", {"t": "linear", "npl": 100}),
    ("format", {"pix_fmts": "gbrpf32le"}),
    ("zscale", {"p": "bt709"}),
    ("tonemap", {"tonemap": "hable", "desat": 0}),
    ("zscale", {"t": "bt709", "m": "bt709", "r": "tv"}),
)


@dataclass(frozen=True)
class StoryboardPlan:
    interval_s: float
    count: int
    thumb_width: int
    thumb_height: int
    columns: int
    rows: int

    @property
    def per_sheet(self) -> int:
        return self.columns * self.rows


def plan_storyboard(duration_s: float, ladder: Ladder, spec: TranscodeSpec) -> StoryboardPlan:
    board = spec.storyboard
    interval = min(
        max(duration_s / max(board.target_count, 1), board.min_interval_s),
        board.max_interval_s,
    )
    interval = round(interval, 3)
    count = max(1, math.ceil(duration_s / interval - 1e-6))
    top = ladder.top
    thumb_w = min(board.thumb_width, top.width)
    thumb_h = max(2, round(thumb_w * top.height / top.width / 2.0) * 2)
    return StoryboardPlan(
        interval_s=interval,
        count=count,
        thumb_width=thumb_w,
        thumb_height=thumb_h,
        columns=board.columns,
        rows=board.rows,
    )


def poster_frame_count(duration_s: float, plan: StoryboardPlan, spec: TranscodeSpec) -> int:
    """How many stills (one per storyboard interval) until the poster time."""
    return max(1, round(duration_s * spec.poster_at / plan.interval_s) + 1)


def build_sprite_argv(*, ffmpeg_bin: str, plan: StoryboardPlan, spec: TranscodeSpec) -> list[str]:
    """Tile the thumbnails the transcode wrote into sprite sheets (a second, tiny run on our
    own JPEGs in the work directory)."""
    return [
        ffmpeg_bin,
        *GLOBAL_OPTIONS,
        "-f",
        "image2",
        "-format_whitelist",
        "image2",
        "-protocol_whitelist",
        "file",
        "-framerate",
        "1",
        "-i",
        f"{STORYBOARD_DIR}/{THUMB_PATTERN}",
        "-vf",
        f"tile={plan.columns}x{plan.rows}",
        "-q:v",
        str(spec.storyboard.jpeg_quality),
        "-f",
        "image2",
        f"{STORYBOARD_DIR}/{SPRITE_PATTERN}",
    ]


def _fraction_text(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}"


def decoder_threads(spec: TranscodeSpec) -> int:
    """Decoder threads for the one-process ladder: a quarter of the CPUs, at least one.

    Decoding is ~10 % of the ladder's CPU and the encoders keep every CPU busy anyway, so the
    decoder's own frame threads buy nothing and cost: 3 threads (ffmpeg's choice on 2 CPUs)
    spend 14 % more decoder CPU than 1 (20 s 1080p slide lecture, median of 3 paired runs:
    the whole ladder -2.3 %). A quarter of a big machine still decodes far faster than the
    encoders can take the frames.
    """
    if spec.decoder_threads:
        return spec.decoder_threads
    return max(1, (spec.cpu_count or available_cpus()) // 4)


def filter_threads(spec: TranscodeSpec) -> int:
    """Slice threads of the filter graph (the scalers), likewise a quarter of the CPUs.

    The graph already runs in a thread of its own beside the encoders; splitting each scaler
    into slices on top (ffmpeg's default: one per CPU) costs more than it gives when the
    encoders fill the CPUs: one slice thread instead of two saves a further 1.5 % of the
    ladder's CPU (20 s 1080p slide lecture, median of 5 paired runs).
    """
    if spec.filter_threads:
        return spec.filter_threads
    return max(1, (spec.cpu_count or available_cpus()) // 4)


def input_source(
    source: str | os.PathLike[str],
    probe: ProbeResult,
    spec: TranscodeSpec,
    *,
    threads: int | None = None,
) -> Any:
    """The ffmpeg-python input node with the safety options every run uses; ``threads`` sets
    the decoder's thread count (None: ffmpeg chooses)."""
    limits = spec.limits
    extra: dict[str, Any] = {"threads": threads} if threads else {}
    return ffmpeg.input(
        # file: makes ffmpeg treat the whole string as a path, even one with a colon.
        f"file:{Path(source).resolve()}",
        # Force the demuxer the probe saw (and allowed). Content sniffing is what lets a
        # playlist disguised as .mp4 get parsed as HLS.
        format=probe.demuxer,
        # ...and refuse any nested demuxer (a playlist inside a container, a concat...).
        format_whitelist=probe.demuxer,
        # No network or other protocols even if some demuxer tries to open a URL.
        protocol_whitelist="file,pipe",
        # Decoder refuses pictures larger than policy allows even if the stream changes
        # size mid-way (a later SPS) after the probe looked at the start; slack for the
        # 16-pixel coding alignment (1920×1080 is coded as 1920×1088).
        max_pixels=limits.max_pixels + 16 * limits.max_side,
        **extra,
    )


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask, which taskset and container CPU sets
    narrow, else the machine's count."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def ladder_threads(ladder: Ladder, spec: TranscodeSpec) -> dict[str, int]:
    """x264 threads for each rung of the one-process ladder.

    Left to itself, *each* x264 starts 1.5 frame threads per CPU: 12 on 2 CPUs for four
    rungs, all competing, and every frame thread costs (it waits for rows of the frames it
    references; rate control and mb-tree see fewer finished frames). Here that total, 1.5
    per CPU, is shared out by the rungs' pixel counts, at least one each: 2/1/1/1 on 2 CPUs
    (x264 CPU -1.5 %, same bytes and SSIM; 20 s 1080p slide lecture, paired runs), 14/7/3/2
    on 16, so big machines stay busy and the top rung does not become the one slow stage.
    An explicit ``spec.encoder.threads`` applies to every rung instead.
    """
    if spec.encoder.threads:
        return {rung.name: spec.encoder.threads for rung in ladder.rungs}
    cpus = spec.cpu_count or available_cpus()
    pixels = {rung.name: rung.width * rung.height for rung in ladder.rungs}
    total = sum(pixels.values())
    return {name: max(1, math.ceil(1.5 * cpus * count / total)) for name, count in pixels.items()}


def x264_output_options(
    rung: Rung, ladder: Ladder, spec: TranscodeSpec, *, threads: int | None = None
) -> dict[str, Any]:
    """x264 options of one rung; ``threads=None`` leaves the thread count to x264."""
    enc = spec.encoder
    seg = spec.segment_seconds
    options: dict[str, Any] = {
        "c:v": "libx264",
        "preset": enc.preset,
        "profile:v": enc.profile,
        "pix_fmt": "yuv420p",
        # Capped CRF: constant quality, but never above the rung's cap, so slides are
        # cheap and motion stays within what a viewer's connection was promised.
        "crf": enc.crf,
        "maxrate": f"{rung.max_kbps}k",
        "bufsize": f"{rung.bufsize_kbps}k",
        # Fixed GOP of one segment and no scene-cut keyframes: IDRs fall on the same frames
        # in every rendition, so players can switch rungs at any segment boundary.
        "g": ladder.gop_frames,
        "keyint_min": ladder.gop_frames,
        "sc_threshold": 0,
        # ...and pinned to wall-clock segment times, which stays exact for 29.97 fps.
        "force_key_frames": f"expr:gte(t,n_forced*{seg:g})",
        # x264 defaults to closed GOPs; say so, since switching needs them.
        "flags": "+cgop",
        # B-frames make the first DTS negative. The default shifts this output's timestamps
        # so DTS starts at 0, which would start the video 2 frames after the audio (a
        # separate output with no shift). Disabled, the fMP4 muxer keeps PTS 0 and writes
        # an edit list instead, so video and audio renditions share one timeline.
        "avoid_negative_ts": "disabled",
    }
    if enc.tune:
        options["tune"] = enc.tune
    if enc.x264_params:
        options["x264-params"] = enc.x264_params
    if ladder.hdr_transfer:
        # The tone-mapped picture is BT.709; say so, or players guess from the source tags.
        options.update(color_primaries="bt709", color_trc="bt709", colorspace="bt709")
    threads = threads or enc.threads
    if threads:
        options["threads"] = threads
    return options


def hls_output_options(name: str, spec: TranscodeSpec) -> dict[str, Any]:
    return {
        "f": "hls",
        "hls_time": f"{spec.segment_seconds:g}",
        "hls_playlist_type": "vod",
        # CMAF-style fMP4 segments, all in ONE file per rendition addressed by byte ranges:
        # a few large objects upload to S3 and cache far better than thousands of small ones.
        "hls_segment_type": "fmp4",
        "hls_flags": "single_file+independent_segments",
        "hls_segment_filename": f"{name}/{MEDIA_FILE}",
        # Phones put GPS positions and device names in metadata; do not publish them.
        "map_metadata": -1,
        "map_chapters": -1,
    }


def _video_base(stream: Any, ladder: Ladder) -> Any:
    if ladder.deinterlace:
        # Camcorder/broadcast material: combing would survive scaling and cost bits.
        stream = stream.filter("bwdif", mode="send_frame", deint="interlaced")
    if ladder.hdr_transfer:
        for name, kwargs in _TONEMAP_CHAIN:
            stream = stream.filter(name, **kwargs)
    # Constant frame rate from here on: variable-rate sources (phones, screen recorders)
    # would otherwise make a fixed-frame GOP drift from the segment clock.
    return stream.filter("fps", fps=_fraction_text(ladder.frame_rate))


#: zscale's filter for each swscale algorithm it can stand in for, with the coefficients
#: that give swscale's picture (swscale's bicubic is B=0, C=0.6; zimg's default B=C=1/3 is
#: softer). Other algorithms (``area``...) stay with swscale.
_ZSCALE_FILTERS: dict[str, dict[str, Any]] = {
    "bicubic": {"filter": "bicubic", "param_a": 0, "param_b": 0.6},
    "bilinear": {"filter": "bilinear"},
    "lanczos": {"filter": "lanczos"},
    "spline": {"filter": "spline36"},
}


def _scaled(
    stream: Any, width: int, height: int, flags: str = "bicubic", resizer: str = "swscale"
) -> Any:
    """Resize to ``width``×``height`` in 8-bit 4:2:0 with square pixels. ``resizer`` is
    ``zscale`` or anything else for swscale (an unresolved ``auto`` included)."""
    zscale = _ZSCALE_FILTERS.get(flags) if resizer == "zscale" else None
    if zscale is not None:
        stream = stream.filter("zscale", w=width, h=height, **zscale)
    else:
        stream = stream.filter("scale", width, height, flags=flags)
    return stream.filter("format", "yuv420p").filter("setsar", "1")


def _rung_resizer(rung: Rung, ladder: Ladder, spec: TranscodeSpec) -> str:
    """swscale for a rung as large as the picture (it passes the frame through, or only fixes
    the pixel aspect of an anamorphic source); the spec's resizer for real downscales."""
    if (rung.width, rung.height) == (ladder.source_width, ladder.source_height):
        return "swscale"
    return spec.resizer


def build_transcode_argv(
    *,
    ffmpeg_bin: str,
    source: str | os.PathLike[str],
    probe: ProbeResult,
    ladder: Ladder,
    spec: TranscodeSpec,
    storyboard: StoryboardPlan,
) -> list[str]:
    """One ffmpeg process for everything: decode once, ``split``, scale and encode every rung,
    encode the loudness-normalised audio once, and cut the poster and storyboard from the
    same decoded frames. All output paths are relative to the process's working directory.
    """
    video_info = probe.video
    if video_info is None:
        raise ValueError("no video stream to transcode")
    source_node = input_source(source, probe, spec, threads=decoder_threads(spec))
    base = _video_base(source_node[str(video_info.index)], ladder)
    direct = 1 if spec.cascade_scaling else len(ladder.rungs)
    branches = base.filter_multi_output("split", direct + 1)
    threads = ladder_threads(ladder, spec)
    outputs: list[Any] = []
    previous: Any = None
    # Until a rung is smaller than the source, the next one is still a downscale of the full
    # picture (spec.scale_flags); below it, spec.cascade_scale_flags.
    previous_is_full_size = False
    for number, rung in enumerate(ladder.rungs):
        resizer = _rung_resizer(rung, ladder, spec)
        if previous is None or not spec.cascade_scaling:
            scaled = _scaled(
                branches.stream(number), rung.width, rung.height, spec.scale_flags, resizer
            )
        else:
            flags = spec.scale_flags if previous_is_full_size else spec.cascade_scale_flags
            scaled = _scaled(previous, rung.width, rung.height, flags, resizer)
        previous_is_full_size = (rung.width, rung.height) == (
            ladder.source_width,
            ladder.source_height,
        )
        if spec.cascade_scaling and number + 1 < len(ladder.rungs):
            # One copy for this rung's encoder, one to scale the next rung from.
            pair = scaled.filter_multi_output("split", 2)
            scaled, previous = pair.stream(0), pair.stream(1)
        outputs.append(
            ffmpeg.output(
                scaled,
                f"{rung.name}/{MEDIA_PLAYLIST}",
                **x264_output_options(rung, ladder, spec, threads=threads[rung.name]),
                **hls_output_options(rung.name, spec),
            )
        )
    if ladder.audio is not None:
        loud = spec.loudness
        audio = (
            source_node[str(ladder.audio.source_index)]
            # Down/up-mix to stereo *before* measuring loudness, so the level is the one
            # listeners hear (5.1 downmix changes it; mono plays on both speakers).
            .filter("aformat", channel_layouts="stereo")
            .filter(
                "loudnorm",
                I=loud.integrated_lufs,
                TP=loud.true_peak_dbtp,
                LRA=loud.loudness_range_lu,
            )
            # loudnorm works (and outputs) at 192 kHz; bring it back for AAC.
            .filter("aresample", ladder.audio.sample_rate)
        )
        outputs.append(
            ffmpeg.output(
                audio,
                f"{ladder.audio.name}/{MEDIA_PLAYLIST}",
                **{
                    "c:a": "aac",
                    "b:a": f"{ladder.audio.bitrate_kbps}k",
                    "ac": ladder.audio.channels,
                    "ar": ladder.audio.sample_rate,
                },
                **hls_output_options(ladder.audio.name, spec),
            )
        )
    # Poster and storyboard come from the same decoded frames, thinned to one frame per
    # storyboard interval. (A ``trim`` to the poster time or a ``tile`` in this graph would
    # produce nothing for a long while, and ffmpeg holds back the other outputs' muxing
    # until every output has caught up: progress stalls and packets pile up in memory.)
    stills = (
        branches.stream(direct)
        .filter("fps", fps=f"1/{storyboard.interval_s:g}")
        .filter_multi_output("split", 2)
    )
    thumbs = stills.stream(0).filter(
        "scale", storyboard.thumb_width, storyboard.thumb_height, flags="bicubic"
    )
    outputs.append(
        ffmpeg.output(
            thumbs,
            f"{STORYBOARD_DIR}/{THUMB_PATTERN}",
            **{"f": "image2", "q:v": spec.storyboard.jpeg_quality, "map_metadata": -1},
        )
    )
    top = ladder.top
    outputs.append(
        ffmpeg.output(
            _scaled(stills.stream(1), top.width, top.height),
            POSTER_FILE,
            # Overwrite the same file with each still and stop at the poster time: the file
            # left is the frame at ~10 % of the video, with no long silent branch.
            **{
                "frames:v": poster_frame_count(probe.duration_s, storyboard, spec),
                "update": 1,
                "q:v": spec.poster_quality,
                "map_metadata": -1,
            },
        )
    )
    compiled: list[str] = ffmpeg.merge_outputs(*outputs).compile(cmd=ffmpeg_bin)
    return [
        compiled[0],
        *GLOBAL_OPTIONS,
        "-filter_complex_threads",
        str(filter_threads(spec)),
        *compiled[1:],
    ]


def build_single_rung_argv(
    *,
    ffmpeg_bin: str,
    source: str | os.PathLike[str],
    probe: ProbeResult,
    ladder: Ladder,
    rung: Rung,
    spec: TranscodeSpec,
) -> list[str]:
    """One rendition per process, the way MediaCMS and PeerTube run their ladders.

    Used by the benchmark as the baseline; the encoder settings are the ladder's own, and
    the rung is scaled from the source with the ladder's scaler. Alone in its process, its
    x264 chooses its own thread count (unless ``spec.encoder.threads`` sets one), as it
    would on those platforms.
    """
    video_info = probe.video
    if video_info is None:
        raise ValueError("no video stream to transcode")
    source_node = input_source(source, probe, spec)
    scaled = _scaled(
        _video_base(source_node[str(video_info.index)], ladder),
        rung.width,
        rung.height,
        spec.scale_flags,
        _rung_resizer(rung, ladder, spec),
    )
    out = ffmpeg.output(
        scaled,
        f"{rung.name}/{MEDIA_PLAYLIST}",
        **x264_output_options(rung, ladder, spec),
        **hls_output_options(rung.name, spec),
    )
    compiled: list[str] = out.compile(cmd=ffmpeg_bin)
    return [compiled[0], *GLOBAL_OPTIONS, *compiled[1:]]
