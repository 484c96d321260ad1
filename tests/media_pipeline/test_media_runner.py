"""The runner: timeouts, cancellation, process groups, limits, environment, temp dirs."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from media_pipeline import (
    FfmpegCancelledError,
    FfmpegError,
    FfmpegTimeoutError,
    Progress,
    TranscodeResult,
    transcode,
)
from media_pipeline.runner import ResourceLimits, run_ffmpeg, run_process

# A child that starts a grandchild, writes both pids to a file, then waits forever.
SPAWNER = (
    "import os, subprocess, sys, time\n"
    "grandchild = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
    "with open(sys.argv[1], 'w') as handle:\n"
    "    handle.write(f'{os.getpid()} {grandchild.pid}')\n"
    "time.sleep(120)\n"
)


def _alive(pid: int) -> bool:
    """True unless the process is gone or a zombie (dead, waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def _wait_for_pids(path: Path) -> list[int]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return [int(pid) for pid in path.read_text().split()]
        time.sleep(0.05)
    raise AssertionError("the child did not start")


def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"
    started = time.monotonic()
    with pytest.raises(FfmpegTimeoutError) as caught:
        run_process([sys.executable, "-c", SPAWNER, str(pid_file)], timeout_s=1.5)
    assert time.monotonic() - started < 10
    assert caught.value.code == "ffmpeg_timeout"
    assert caught.value.returncode == -9
    pids = _wait_for_pids(pid_file)
    time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def test_cancellation_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"

    def cancel_once_started() -> bool:
        return pid_file.exists() and bool(pid_file.read_text())

    with pytest.raises(FfmpegCancelledError) as caught:
        run_process(
            [sys.executable, "-c", SPAWNER, str(pid_file)],
            timeout_s=60,
            should_cancel=cancel_once_started,
        )
    assert caught.value.code == "cancelled"
    pids = _wait_for_pids(pid_file)
    time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def test_ffmpeg_error_carries_argv_exit_status_and_stderr_tail(ffmpeg_bin: str) -> None:
    argv = [ffmpeg_bin, "-nostdin", "-i", "file:/nonexistent/input.mp4", "-f", "null", "-"]
    with pytest.raises(FfmpegError) as caught:
        run_process(argv, timeout_s=30)
    error = caught.value
    assert error.argv == tuple(argv)
    assert error.returncode not in (0, None)
    assert "No such file or directory" in error.stderr_tail
    assert "No such file or directory" in str(error)


def test_stderr_tail_keeps_only_the_last_4_kb() -> None:
    noisy = (
        "import sys\n"
        "for i in range(5000): sys.stderr.write(f'line {i}\\n')\n"
        "sys.stderr.write('THE REAL ERROR\\n')\n"
        "sys.exit(3)\n"
    )
    with pytest.raises(FfmpegError) as caught:
        run_process([sys.executable, "-c", noisy], timeout_s=30)
    tail = caught.value.stderr_tail
    assert caught.value.returncode == 3
    assert tail.endswith("THE REAL ERROR\n")
    assert len(tail.encode()) <= 4096
    assert "line 4999" in tail
    assert "line 10\n" not in tail


def test_child_runs_with_limits_scrubbed_environment_and_a_private_cwd(
    monkeypatch: pytest.MonkeyPatch, isolated_tempdir: Path
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-for-children")
    report = (
        "import json, os, resource\n"
        "print(json.dumps({'env': dict(os.environ), 'cwd': os.getcwd(),\n"
        " 'limits': {name: resource.getrlimit(getattr(resource, name))[0] for name in\n"
        "   ('RLIMIT_AS', 'RLIMIT_CPU', 'RLIMIT_FSIZE', 'RLIMIT_NOFILE', 'RLIMIT_CORE')},\n"
        " 'session': os.getsid(0) == os.getpid()}))\n"
    )
    limits = ResourceLimits(
        address_space_bytes=3 * 1024**3, cpu_seconds=77, file_size_bytes=5 * 1024**2, open_files=99
    )
    result = run_process(
        [sys.executable, "-c", report], timeout_s=30, limits=limits, capture_stdout=True
    )
    seen = json.loads(result.stdout)
    assert "HTTP_PROXY" not in seen["env"]
    assert "AWS_SECRET_ACCESS_KEY" not in seen["env"]
    assert seen["limits"] == {
        "RLIMIT_AS": 3 * 1024**3,
        "RLIMIT_CPU": 77,
        "RLIMIT_FSIZE": 5 * 1024**2,
        "RLIMIT_NOFILE": 99,
        "RLIMIT_CORE": 0,
    }
    assert seen["session"] is True
    assert Path(seen["cwd"]).parent == isolated_tempdir
    # ...and the private working directory is gone afterwards.
    assert list(isolated_tempdir.iterdir()) == []
    assert result.cpu_s >= 0
    assert result.wall_s > 0


def test_file_size_limit_stops_a_runaway_writer(ffmpeg_bin: str, tmp_path: Path) -> None:
    argv = [
        ffmpeg_bin,
        *("-nostdin", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30"),
        *("-c:v", "rawvideo", "-f", "nut", str(tmp_path / "huge.nut")),
    ]
    with pytest.raises(FfmpegError) as caught:
        run_process(argv, timeout_s=60, limits=ResourceLimits(file_size_bytes=2 * 1024**2))
    assert not isinstance(caught.value, FfmpegTimeoutError)
    assert (tmp_path / "huge.nut").stat().st_size <= 2 * 1024**2


def test_progress_reports_fraction_speed_and_eta_until_done(ffmpeg_bin: str) -> None:
    events: list[Progress] = []
    argv = [
        ffmpeg_bin,
        *("-nostdin", "-nostats", "-progress", "pipe:1", "-stats_period", "0.1"),
        *("-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30:duration=3"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-f", "null", "-"),
    ]
    run_ffmpeg(
        argv,
        timeout_s=60,
        limits=ResourceLimits(),
        duration_s=3.0,
        frame_rate=30.0,
        on_progress=events.append,
    )
    assert events
    assert events[-1].done
    assert events[-1].fraction == 1.0
    fractions = [event.fraction for event in events]
    assert fractions == sorted(fractions)
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert events[-1].frame == 90
    assert any(event.speed for event in events)
    assert all(event.eta_s is None or event.eta_s >= 0 for event in events)


def test_transcode_cancelled_midway_leaves_no_output_and_no_temp_dir(
    clip: Callable[[str], Path], tmp_path: Path, isolated_tempdir: Path
) -> None:
    seen: list[Progress] = []
    out = tmp_path / "out"
    with pytest.raises(FfmpegCancelledError):
        transcode(
            clip("hd_720"),
            out,
            on_progress=seen.append,
            should_cancel=lambda: bool(seen),
        )
    assert not out.exists()
    assert list(isolated_tempdir.iterdir()) == []


def test_transcode_leaves_no_temp_dir_after_success(
    clip: Callable[[str], Path], tmp_path: Path, isolated_tempdir: Path
) -> None:
    result: TranscodeResult = transcode(clip("small"), tmp_path / "out")
    assert (result.out_dir / "master.m3u8").is_file()
    assert list(isolated_tempdir.iterdir()) == []
    assert result.argv[0]
    assert "-nostdin" in result.argv
    assert "-protocol_whitelist" in result.argv


def test_transcode_refuses_a_non_empty_output_directory(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("previous version")
    with pytest.raises(FileExistsError):
        transcode(clip("small"), out)
    assert (out / "keep.txt").read_text() == "previous version"


def test_child_cpu_time_limit_is_enforced() -> None:
    spin = "while True: pass\n"
    started = time.monotonic()
    with pytest.raises(FfmpegError) as caught:
        run_process(
            [sys.executable, "-c", spin], timeout_s=30, limits=ResourceLimits(cpu_seconds=1)
        )
    assert not isinstance(caught.value, FfmpegTimeoutError)
    assert caught.value.returncode in (-24, -9)  # SIGXCPU at the soft limit
    assert time.monotonic() - started < 15
    assert os.getpid()
    assert resource.getrlimit(resource.RLIMIT_CPU)[0] != 1


def test_a_threading_event_can_cancel_a_run() -> None:
    event = threading.Event()
    event.set()
    started = time.monotonic()
    with pytest.raises(FfmpegCancelledError):
        run_process(
            [sys.executable, "-c", "import time; time.sleep(60)"], timeout_s=60, should_cancel=event
        )
    assert time.monotonic() - started < 10


# A stand-in for a Celery worker: runs a long, cheap ffmpeg through the runner (from the main
# thread or from a worker thread), says "started" once it runs, then waits for it.
WORKER = (
    "import sys, threading\n"
    "sys.path.insert(0, sys.argv[1])\n"
    "from media_pipeline.runner import run_process\n"
    "argv = [sys.argv[2], '-nostdin', '-re', '-f', 'lavfi', '-i', 'anullsrc=r=8000',\n"
    "        '-t', '120', '-f', 'null', '-']\n"
    "def encode():\n"
    "    run_process(argv, timeout_s=300, on_start=lambda _argv: print('started', flush=True))\n"
    "if sys.argv[3] == 'thread':\n"
    "    worker = threading.Thread(target=encode)\n"
    "    worker.start()\n"
    "    worker.join()\n"
    "else:\n"
    "    encode()\n"
)


def _children_of(parent: int) -> list[int]:
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == parent:
            children.append(int(stat.parent.name))
    return children


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("spawned_from", ["main", "thread"])
def test_ffmpeg_dies_with_a_worker_killed_by_sigkill(ffmpeg_bin: str, spawned_from: str) -> None:
    repo = str(Path(__file__).resolve().parents[2])
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, repo, ffmpeg_bin, spawned_from],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline() == "started\n"
        children = _children_of(worker.pid)
        assert len(children) == 1
        assert _alive(children[0])
        ffmpeg = children[0]
    finally:
        worker.kill()  # SIGKILL: the worker runs no cleanup of its own
        worker.wait()
        if worker.stdout is not None:
            worker.stdout.close()
    deadline = time.monotonic() + 2
    while _alive(ffmpeg) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = _alive(ffmpeg)
    if alive:  # do not leave it running for two minutes if the assertion fails
        os.kill(ffmpeg, signal.SIGKILL)
    assert not alive


def test_on_start_gets_the_argv_while_the_child_runs(tmp_path: Path) -> None:
    marker = tmp_path / "running"
    seen: list[tuple[str, ...]] = []

    def on_start(argv: tuple[str, ...]) -> None:
        seen.append(argv)
        assert not marker.exists()  # called before the child could finish

    argv = [sys.executable, "-c", f"import time; time.sleep(0.5); open({str(marker)!r}, 'w')"]
    run_process(argv, timeout_s=30, on_start=on_start)
    assert seen == [tuple(argv)]
    assert marker.exists()


def test_a_failing_on_start_kills_the_child(tmp_path: Path) -> None:
    pid_file = tmp_path / "pids"

    def on_start(_argv: tuple[str, ...]) -> None:
        _wait_for_pids(pid_file)
        raise RuntimeError("could not record the command")

    with pytest.raises(RuntimeError):
        run_process([sys.executable, "-c", SPAWNER, str(pid_file)], timeout_s=60, on_start=on_start)
    pids = _wait_for_pids(pid_file)
    time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)
