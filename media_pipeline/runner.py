"""The one module that starts processes.

Every child (ffmpeg, and the PyAV probe child) runs:

* without a shell, with stdin closed;
* in its own session and process group (``start_new_session``), so a timeout or a
  cancellation kills it *and anything it started* with one ``killpg(SIGKILL)``;
* with ``PR_SET_PDEATHSIG`` = SIGKILL on Linux, so it dies with the process that started it:
  a worker that is itself SIGKILLed (OOM killer, ``kill -9``, a container stop) runs no
  cleanup, and without this its ffmpeg would encode on, unowned, until its own CPU limit;
* under rlimits set in the child before ``exec``: address space, CPU seconds, size of any
  file it writes, open files, and no core dumps;
* with a scrubbed environment (no proxy variables, no credentials, no locale surprises);
* in a private temporary working directory that is removed afterwards, success or not.

Output is read by threads, but callbacks (start, progress, cancellation checks) run in the
calling thread, so a caller may touch thread-bound resources such as a database connection.

Longer than 400 lines: every way a child is started, limited and killed, in the one
module the lint lets start processes.
"""

from __future__ import annotations

import collections
import contextlib
import ctypes
import os
import queue
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from media_pipeline.errors import FfmpegCancelledError, FfmpegError, FfmpegTimeoutError

STDERR_TAIL_BYTES = 4096
_POLL_INTERVAL_S = 0.05


@dataclass(frozen=True)
class ResourceLimits:
    """rlimits applied in the child. ``None`` leaves a limit as inherited."""

    address_space_bytes: int | None = None
    cpu_seconds: int | None = None
    file_size_bytes: int | None = None
    open_files: int | None = 256


@dataclass(frozen=True)
class RunResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr_tail: str
    wall_s: float
    #: user + system CPU time of the child (from ``wait4``, so it counts all its threads).
    cpu_s: float
    max_rss_bytes: int


@dataclass(frozen=True)
class Progress:
    fraction: float
    media_time_s: float
    elapsed_s: float
    speed: float | None
    eta_s: float | None
    frame: int | None
    done: bool


ProgressCallback = Callable[[Progress], None]
#: Called once the child has started, with its exact argv (e.g. to record it before a crash
#: of the caller could lose it).
StartCallback = Callable[[tuple[str, ...]], None]
#: Polled while a child runs; a ``threading.Event`` works too (its ``is_set``).
CancelCheck = Callable[[], bool] | threading.Event


def scrubbed_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing inherited, so no ``*_proxy`` and no secrets leak in."""
    env = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LC_ALL": "C.UTF-8",
        "LANG": "C.UTF-8",
        # glibc creates up to 8 malloc arenas per core, each reserving 64 MB of address
        # space; with many encoder threads that alone can hit RLIMIT_AS. Two is plenty.
        "MALLOC_ARENA_MAX": "2",
    }
    if extra:
        env.update(extra)
    return env


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _load_prctl() -> Callable[..., int] | None:
    """libc's ``prctl``, looked up once in the parent (never between fork and exec)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # a libc without prctl (e.g. some static builds)
        return None
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    prctl.restype = ctypes.c_int
    return cast(Callable[..., int], prctl)


_PRCTL = _load_prctl()


def _die_with_parent(parent_pid: int) -> None:
    """In the child: ask the kernel for SIGKILL when the parent goes.

    The kernel ties this to the *thread* that forked, not to the parent process: it fires
    when that thread exits. That is safe here because the thread that starts a child (in
    ``_run``) is the one that waits for it, so it outlives the child; do not hand a child
    started here to another thread to wait for.
    """
    if _PRCTL is None:
        return
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0)
    # The parent may have died between fork and prctl: then no signal will ever come.
    if os.getppid() != parent_pid:
        os._exit(1)


def _child_setup(limits: ResourceLimits, parent_pid: int) -> Callable[[], None]:
    def apply_limits() -> None:  # runs in the child between fork and exec
        _die_with_parent(parent_pid)
        pairs: list[tuple[int, int | None]] = [
            (resource.RLIMIT_AS, limits.address_space_bytes),
            (resource.RLIMIT_CPU, limits.cpu_seconds),
            (resource.RLIMIT_FSIZE, limits.file_size_bytes),
            (resource.RLIMIT_NOFILE, limits.open_files),
            (resource.RLIMIT_CORE, 0),
        ]
        for which, value in pairs:
            if value is not None:
                resource.setrlimit(which, (value, value))

    return apply_limits


@contextlib.contextmanager
def private_temp_dir(parent: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A 0700 temporary directory, removed on exit whatever happened."""
    path = Path(tempfile.mkdtemp(prefix="media-pipeline-", dir=parent))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _pump_lines(stream: IO[bytes], sink: queue.Queue[bytes | None], keep: list[bytes]) -> None:
    for line in iter(stream.readline, b""):
        sink.put(line)
        keep.append(line)
    sink.put(None)


def _pump_tail(stream: IO[bytes], tail: collections.deque[bytes]) -> None:
    # Whole chunks are kept in a bounded deque; the exact tail is cut when formatting.
    for chunk in iter(lambda: stream.read(1024), b""):
        tail.append(chunk)


def run_process(
    argv: Sequence[str],
    *,
    timeout_s: float,
    limits: ResourceLimits | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    on_stdout_line: Callable[[str], None] | None = None,
    should_cancel: CancelCheck | None = None,
    on_start: StartCallback | None = None,
    capture_stdout: bool = False,
    stderr_tail_bytes: int = STDERR_TAIL_BYTES,
) -> RunResult:
    """Run ``argv`` to completion under the limits above.

    ``cwd=None`` runs the child in a fresh private temp dir that is removed afterwards. Raises
    :class:`FfmpegTimeoutError` or :class:`FfmpegCancelledError` after killing the process
    group, and :class:`FfmpegError` when the child exits with a non-zero status.
    ``on_start(argv)`` is called once the child runs; if it raises, the child is killed.
    """
    argv = tuple(argv)
    limits = limits or ResourceLimits()
    if isinstance(should_cancel, threading.Event):
        should_cancel = should_cancel.is_set
    with contextlib.ExitStack() as stack:
        workdir = Path(cwd) if cwd is not None else stack.enter_context(private_temp_dir())
        return _run(
            argv,
            timeout_s=timeout_s,
            limits=limits,
            cwd=workdir,
            env=dict(env) if env is not None else scrubbed_environment({"HOME": str(workdir)}),
            on_stdout_line=on_stdout_line,
            should_cancel=should_cancel,
            on_start=on_start,
            capture_stdout=capture_stdout,
            stderr_tail_bytes=stderr_tail_bytes,
        )
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack does not swallow


def _run(
    argv: tuple[str, ...],
    *,
    timeout_s: float,
    limits: ResourceLimits,
    cwd: Path,
    env: dict[str, str],
    on_stdout_line: Callable[[str], None] | None,
    should_cancel: Callable[[], bool] | None,
    on_start: StartCallback | None,
    capture_stdout: bool,
    stderr_tail_bytes: int,
) -> RunResult:
    started = time.monotonic()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=cwd,
        env=env,
        close_fds=True,
        start_new_session=True,
        # rlimits and the parent-death signal must be set between fork and exec.
        preexec_fn=_child_setup(limits, os.getpid()),
    )
    pgid = process.pid  # the child is its session's leader: pgid == pid
    assert process.stdout is not None
    assert process.stderr is not None
    lines: queue.Queue[bytes | None] = queue.Queue()
    stdout_kept: list[bytes] = []
    stderr_tail: collections.deque[bytes] = collections.deque(
        maxlen=max(4, stderr_tail_bytes // 1024 + 2)
    )
    readers = [
        threading.Thread(
            target=_pump_lines, args=(process.stdout, lines, stdout_kept), daemon=True
        ),
        threading.Thread(target=_pump_tail, args=(process.stderr, stderr_tail), daemon=True),
    ]
    for reader in readers:
        reader.start()

    def tail_text() -> str:
        data = b"".join(stderr_tail)[-stderr_tail_bytes:]
        return data.decode("utf-8", errors="replace")

    def drain() -> None:
        while True:
            try:
                line = lines.get_nowait()
            except queue.Empty:
                return
            if line is not None and on_stdout_line is not None:
                on_stdout_line(line.decode("utf-8", errors="replace").rstrip("\r\n"))

    status: int | None = None
    usage: resource.struct_rusage | None = None
    stop_reason: str | None = None
    try:
        if on_start is not None:
            on_start(argv)
        while status is None:
            drain()
            pid, wait_status, wait_usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                status, usage = wait_status, wait_usage
                break
            if should_cancel is not None and should_cancel():
                stop_reason = "cancelled"
            elif time.monotonic() - started > timeout_s:
                stop_reason = "timeout"
            if stop_reason:
                _kill_group(pgid)
                _, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(_POLL_INTERVAL_S)
    finally:
        if status is None:
            # An exception (e.g. from a callback) escaped the loop: never leave ffmpeg behind.
            _kill_group(pgid)
            _, status, usage = os.wait4(process.pid, 0)
        # Anything the child left running in its group goes too.
        _kill_group(pgid)
        process.returncode = os.waitstatus_to_exitcode(status)
        for reader in readers:
            reader.join(timeout=5)
        process.stdout.close()
        process.stderr.close()
    drain()
    wall_s = time.monotonic() - started
    returncode = process.returncode
    tail = tail_text()
    if stop_reason == "timeout":
        raise FfmpegTimeoutError(
            f"killed after the {timeout_s:.0f} s time limit",
            argv=argv,
            returncode=returncode,
            stderr_tail=tail,
        )
    if stop_reason == "cancelled":
        raise FfmpegCancelledError("cancelled", argv=argv, returncode=returncode, stderr_tail=tail)
    if returncode != 0:
        raise FfmpegError(
            f"{Path(argv[0]).name} failed", argv=argv, returncode=returncode, stderr_tail=tail
        )
    assert usage is not None
    return RunResult(
        argv=argv,
        returncode=returncode,
        stdout=b"".join(stdout_kept) if capture_stdout else b"",
        stderr_tail=tail,
        wall_s=wall_s,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_rss_bytes=usage.ru_maxrss * 1024,
    )


class FfmpegProgressParser:
    """Turns ``-progress pipe:1`` key=value blocks into :class:`Progress` events.

    ``frame`` (of the first output stream, the top rendition) is preferred over
    ``out_time``: ffmpeg reports the furthest time of *any* output, and a storyboard output
    whose single tiled frame spans 100 thumbnails reports a time far ahead of the encode.
    """

    def __init__(
        self,
        *,
        duration_s: float,
        frame_rate: float | None,
        on_progress: ProgressCallback,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._duration_s = max(duration_s, 1e-6)
        self._frame_rate = frame_rate
        self._on_progress = on_progress
        self._clock = clock
        self._started = clock()
        self._block: dict[str, str] = {}

    def feed(self, line: str) -> None:
        key, sep, value = line.partition("=")
        if not sep:
            return
        key, value = key.strip(), value.strip()
        if key != "progress":
            self._block[key] = value
            return
        self._on_progress(self._event(done=value == "end"))
        self._block = {}

    def _event(self, *, done: bool) -> Progress:
        elapsed = self._clock() - self._started
        frame = _int_or_none(self._block.get("frame"))
        if frame is not None and self._frame_rate:
            media_time = frame / self._frame_rate
        else:
            out_us = _int_or_none(self._block.get("out_time_us"))
            media_time = max(out_us or 0, 0) / 1e6
        fraction = 1.0 if done else min(max(media_time / self._duration_s, 0.0), 0.999)
        speed_text = self._block.get("speed", "").rstrip("x").strip()
        try:
            speed: float | None = float(speed_text)
        except ValueError:
            speed = None
        eta = None if fraction <= 0 else elapsed * (1 - fraction) / fraction
        return Progress(
            fraction=fraction,
            media_time_s=media_time,
            elapsed_s=elapsed,
            speed=speed,
            eta_s=eta,
            frame=frame,
            done=done,
        )


def _int_or_none(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def run_ffmpeg(
    argv: Sequence[str],
    *,
    timeout_s: float,
    limits: ResourceLimits,
    cwd: str | os.PathLike[str] | None = None,
    duration_s: float,
    frame_rate: float | None = None,
    on_progress: ProgressCallback | None = None,
    should_cancel: CancelCheck | None = None,
    on_start: StartCallback | None = None,
) -> RunResult:
    """Run an ffmpeg argv built with ``-progress pipe:1`` and report its progress."""
    parser = FfmpegProgressParser(
        duration_s=duration_s,
        frame_rate=frame_rate,
        on_progress=on_progress or (lambda _progress: None),
    )
    return run_process(
        argv,
        timeout_s=timeout_s,
        limits=limits,
        cwd=cwd,
        on_stdout_line=parser.feed,
        should_cancel=should_cancel,
        on_start=on_start,
    )
