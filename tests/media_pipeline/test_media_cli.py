"""``python -m media_pipeline``: exit status and JSON, run as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "media_pipeline", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_probe_of_a_video_exits_0_with_the_probe_as_json(clip: Callable[[str], Path]) -> None:
    completed = _cli("probe", str(clip("rotated")))
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["accepted"] is True
    assert report["code"] is None
    video = report["probe"]["video_streams"][0]
    assert report["probe"]["demuxer"] == "mov"
    assert (video["display_width"], video["display_height"], video["rotation"]) == (360, 640, 90)


def test_probe_of_a_rejected_file_exits_2_with_code_and_reason(tmp_path: Path) -> None:
    playlist = tmp_path / "upload.mp4"
    playlist.write_text("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1:9/x.ts\n")
    completed = _cli("probe", str(playlist))
    assert completed.returncode == 2
    report = json.loads(completed.stdout)
    assert report["accepted"] is False
    assert report["code"] == "playlist_or_reference_file"
    assert "playlist" in report["reason"]


def test_transcode_writes_the_package_and_prints_a_summary(
    clip: Callable[[str], Path], tmp_path: Path
) -> None:
    out = tmp_path / "package"
    completed = _cli("transcode", str(clip("small")), str(out))
    assert completed.returncode == 0, completed.stderr
    summary = json.loads(completed.stdout)
    assert summary["master_playlist"] == "master.m3u8"
    assert [r["name"] for r in summary["renditions"]] == ["180p"]
    assert all((out / name).is_file() for name in summary["files"])
    assert "progress" in completed.stderr
    assert "100.0%" in completed.stderr


def test_transcode_of_a_rejected_file_exits_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    completed = _cli("transcode", str(empty), str(tmp_path / "out"))
    assert completed.returncode == 2
    assert json.loads(completed.stdout)["code"] == "empty_file"
    assert not (tmp_path / "out").exists()
