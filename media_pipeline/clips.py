"""Generated clips: a test pattern with a moving counter and a tone, made by ffmpeg's lavfi
sources. The platform's demo video and the test suite's lecture clips are made here, through
:func:`media_pipeline.runner.run_process` like every other child process."""

from __future__ import annotations

from pathlib import Path

from media_pipeline.binaries import resolve_ffmpeg
from media_pipeline.runner import run_process


def make_test_pattern(
    path: Path,
    *,
    seconds: float,
    size: str = "320x180",
    rate: int = 25,
    noise: bool = False,
    preset: str = "ultrafast",
    ffmpeg_bin: str | None = None,
) -> Path:
    """Write real H.264/AAC in MP4 to `path`: testsrc2 at `size` and `rate` with a 440 Hz tone.

    `noise=True` makes a clip that compresses badly (noise, near-lossless): a second of it is
    megabytes, for upload tests that need many parts from a short video.
    """
    pattern = f"testsrc2=size={size}:rate={rate}:duration={seconds}"
    if noise:
        pattern += ",noise=alls=40:allf=t"
    argv = [
        resolve_ffmpeg(ffmpeg_bin),
        *("-nostdin", "-v", "error"),
        *("-f", "lavfi", "-i", pattern),
        *("-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"),
        *("-c:v", "libx264", "-preset", preset),
        *(["-qp", "8"] if noise else []),
        *("-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-y", str(path)),
    ]
    run_process(argv, timeout_s=300, cwd=path.parent)
    return path
