"""Where the ffmpeg binary comes from.

Order: an explicit argument, then the ``FFMPEG_BINARY`` environment variable, then ``ffmpeg``
on ``PATH``, then the static build bundled in the ``imageio-ffmpeg`` wheel, so that
``pip install`` alone gives a working pipeline.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

from media_pipeline.errors import FfmpegError, FfmpegNotFoundError
from media_pipeline.runner import run_process

FFMPEG_ENV_VAR = "FFMPEG_BINARY"


def _usable(candidate: str) -> str | None:
    if os.sep in candidate:
        path = Path(candidate)
        if path.is_file() and os.access(path, os.X_OK):
            return str(path.resolve())
        return None
    return shutil.which(candidate)


def resolve_ffmpeg(explicit: str | os.PathLike[str] | None = None) -> str:
    """Return an absolute path to an executable ffmpeg.

    An explicit or configured binary that does not exist is an error rather than a reason to
    fall back silently: a deployment that names a binary wants that one.
    """
    configured = os.fspath(explicit) if explicit is not None else os.environ.get(FFMPEG_ENV_VAR)
    if configured:
        found = _usable(configured)
        if found is None:
            raise FfmpegNotFoundError(f"ffmpeg binary {configured!r} is not an executable file")
        return found
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped]  # no type information
    except ImportError as exc:  # pragma: no cover - the wheel is a declared dependency
        raise FfmpegNotFoundError("no ffmpeg on PATH and imageio-ffmpeg is not installed") from exc
    try:
        bundled: str = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as exc:  # pragma: no cover - wheel without a binary for this platform
        raise FfmpegNotFoundError(str(exc)) from exc
    return bundled


def has_filter(binary: str, name: str) -> bool:
    """Whether the ffmpeg at ``binary`` was built with the filter ``name`` (asked once per
    binary file and version of it)."""
    try:
        stat = os.stat(binary)
    except OSError:
        return False
    return name in _filters(binary, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _filters(binary: str, _mtime_ns: int, _size: int) -> frozenset[str]:
    try:
        listing = run_process(
            [binary, "-hide_banner", "-nostdin", "-filters"], timeout_s=30, capture_stdout=True
        )
    except (OSError, FfmpegError):
        return frozenset()
    # Lines look like " TSC zscale            V->V       Apply resizing, ...".
    text = listing.stdout.decode("utf-8", errors="replace")
    return frozenset(parts[1] for line in text.splitlines() if len(parts := line.split()) >= 3)
