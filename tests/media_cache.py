"""Generated media kept on disk between test runs: the SQLite and the PostgreSQL halves of
scripts/test.sh, and the xdist workers of one run, make each clip and each transcode once.

An entry lives in .cache/test-media/<kind>-<key>/, where the key is a hash of everything that
decides its bytes: the generator's parameters, the ffmpeg binary (path, size, modification
time) and the sources of media_pipeline/. A change to any of them makes a new entry rather
than reusing a stale one. Delete the directory to start afresh.
"""

import dataclasses
import fcntl
import functools
import hashlib
import os
import pickle
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from media_pipeline import TranscodeResult, TranscodeSpec, resolve_ffmpeg, transcode

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "test-media"


@functools.cache
def _pipeline_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted((ROOT / "media_pipeline").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _ffmpeg_identity(ffmpeg_bin: str | None) -> str:
    binary = resolve_ffmpeg(ffmpeg_bin)
    stat = os.stat(binary)
    return f"{binary}:{stat.st_size}:{stat.st_mtime_ns}"


def file_digest(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def cached_dir(
    kind: str, params: object, make: Callable[[Path], object], *, ffmpeg_bin: str | None = None
) -> Path:
    """The directory `make` filled for `params`, made the first time. `params` must have a
    repr that names every input (a tuple of plain values, a frozen dataclass). One process
    makes an entry while the others wait for it (a lock file beside it); an entry appears
    under its name only once complete."""
    key = hashlib.sha256(
        repr((params, _ffmpeg_identity(ffmpeg_bin), _pipeline_digest())).encode()
    ).hexdigest()[:24]
    done = CACHE / f"{kind}-{key}"
    if done.is_dir():
        return done
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{kind}-{key}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_dir():
            work = Path(tempfile.mkdtemp(prefix=f"{kind}-{key}.", dir=CACHE))
            try:
                make(work)
            except BaseException:
                shutil.rmtree(work, ignore_errors=True)
                raise
            work.rename(done)
    return done


def cached_transcode(
    clip: Path, *, spec: TranscodeSpec | None = None, ffmpeg_bin: str | None = None
) -> TranscodeResult:
    """`media_pipeline.transcode` of `clip` with `spec`, run the first time for these bytes."""
    spec = spec or TranscodeSpec()

    def make(directory: Path) -> None:
        result = transcode(clip, directory / "out", spec=spec, ffmpeg_bin=ffmpeg_bin)
        (directory / "result.pickle").write_bytes(pickle.dumps(result))

    made = cached_dir("package", (file_digest(clip), spec), make, ffmpeg_bin=ffmpeg_bin)
    result = pickle.loads((made / "result.pickle").read_bytes())  # noqa: S301 (made above)
    return dataclasses.replace(result, out_dir=made / "out")
