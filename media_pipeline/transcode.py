"""The whole job: inspect the upload, encode the ladder in one ffmpeg process, package it.

The output directory receives the finished package only: ffmpeg writes into a private temp
directory, the playlists are checked and the master playlist written there, and only then
are the files moved into ``out_dir``. Every path in the package is relative, so the
directory can be uploaded to object storage as is.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from media_pipeline import commands, packaging
from media_pipeline.binaries import has_filter, resolve_ffmpeg
from media_pipeline.ladder import Ladder, build_ladder
from media_pipeline.probe import ProbeResult, inspect_upload
from media_pipeline.runner import (
    CancelCheck,
    ProgressCallback,
    ResourceLimits,
    RunResult,
    StartCallback,
    private_temp_dir,
    run_ffmpeg,
    run_process,
)
from media_pipeline.spec import TranscodeSpec


@dataclass(frozen=True)
class RenditionResult:
    name: str
    kind: str  # "video" or "audio"
    playlist: str  # relative to the package root
    media_file: str
    codecs: str
    width: int | None
    height: int | None
    frame_rate: Fraction | None
    #: What the encoder was allowed (video cap) or asked for (audio).
    target_max_bps: int
    peak_bps: int
    average_bps: int
    size_bytes: int
    duration_s: float
    segment_count: int
    target_duration_s: int


@dataclass(frozen=True)
class StoryboardResult:
    vtt: str
    sheets: tuple[str, ...]
    interval_s: float
    thumb_width: int
    thumb_height: int
    columns: int
    rows: int
    count: int


@dataclass(frozen=True)
class TranscodeResult:
    out_dir: Path
    master_playlist: str
    duration_s: float
    renditions: tuple[RenditionResult, ...]  # video, largest first
    audio: RenditionResult | None
    poster: str
    storyboard: StoryboardResult
    files: tuple[str, ...]  # every file of the package, relative
    probe: ProbeResult
    ladder: Ladder
    argv: tuple[str, ...]
    stderr_tail: str
    wall_s: float
    cpu_s: float

    def to_json(self) -> dict[str, object]:
        def rendition(r: RenditionResult) -> dict[str, object]:
            data: dict[str, object] = dict(vars(r))
            data["frame_rate"] = float(r.frame_rate) if r.frame_rate else None
            return data

        return {
            "out_dir": str(self.out_dir),
            "master_playlist": self.master_playlist,
            "duration_s": self.duration_s,
            "renditions": [rendition(r) for r in self.renditions],
            "audio": rendition(self.audio) if self.audio else None,
            "poster": self.poster,
            "storyboard": dict(vars(self.storyboard)),
            "files": list(self.files),
            "wall_s": round(self.wall_s, 3),
            "cpu_s": round(self.cpu_s, 3),
            "argv": list(self.argv),
        }


def _resource_limits(duration_s: float, spec: TranscodeSpec) -> tuple[float, ResourceLimits]:
    timeout = spec.timeout_base_s + spec.timeout_per_media_s * duration_s
    limits = ResourceLimits(
        address_space_bytes=spec.memory_bytes,
        cpu_seconds=int(spec.cpu_base_s + spec.cpu_per_media_s * duration_s),
        file_size_bytes=int(spec.file_size_base_bytes + spec.file_size_per_media_s * duration_s),
        open_files=256,
    )
    return timeout, limits


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise FileExistsError(f"{out_dir} exists and is not an empty directory")


def transcode(
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    spec: TranscodeSpec | None = None,
    on_progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_start: StartCallback | None = None,
    ffmpeg_bin: str | None = None,
    temp_root: str | os.PathLike[str] | None = None,
) -> TranscodeResult:
    """Inspect ``source`` and write its HLS package into ``out_dir`` (new or empty).

    ``on_progress`` is called in the caller's thread with :class:`~media_pipeline.runner.
    Progress` (fraction, speed, ETA); ``should_cancel`` is polled ~20 times a second and
    kills ffmpeg's process group when it returns true. ``on_start`` is called in the caller's
    thread with the encode's exact argv as soon as ffmpeg runs (the probe and the policy
    accepted the file), so a caller can record the command before anything can go wrong.

    Raises :class:`MediaRejectedError` for an unacceptable upload (do not retry),
    :class:`FfmpegCancelledError`, :class:`FfmpegTimeoutError` or :class:`FfmpegError`
    (with argv and stderr tail), and :class:`PackagingError` if ffmpeg's output is not a
    complete package. ``out_dir`` is left untouched on any failure.
    """
    spec = spec or TranscodeSpec()
    destination = Path(out_dir)
    _check_out_dir(destination)
    binary = resolve_ffmpeg(ffmpeg_bin)
    spec = spec_for_binary(spec, binary)
    probe = inspect_upload(source, limits=spec.limits)
    ladder = build_ladder(probe, spec)
    plan = commands.plan_storyboard(probe.duration_s, ladder, spec)
    argv = commands.build_transcode_argv(
        ffmpeg_bin=binary,
        source=source,
        probe=probe,
        ladder=ladder,
        spec=spec,
        storyboard=plan,
    )
    timeout, limits = _resource_limits(probe.duration_s, spec)
    with private_temp_dir(temp_root) as work:
        for rung in ladder.rungs:
            (work / rung.name).mkdir()
        if ladder.audio is not None:
            (work / ladder.audio.name).mkdir()
        (work / commands.STORYBOARD_DIR).mkdir()
        run = run_ffmpeg(
            argv,
            timeout_s=timeout,
            limits=limits,
            cwd=work,
            duration_s=probe.duration_s,
            frame_rate=float(ladder.frame_rate),
            on_progress=on_progress,
            should_cancel=should_cancel,
            on_start=on_start,
        )
        plan = _tile_storyboard(work, binary, plan, spec, should_cancel)
        result = _package(work, probe, ladder, plan, run, spec)
        destination.mkdir(parents=True, exist_ok=True)
        for relative in result.files:
            target = destination / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(work / relative, target)
    return _relocated(result, destination)


def spec_for_binary(spec: TranscodeSpec, binary: str) -> TranscodeSpec:
    """``spec`` with its ``auto`` choices made for this ffmpeg binary: zscale resizes when
    the binary has it."""
    if spec.resizer != "auto":
        return spec
    return replace(spec, resizer="zscale" if has_filter(binary, "zscale") else "swscale")


def _tile_storyboard(
    work: Path,
    binary: str,
    plan: commands.StoryboardPlan,
    spec: TranscodeSpec,
    should_cancel: CancelCheck | None,
) -> commands.StoryboardPlan:
    """Tile the thumbnails into sprite sheets; return the plan with the real thumbnail count."""
    thumbs = sorted((work / commands.STORYBOARD_DIR).glob("thumb_*.jpg"))
    if not thumbs:
        raise packaging.PackagingError("ffmpeg wrote no storyboard thumbnails")
    plan = replace(plan, count=len(thumbs))
    run_process(
        commands.build_sprite_argv(ffmpeg_bin=binary, plan=plan, spec=spec),
        timeout_s=60 + len(thumbs) * 0.1,
        limits=ResourceLimits(
            address_space_bytes=spec.memory_bytes,
            cpu_seconds=120 + len(thumbs),
            file_size_bytes=64 * 1024**2,
        ),
        cwd=work,
        should_cancel=should_cancel,
    )
    for thumb in thumbs:
        thumb.unlink()
    return plan


def _relocated(result: TranscodeResult, destination: Path) -> TranscodeResult:
    fields = dict(vars(result))
    fields["out_dir"] = destination
    return TranscodeResult(**fields)


def _video_rendition(
    work: Path, name: str, width: int, height: int, rate: Fraction, cap_bps: int
) -> RenditionResult:
    playlist_path = work / name / commands.MEDIA_PLAYLIST
    playlist = packaging.parse_media_playlist(playlist_path.read_text())
    media = work / name / commands.MEDIA_FILE
    stats = packaging.measure_rendition(playlist, media)
    codecs = packaging.avc_codec_string(packaging.read_init_segment(playlist, work / name))
    return RenditionResult(
        name=name,
        kind="video",
        playlist=f"{name}/{commands.MEDIA_PLAYLIST}",
        media_file=f"{name}/{commands.MEDIA_FILE}",
        codecs=codecs,
        width=width,
        height=height,
        frame_rate=rate,
        target_max_bps=cap_bps,
        peak_bps=stats.peak_bps,
        average_bps=stats.average_bps,
        size_bytes=stats.size_bytes,
        duration_s=stats.duration_s,
        segment_count=stats.segment_count,
        target_duration_s=playlist.target_duration,
    )


def _finish(playlist_path: Path, frame_rate: Fraction) -> None:
    """Check that ffmpeg finished the playlist, and fold a tail shorter than a video frame
    into the segment before it."""
    playlist = packaging.parse_media_playlist(playlist_path.read_text())
    if not playlist.ended or not playlist.segments:
        raise packaging.PackagingError(f"{playlist_path.name} is incomplete")
    folded = packaging.fold_short_tail(playlist, float(1 / frame_rate))
    if folded != playlist:
        playlist_path.write_text(packaging.render_media_playlist(folded))


def _package(
    work: Path,
    probe: ProbeResult,
    ladder: Ladder,
    plan: commands.StoryboardPlan,
    run: RunResult,
    spec: TranscodeSpec,
) -> TranscodeResult:
    renditions: list[RenditionResult] = []
    for rung in ladder.rungs:
        _finish(work / rung.name / commands.MEDIA_PLAYLIST, ladder.frame_rate)
        renditions.append(
            _video_rendition(
                work, rung.name, rung.width, rung.height, ladder.frame_rate, rung.max_kbps * 1000
            )
        )
    audio: RenditionResult | None = None
    if ladder.audio is not None:
        name = ladder.audio.name
        _finish(work / name / commands.MEDIA_PLAYLIST, ladder.frame_rate)
        playlist = packaging.parse_media_playlist(
            (work / name / commands.MEDIA_PLAYLIST).read_text()
        )
        stats = packaging.measure_rendition(playlist, work / name / commands.MEDIA_FILE)
        audio = RenditionResult(
            name=name,
            kind="audio",
            playlist=f"{name}/{commands.MEDIA_PLAYLIST}",
            media_file=f"{name}/{commands.MEDIA_FILE}",
            codecs=packaging.aac_codec_string(packaging.read_init_segment(playlist, work / name)),
            width=None,
            height=None,
            frame_rate=None,
            target_max_bps=ladder.audio.bitrate_kbps * 1000,
            peak_bps=stats.peak_bps,
            average_bps=stats.average_bps,
            size_bytes=stats.size_bytes,
            duration_s=stats.duration_s,
            segment_count=stats.segment_count,
            target_duration_s=playlist.target_duration,
        )
    master = packaging.render_master_playlist(
        [
            packaging.VariantEntry(
                uri=r.playlist,
                bandwidth=r.peak_bps,
                average_bandwidth=r.average_bps,
                codecs=r.codecs,
                width=r.width or 0,
                height=r.height or 0,
                frame_rate=ladder.frame_rate,
            )
            for r in renditions
        ],
        packaging.AudioEntry(
            uri=audio.playlist,
            bandwidth=audio.peak_bps,
            average_bandwidth=audio.average_bps,
            codecs=audio.codecs,
            channels=ladder.audio.channels if ladder.audio else 2,
        )
        if audio is not None
        else None,
    )
    (work / commands.MASTER_PLAYLIST).write_text(master)
    if not (work / commands.POSTER_FILE).is_file():
        raise packaging.PackagingError("ffmpeg wrote no poster")
    sheets = tuple(sorted(p.name for p in (work / commands.STORYBOARD_DIR).glob("sprite_*.jpg")))
    if not sheets:
        raise packaging.PackagingError("ffmpeg wrote no storyboard")
    vtt_rel = f"{commands.STORYBOARD_DIR}/{commands.STORYBOARD_VTT}"
    (work / vtt_rel).write_text(packaging.render_storyboard_vtt(plan, probe.duration_s, sheets))
    files = tuple(sorted(str(path.relative_to(work)) for path in work.rglob("*") if path.is_file()))
    return TranscodeResult(
        out_dir=work,
        master_playlist=commands.MASTER_PLAYLIST,
        duration_s=probe.duration_s,
        renditions=tuple(renditions),
        audio=audio,
        poster=commands.POSTER_FILE,
        storyboard=StoryboardResult(
            vtt=vtt_rel,
            sheets=tuple(f"{commands.STORYBOARD_DIR}/{name}" for name in sheets),
            interval_s=plan.interval_s,
            thumb_width=plan.thumb_width,
            thumb_height=plan.thumb_height,
            columns=plan.columns,
            rows=plan.rows,
            count=plan.count,
        ),
        files=files,
        probe=probe,
        ladder=ladder,
        argv=run.argv,
        stderr_tail=run.stderr_tail,
        wall_s=run.wall_s,
        cpu_s=run.cpu_s,
    )
