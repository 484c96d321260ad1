"""Fixtures for the media pipeline tests: real ffmpeg, real clips made on the spot.

Clips are made only when a test asks for them, and transcode packages are cached per clip so
several tests can look at one encode; both are kept on disk between runs and shared by the
xdist workers (tests/media_cache.py).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import pytest

from media_pipeline import TranscodeResult, resolve_ffmpeg
from tests.media_cache import cached_dir, cached_transcode


@pytest.fixture(scope="session")
def ffmpeg_bin() -> str:
    return resolve_ffmpeg()


def run_ffmpeg_for_test(ffmpeg_bin: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Make a test input. (The library's own runs go through media_pipeline.runner.)"""
    return subprocess.run(
        [ffmpeg_bin, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )


@dataclass(frozen=True)
class ClipSpec:
    width: int
    height: int
    seconds: float = 2.0
    rate: int = 30
    audio: str | None = "stereo"  # None, "stereo", "5.1", "quiet", "silent", "beeps"
    extra_input: tuple[str, ...] = ()
    video_filter: str | None = None
    video_codec: tuple[str, ...] = (
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-pix_fmt",
        "yuv420p",
    )
    container_args: tuple[str, ...] = ()
    suffix: str = ".mp4"


CLIPS: dict[str, ClipSpec] = {
    "landscape_1080": ClipSpec(1920, 1080, seconds=1.0),
    "hd_720": ClipSpec(1280, 720),
    "portrait": ClipSpec(720, 1280),
    "four_three": ClipSpec(640, 480),
    # x264 cannot store odd sizes in 4:2:0; 4:4:4 can, and it tests the format conversion.
    "odd_size": ClipSpec(
        854,
        481,
        video_filter="scale=854:481,setsar=1,format=yuv444p",
        video_codec=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv444p"),
    ),
    # Stored 640×360, shown as 360×640: a phone held upright.
    "rotated": ClipSpec(640, 360, extra_input=("-display_rotation", "90")),
    "no_audio": ClipSpec(640, 360, seconds=1.0, audio=None),
    "surround": ClipSpec(640, 360, seconds=3.0, audio="5.1"),
    # Frames dropped unevenly in the second half, timestamps kept: variable frame rate.
    "variable_rate": ClipSpec(
        640,
        360,
        video_filter="select='lt(n\\,30)+not(mod(n\\,3))+eq(mod(n\\,7)\\,1)'",
        container_args=("-fps_mode", "vfr"),
    ),
    "small": ClipSpec(320, 180, seconds=1.0),
    # Interlaced (top field first), as camcorders and broadcast captures are.
    "interlaced": ClipSpec(
        640,
        480,
        seconds=1.0,
        video_codec=(
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            *("-flags", "+ildct+ilme", "-x264-params", "tff=1"),
        ),
    ),
    # 10-bit BT.2020 PQ, as HDR phone videos are.
    "hdr_pq": ClipSpec(
        320,
        180,
        seconds=1.0,
        video_filter="setparams=color_primaries=bt2020:color_trc=smpte2084:colorspace=bt2020nc",
        video_codec=("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p10le"),
    ),
    # A microphone far too quiet, as lectures often are.
    "quiet_speech": ClipSpec(640, 360, seconds=3.0, audio="quiet"),
    # An audio track of digital silence: its AAC segments are as small as the init segment.
    "silent_track": ClipSpec(640, 360, seconds=5.0, audio="silent"),
    # An A/V sync pattern: black with a white flash and a beep each second, so the video
    # costs next to nothing and the audio is most of each variant's rate. 8 s ends on a
    # segment boundary, where ffmpeg leaves one AAC frame as the audio's last segment.
    "av_sync": ClipSpec(
        320,
        180,
        seconds=8.0,
        audio="beeps",
        video_filter="drawbox=c=black:t=fill,drawbox=c=white:t=fill:enable='lt(mod(t\\,1)\\,0.04)'",
    ),
}


def _audio_input(kind: str, seconds: float) -> list[str]:
    if kind == "stereo":
        return [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=440:sample_rate=48000:duration={seconds},"
            "aformat=channel_layouts=stereo",
        ]
    if kind == "5.1":
        return [
            "-f",
            "lavfi",
            "-i",
            f"sine=frequency=330:sample_rate=48000:duration={seconds},"
            "pan=5.1|FL=c0|FR=c0|FC=c0|LFE=0.2*c0|BL=0.5*c0|BR=0.5*c0",
        ]
    if kind == "quiet":
        # Speech-like: a 200 Hz tone switched on and off 3 times a second, around -40 LUFS.
        return [
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='0.01*sin(2*PI*200*t)*gt(sin(2*PI*3*t),-0.3)':s=48000:d={seconds}",
        ]
    if kind == "silent":
        return ["-f", "lavfi", "-i", f"anullsrc=r=48000:cl=stereo:d={seconds}"]
    if kind == "beeps":
        return [
            "-f",
            "lavfi",
            "-i",
            f"aevalsrc='0.5*sin(2*PI*1000*t)*lt(mod(t\\,1)\\,0.04)':s=48000:d={seconds}",
        ]
    raise ValueError(kind)


def make_clip(ffmpeg_bin: str, directory: Path, name: str, spec: ClipSpec) -> Path:
    path = directory / f"{name}{spec.suffix}"
    args: list[str] = [
        *spec.extra_input,
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={spec.width}x{spec.height}:rate={spec.rate}:duration={spec.seconds}",
    ]
    if spec.extra_input:
        # -display_rotation applies to an input file, so encode first, then re-mux rotated.
        plain = make_clip(
            ffmpeg_bin,
            directory,
            f"{name}_unrotated",
            ClipSpec(spec.width, spec.height, spec.seconds, spec.rate, spec.audio),
        )
        run_ffmpeg_for_test(
            ffmpeg_bin, *spec.extra_input, "-i", str(plain), "-c", "copy", str(path)
        )
        return path
    if spec.audio:
        args += _audio_input(spec.audio, spec.seconds)
    if spec.video_filter:
        args += ["-vf", spec.video_filter]
    args += [*spec.video_codec, "-g", "250"]
    if spec.audio:
        args += ["-c:a", "aac", "-b:a", "128k"]
    args += [*spec.container_args, str(path)]
    run_ffmpeg_for_test(ffmpeg_bin, *args)
    return path


@pytest.fixture(scope="session")
def clip(ffmpeg_bin: str) -> Callable[[str], Path]:
    """A named clip of CLIPS, made once for its spec (tests/media_cache.py)."""

    def get(name: str) -> Path:
        spec = CLIPS[name]
        made = cached_dir(
            "pipeline-clip",
            (name, spec),
            lambda directory: make_clip(ffmpeg_bin, directory, name, spec),
            ffmpeg_bin=ffmpeg_bin,
        )
        return made / f"{name}{spec.suffix}"

    return get


@pytest.fixture(scope="session")
def package(clip: Callable[[str], Path], ffmpeg_bin: str) -> Callable[[str], TranscodeResult]:
    """The transcode of a named clip, made once for its bytes (tests/media_cache.py)."""
    return lambda name: cached_transcode(clip(name), ffmpeg_bin=ffmpeg_bin)


def _keyframe_times(path: Path) -> list[float]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return sorted(
            round(float(packet.pts * packet.time_base), 3)
            for packet in container.demux(stream)
            if packet.pts is not None and packet.is_keyframe
        )


def _integrated_loudness(ffmpeg_bin: str, path: Path) -> float:
    result = subprocess.run(
        [
            *(ffmpeg_bin, "-nostdin", "-hide_banner", "-nostats", "-i", str(path)),
            *("-map", "0:a", "-af", "ebur128", "-f", "null", "-"),
        ],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    summary = result.stderr.rsplit("Integrated loudness:", 1)[1]
    match = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    assert match, result.stderr[-2000:]
    return float(match.group(1))


@pytest.fixture(scope="session")
def keyframe_times() -> Callable[[Path], list[float]]:
    """Presentation times of the keyframes of a file's first video stream, via PyAV."""
    return _keyframe_times


@pytest.fixture(scope="session")
def loudness(ffmpeg_bin: str) -> Callable[[Path], float]:
    """Integrated loudness (LUFS) of a file's audio, measured by ffmpeg's ebur128 filter."""
    return lambda path: _integrated_loudness(ffmpeg_bin, path)


@pytest.fixture
def isolated_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point tempfile at an empty directory, to see what the library leaves behind."""
    import tempfile

    root = tmp_path / "tmp"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return root
