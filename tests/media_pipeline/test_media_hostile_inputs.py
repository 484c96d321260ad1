"""Hostile and broken uploads: each is refused with its code, reads nothing outside its own
file and touches no network."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from media_pipeline import (
    REJECTION_CODES,
    FfmpegError,
    Limits,
    MediaRejectedError,
    ProbeTimeoutError,
    TranscodeSpec,
    build_ladder,
    inspect_upload,
    transcode,
)
from media_pipeline.commands import build_transcode_argv, plan_storyboard
from media_pipeline.policy import ALLOWED_DEMUXERS
from media_pipeline.runner import ResourceLimits, run_process
from tests.media_pipeline.conftest import run_ffmpeg_for_test
from tests.media_pipeline.h264_sps import claim_picture_size

REPO_ROOT = Path(__file__).resolve().parents[2]


def _rejection_code(path: Path, limits: Limits | None = None) -> str:
    with pytest.raises(MediaRejectedError) as caught:
        inspect_upload(path, limits=limits)
    error = caught.value
    assert error.code in REJECTION_CODES
    assert error.reason
    assert "{" not in error.reason
    return error.code


class ConnectionCounter:
    """A listening socket on 127.0.0.1 that counts the connections it gets."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port: int = self.server.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.server.close()


@pytest.fixture
def listener() -> Iterator[ConnectionCounter]:
    counter = ConnectionCounter()
    yield counter
    counter.close()


@pytest.fixture(scope="session")
def secret_clip(ffmpeg_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A perfectly good video in another directory, that an upload must never reach."""
    path = tmp_path_factory.mktemp("elsewhere") / "secret.ts"
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=2"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)),
    )
    return path


@pytest.fixture
def untouched(secret_clip: Path) -> Iterator[Path]:
    """The secret with its access time set before its modification time: on a relatime
    mount (and strictatime) any read of it moves the access time forward."""
    stat = secret_clip.stat()
    os.utime(secret_clip, ns=(stat.st_mtime_ns - 10**12, stat.st_mtime_ns))
    before = secret_clip.stat().st_atime_ns
    yield secret_clip
    assert secret_clip.stat().st_atime_ns == before, "the secret file was read"


def test_access_time_check_detects_a_read(secret_clip: Path) -> None:
    # The atime-based assertions below are only meaningful if a read shows up.
    stat = secret_clip.stat()
    os.utime(secret_clip, ns=(stat.st_mtime_ns - 10**12, stat.st_mtime_ns))
    before = secret_clip.stat().st_atime_ns
    secret_clip.read_bytes()
    if secret_clip.stat().st_atime_ns == before:
        pytest.skip("this filesystem does not record access times")


def _hls_playlist(target: str) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f"#EXTINF:2.0,\n{target}\n#EXT-X-ENDLIST\n"
    )


def _probe_child(path: Path) -> dict[str, object]:
    """The probe child alone, as if the byte sniffing had been bypassed."""
    completed = subprocess.run(
        [
            *(sys.executable, "-m", "media_pipeline._probe_child"),
            *("--allowed-formats", ",".join(sorted(ALLOWED_DEMUXERS))),
            *("--max-pixels", str(4096 * 4096), str(path)),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(completed.stdout)
    return result


@pytest.mark.parametrize("target", ["absolute", "file_url"])
def test_hls_playlist_disguised_as_mp4_pointing_at_a_local_file_is_refused_unread(
    target: str, untouched: Path, tmp_path: Path
) -> None:
    uri = str(untouched) if target == "absolute" else f"file://{untouched}"
    upload = tmp_path / "upload.mp4"
    upload.write_text(_hls_playlist(uri))
    assert _rejection_code(upload) == "playlist_or_reference_file"
    # The transcode entry point refuses it the same way and produces nothing.
    out = tmp_path / "out"
    with pytest.raises(MediaRejectedError) as caught:
        transcode(upload, out)
    assert caught.value.code == "playlist_or_reference_file"
    assert not out.exists()
    # Second line of defence: even with a name that lets FFmpeg recognise HLS, the probe
    # child's demuxer allow-list refuses it before it opens anything.
    renamed = tmp_path / "upload.m3u8"
    renamed.write_text(_hls_playlist(uri))
    reply = _probe_child(renamed)
    assert reply["ok"] is False
    assert reply["error"] == "format_not_allowed"


def test_hls_playlist_pointing_at_a_url_makes_no_connection(
    listener: ConnectionCounter, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{listener.port}/segment.ts"
    upload = tmp_path / "upload.mp4"
    upload.write_text(_hls_playlist(url))
    assert _rejection_code(upload) == "playlist_or_reference_file"
    with pytest.raises(MediaRejectedError):
        transcode(upload, tmp_path / "out")
    renamed = tmp_path / "upload.m3u8"
    renamed.write_text(_hls_playlist(url))
    assert _probe_child(renamed)["ok"] is False
    assert listener.connections == 0


def test_ffmpeg_refuses_a_playlist_swapped_in_after_the_probe(
    clip: Callable[[str], Path],
    untouched: Path,
    listener: ConnectionCounter,
    ffmpeg_bin: str,
    tmp_path: Path,
) -> None:
    # Given the probe of a real video, when the file at the path becomes a playlist before
    # ffmpeg runs (or the probe was wrong), the forced demuxer still refuses it.
    good = clip("no_audio")
    probe = inspect_upload(good)
    swapped = tmp_path / "swapped.m3u8"
    swapped.write_text(
        "#EXTM3U\n#EXT-X-TARGETDURATION:2\n"
        f"#EXTINF:1.0,\n{untouched}\n"
        f"#EXTINF:1.0,\nhttp://127.0.0.1:{listener.port}/a.ts\n#EXT-X-ENDLIST\n"
    )
    spec = TranscodeSpec()
    ladder = build_ladder(probe, spec)
    argv = build_transcode_argv(
        ffmpeg_bin=ffmpeg_bin,
        source=swapped,
        probe=probe,
        ladder=ladder,
        spec=spec,
        storyboard=plan_storyboard(probe.duration_s, ladder, spec),
    )
    with pytest.raises(FfmpegError) as caught:
        run_process(argv, timeout_s=30, limits=ResourceLimits())
    assert caught.value.returncode != 0
    assert listener.connections == 0


def test_concat_script_is_refused_unread(untouched: Path, tmp_path: Path) -> None:
    upload = tmp_path / "upload.mp4"
    upload.write_text(f"ffconcat version 1.0\nfile '{untouched}'\nduration 2\n")
    assert _rejection_code(upload) == "playlist_or_reference_file"
    headerless = tmp_path / "list.mov"
    headerless.write_text(f"file '{untouched}'\n")
    assert _rejection_code(headerless) == "playlist_or_reference_file"


def test_png_image_is_not_a_video(ffmpeg_bin: str, tmp_path: Path) -> None:
    image = tmp_path / "slide.png"
    run_ffmpeg_for_test(
        ffmpeg_bin, "-f", "lavfi", "-i", "color=c=red:s=64x64", "-frames:v", "1", str(image)
    )
    assert _rejection_code(image) == "not_a_video"
    disguised = tmp_path / "slide.mp4"
    disguised.write_bytes(image.read_bytes())
    assert _rejection_code(disguised) == "not_a_video"


def test_text_file_is_not_a_video(tmp_path: Path) -> None:
    notes = tmp_path / "notes.mp4"
    notes.write_text("강의 노트: 1주차 — introduction to call-center metrics\n" * 20)
    assert _rejection_code(notes) == "not_a_video"


def test_random_bytes_are_not_a_video(tmp_path: Path) -> None:
    noise = tmp_path / "noise.mp4"
    noise.write_bytes(bytes((i * 7919 + 13) % 251 for i in range(50_000)))
    assert _rejection_code(noise) == "not_a_video"


def test_empty_file_is_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp4"
    empty.touch()
    assert _rejection_code(empty) == "empty_file"


@pytest.mark.parametrize("faststart", [True, False], ids=["moov_first", "moov_at_end"])
def test_mp4_cut_in_half_is_truncated(faststart: bool, ffmpeg_bin: str, tmp_path: Path) -> None:
    whole = tmp_path / "whole.mp4"
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=3"),
        *("-f", "lavfi", "-i", "sine=duration=3"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac"),
        *(["-movflags", "+faststart"] if faststart else []),
        str(whole),
    )
    assert inspect_upload(whole).duration_s == pytest.approx(3.0, abs=0.1)
    cut = tmp_path / "cut.mp4"
    data = whole.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    assert _rejection_code(cut) == "truncated_or_corrupt"


def test_bitstream_claiming_8192x8192_pixels_is_too_many_pixels(
    ffmpeg_bin: str, tmp_path: Path
) -> None:
    # A 10 KB file whose H.264 SPS claims 8192×8192 (67 megapixels).
    raw = tmp_path / "small.h264"
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10:duration=1"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-f", "h264"),
        str(raw),
    )
    claimed = tmp_path / "claimed.h264"
    claimed.write_bytes(claim_picture_size(raw.read_bytes(), 8192, 8192))
    bomb = tmp_path / "bomb.mkv"
    run_ffmpeg_for_test(ffmpeg_bin, "-f", "h264", "-i", str(claimed), "-c", "copy", str(bomb))
    assert bomb.stat().st_size < 20_000
    with pytest.raises(MediaRejectedError) as caught:
        inspect_upload(bomb)
    assert caught.value.code == "too_many_pixels"
    assert (caught.value.params["width"], caught.value.params["height"]) == (8192, 8192)
    with pytest.raises(MediaRejectedError):
        transcode(bomb, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_file_with_hundreds_of_streams_is_refused(ffmpeg_bin: str, tmp_path: Path) -> None:
    many = tmp_path / "many.mkv"
    maps = [arg for _ in range(200) for arg in ("-map", "1:a")]
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10:duration=0.5"),
        *("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono:d=0.5"),
        *("-map", "0:v", *maps, "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "pcm_s16le"),
        str(many),
    )
    with pytest.raises(MediaRejectedError) as caught:
        inspect_upload(many)
    assert caught.value.code == "too_many_streams"
    assert caught.value.params["count"] == 201


def test_audio_only_file_has_no_video_stream(ffmpeg_bin: str, tmp_path: Path) -> None:
    podcast = tmp_path / "talk.m4a"
    run_ffmpeg_for_test(ffmpeg_bin, "-f", "lavfi", "-i", "sine=duration=1", str(podcast))
    assert _rejection_code(podcast) == "no_video_stream"


def test_video_codec_outside_the_allow_list_is_unsupported(ffmpeg_bin: str, tmp_path: Path) -> None:
    lossless = tmp_path / "lossless.mkv"
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=10:duration=0.5", "-c:v", "ffv1"),
        str(lossless),
    )
    assert _rejection_code(lossless) == "unsupported_codec"


def test_frame_rate_above_the_limit_is_refused(ffmpeg_bin: str, tmp_path: Path) -> None:
    fast = tmp_path / "fast.mp4"
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=64x64:rate=240:duration=0.5"),
        *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(fast)),
    )
    assert _rejection_code(fast) == "frame_rate_too_high"


def test_limits_on_duration_and_size_are_applied(clip: Callable[[str], Path]) -> None:
    video = clip("four_three")
    assert _rejection_code(video, Limits(max_duration_s=1.0)) == "too_long"
    assert _rejection_code(video, Limits(max_file_bytes=1000)) == "file_too_large"
    assert _rejection_code(video, Limits(max_pixels=320 * 240)) == "too_many_pixels"


def test_probe_that_overruns_its_time_is_refused_as_probe_timeout(
    clip: Callable[[str], Path],
) -> None:
    with pytest.raises(ProbeTimeoutError) as caught:
        inspect_upload(clip("four_three"), limits=replace(Limits(), probe_timeout_s=0.05))
    assert caught.value.code == "probe_timeout"
    assert caught.value.retryable


@pytest.mark.parametrize(
    ("suffix", "codec_args", "demuxer", "codec"),
    [
        (".mkv", ("-c:v", "libx264", "-preset", "ultrafast"), "matroska", "h264"),
        (".webm", ("-c:v", "libsvtav1", "-preset", "12"), "matroska", "av1"),
        (".ts", ("-c:v", "mpeg2video"), "mpegts", "mpeg2video"),
        (".avi", ("-c:v", "mpeg4"), "avi", "mpeg4"),
        (".flv", ("-c:v", "flv"), "flv", "flv1"),
        (".wmv", ("-c:v", "wmv2"), "asf", "wmv2"),
        (".mpg", ("-c:v", "mpeg2video"), "mpeg", "mpeg2video"),
    ],
)
def test_every_allowed_container_is_accepted_and_transcoded_with_its_demuxer(
    suffix: str,
    codec_args: tuple[str, ...],
    demuxer: str,
    codec: str,
    ffmpeg_bin: str,
    tmp_path: Path,
) -> None:
    video = tmp_path / f"upload{suffix}"
    run_ffmpeg_for_test(
        ffmpeg_bin,
        *("-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25:duration=1"),
        *codec_args,
        *("-pix_fmt", "yuv420p", str(video)),
    )
    result = inspect_upload(video)
    assert result.demuxer == demuxer
    assert result.video is not None
    assert result.video.codec == codec
    # ffmpeg opens it with that demuxer forced and encodes the ladder.
    package = transcode(video, tmp_path / "out")
    assert [(r.width, r.height) for r in package.renditions] == [(160, 120)]
