"""Real transcodes of generated clips: every rendition is probed back and checked."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import av
import ffmpeg  # type: ignore[import-untyped]  # ffmpeg-python ships no type information
import pytest

from media_pipeline import TranscodeResult, TranscodeSpec, inspect_upload, spec_for_binary
from media_pipeline.binaries import has_filter
from media_pipeline.commands import _scaled
from media_pipeline.packaging import parse_media_playlist

from .conftest import run_ffmpeg_for_test

SEGMENT_SECONDS = TranscodeSpec().segment_seconds

# clip name -> expected (width, height) of each rendition, largest first
EXPECTED_LADDERS: dict[str, list[tuple[int, int]]] = {
    "landscape_1080": [(1920, 1080), (1280, 720), (854, 480), (640, 360)],
    "hd_720": [(1280, 720), (854, 480), (640, 360)],
    "portrait": [(720, 1280), (480, 854), (360, 640)],
    "four_three": [(640, 480), (480, 360)],
    "odd_size": [(852, 480), (640, 360)],
    "rotated": [(360, 640)],
    "no_audio": [(640, 360)],
    "surround": [(640, 360)],
    "variable_rate": [(640, 360)],
    "small": [(320, 180)],
}


@pytest.mark.parametrize("name", sorted(EXPECTED_LADDERS))
def test_every_rendition_has_the_ladder_size_in_h264_without_upscaling(
    name: str, package: Callable[[str], TranscodeResult], clip: Callable[[str], Path]
) -> None:
    # Given a clip, when it is transcoded,
    result = package(name)
    source = inspect_upload(clip(name)).video
    assert source is not None
    # then each rendition file really is H.264 at the planned, even size,
    sizes = []
    for rendition in result.renditions:
        with av.open(str(result.out_dir / rendition.media_file)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            width, height = stream.codec_context.width, stream.codec_context.height
        assert (width, height) == (rendition.width, rendition.height)
        assert width % 2 == 0
        assert height % 2 == 0
        # never larger than the source as displayed, and in the same orientation.
        assert width <= source.display_width
        assert height <= source.display_height
        assert (height > width) == (source.display_height > source.display_width)
        sizes.append((width, height))
    assert sizes == EXPECTED_LADDERS[name]


@pytest.mark.parametrize("name", ["landscape_1080", "portrait", "variable_rate", "odd_size"])
def test_keyframes_fall_on_the_same_times_in_every_rendition(
    name: str,
    package: Callable[[str], TranscodeResult],
    keyframe_times: Callable[[Path], list[float]],
) -> None:
    result = package(name)
    times = [keyframe_times(result.out_dir / r.media_file) for r in result.renditions]
    assert times[0][0] == 0.0
    assert all(t == times[0] for t in times)
    # One keyframe per segment: every segment can start playback on its own.
    gaps = [b - a for a, b in zip(times[0], times[0][1:], strict=False)]
    assert all(abs(gap - SEGMENT_SECONDS) < 0.1 for gap in gaps)


@pytest.mark.parametrize("name", sorted(EXPECTED_LADDERS))
def test_media_playlists_are_complete_and_segments_within_target_duration(
    name: str, package: Callable[[str], TranscodeResult]
) -> None:
    result = package(name)
    playables = [*result.renditions, *([result.audio] if result.audio else [])]
    for rendition in playables:
        playlist_path = result.out_dir / rendition.playlist
        playlist = parse_media_playlist(playlist_path.read_text())
        media = playlist_path.parent / playlist.map_uri if playlist.map_uri else None
        assert playlist.ended
        assert playlist.playlist_type == "VOD"
        assert playlist.segments
        assert media is not None
        assert media.is_file()
        assert playlist.target_duration <= round(SEGMENT_SECONDS)
        size = media.stat().st_size
        assert playlist.map_range is not None
        previous_end = playlist.map_range.offset + playlist.map_range.length
        for segment in playlist.segments:
            assert segment.duration_s <= SEGMENT_SECONDS + 0.05
            assert round(segment.duration_s) <= playlist.target_duration
            assert segment.uri == media.name
            assert segment.byte_range is not None
            # contiguous ranges that stay inside the one media file
            assert segment.byte_range.offset == previous_end
            previous_end = segment.byte_range.offset + segment.byte_range.length
            assert previous_end <= size
        assert previous_end == size
        assert abs(playlist.duration_s - result.duration_s) < 0.1


_ATTRIBUTE = re.compile(r'([A-Z-]+)=("[^"]*"|[^,]*)')


def _stream_infs(master: str) -> list[tuple[dict[str, str], str]]:
    lines = master.splitlines()
    entries = []
    for number, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attributes = dict(_ATTRIBUTE.findall(line.split(":", 1)[1]))
            entries.append(({k: v.strip('"') for k, v in attributes.items()}, lines[number + 1]))
    return entries


@pytest.mark.parametrize("name", ["landscape_1080", "portrait", "no_audio"])
def test_master_playlist_lists_every_variant_with_required_attributes(
    name: str, package: Callable[[str], TranscodeResult]
) -> None:
    result = package(name)
    master = (result.out_dir / result.master_playlist).read_text()
    assert master.startswith("#EXTM3U\n")
    entries = _stream_infs(master)
    video = [(a, uri) for a, uri in entries if "RESOLUTION" in a]
    assert [uri for _, uri in video] == [r.playlist for r in result.renditions]
    for (attributes, uri), rendition in zip(video, result.renditions, strict=True):
        assert (result.out_dir / uri).is_file()
        assert not uri.startswith("/")
        assert attributes["RESOLUTION"] == f"{rendition.width}x{rendition.height}"
        assert re.fullmatch(r"avc1\.[0-9A-F]{6}(,mp4a\.40\.2)?", attributes["CODECS"])
        assert float(attributes["FRAME-RATE"]) > 0
        assert int(attributes["BANDWIDTH"]) >= int(attributes["AVERAGE-BANDWIDTH"]) > 0
    # No audio-only variant: VLC 3 plays none of the video when the master lists one.
    assert [(a, uri) for a, uri in entries if "RESOLUTION" not in a] == []
    if result.audio is None:
        assert "#EXT-X-MEDIA" not in master
    else:
        assert 'TYPE=AUDIO,GROUP-ID="audio"' in master
        assert 'URI="audio/index.m3u8"' in master
        assert all(a["AUDIO"] == "audio" for a, _ in video)


def test_package_is_relative_and_complete_with_poster_and_storyboard(
    package: Callable[[str], TranscodeResult],
) -> None:
    result = package("hd_720")
    on_disk = sorted(
        str(p.relative_to(result.out_dir)) for p in result.out_dir.rglob("*") if p.is_file()
    )
    assert on_disk == list(result.files)
    with av.open(str(result.out_dir / result.poster)) as container:
        poster = container.streams.video[0].codec_context
        assert (poster.width, poster.height) == (1280, 720)
    board = result.storyboard
    vtt = (result.out_dir / board.vtt).read_text()
    assert vtt.startswith("WEBVTT\n")
    cues = re.findall(
        r"(\d\d:\d\d:\d\d\.\d{3}) --> (\d\d:\d\d:\d\d\.\d{3})\n(\S+)#xywh=(\d+),(\d+),(\d+),(\d+)",
        vtt,
    )
    assert len(cues) == board.count == 2  # one thumbnail a second for a 2 s clip
    for _, _, sheet, x, y, w, h in cues:
        sheet_path = result.out_dir / "storyboard" / sheet
        with av.open(str(sheet_path)) as container:
            image = container.streams.video[0].codec_context
            assert int(x) + int(w) <= image.width
            assert int(y) + int(h) <= image.height
        assert (int(w), int(h)) == (160, 90)


def test_no_audio_source_gets_no_audio_rendition(
    package: Callable[[str], TranscodeResult],
) -> None:
    result = package("no_audio")
    assert result.audio is None
    assert not (result.out_dir / "audio").exists()


@pytest.mark.parametrize("name", ["quiet_speech", "surround"])
def test_audio_is_normalised_to_minus_16_lufs_stereo_aac(
    name: str,
    package: Callable[[str], TranscodeResult],
    clip: Callable[[str], Path],
    loudness: Callable[[Path], float],
) -> None:
    result = package(name)
    assert result.audio is not None
    audio_file = result.out_dir / result.audio.media_file
    with av.open(str(audio_file)) as container:
        stream = container.streams.audio[0].codec_context
        assert (stream.name, stream.channels, stream.sample_rate) == ("aac", 2, 48000)
    # The quiet source really was far from the target: normalisation did the work.
    if name == "quiet_speech":
        assert loudness(clip(name)) < -30
    assert abs(loudness(audio_file) - (-16.0)) <= 2.0


def test_variable_frame_rate_source_is_encoded_at_a_constant_rate(
    package: Callable[[str], TranscodeResult],
) -> None:
    result = package("variable_rate")
    rendition = result.renditions[0]
    assert rendition.frame_rate is not None
    with av.open(str(result.out_dir / rendition.media_file)) as container:
        stream = container.streams.video[0]
        times = [float(p.pts * p.time_base) for p in container.demux(stream) if p.pts is not None]
    steps = {round(b - a, 3) for a, b in zip(sorted(times), sorted(times)[1:], strict=False)}
    assert len(steps) <= 2  # one frame duration (±1 tick of rounding)
    assert abs(len(times) - float(rendition.frame_rate) * result.duration_s) <= 2


def test_video_and_audio_renditions_start_at_the_same_time(
    package: Callable[[str], TranscodeResult],
) -> None:
    # Separate audio and video outputs must not be shifted differently (B-frame delay).
    result = package("hd_720")
    assert result.audio is not None
    starts = []
    for rendition in [result.renditions[0], result.audio]:
        with av.open(str(result.out_dir / rendition.media_file)) as container:
            stream = container.streams[0]
            first = min(
                float(p.pts * p.time_base)
                for _, p in zip(range(20), container.demux(stream), strict=False)
                if p.pts is not None
            )
            starts.append(first)
    assert starts[0] == pytest.approx(starts[1], abs=0.005)


def test_hdr_source_is_tone_mapped_to_8_bit_bt709(
    package: Callable[[str], TranscodeResult], clip: Callable[[str], Path]
) -> None:
    source = inspect_upload(clip("hdr_pq")).video
    assert source is not None
    assert source.hdr_transfer == "smpte2084"
    result = package("hdr_pq")
    with av.open(str(result.out_dir / result.renditions[0].media_file)) as container:
        context = container.streams.video[0].codec_context
        # 1 = BT.709 for transfer, primaries and matrix (ISO/IEC 23091-2 code points)
        assert (context.pix_fmt, context.color_trc, context.color_primaries) == ("yuv420p", 1, 1)


def test_interlaced_source_is_deinterlaced_before_scaling(
    package: Callable[[str], TranscodeResult], clip: Callable[[str], Path]
) -> None:
    source = inspect_upload(clip("interlaced")).video
    assert source is not None
    assert source.interlaced
    result = package("interlaced")
    graph = result.argv[result.argv.index("-filter_complex") + 1]
    assert graph.index("bwdif") < graph.index("scale")
    with av.open(str(result.out_dir / result.renditions[0].media_file)) as container:
        assert container.streams.video[0].codec_context.field_order in (0, 1)  # progressive


def test_downscaled_rungs_are_resized_by_zscale_and_the_full_size_rung_passes_through(
    package: Callable[[str], TranscodeResult], ffmpeg_bin: str
) -> None:
    graph = package("landscape_1080").argv
    graph_text = graph[graph.index("-filter_complex") + 1]
    assert "scale=1920:1080:" in graph_text  # swscale: hands the frame on untouched
    resizer = "zscale" if has_filter(ffmpeg_bin, "zscale") else "scale"
    for width, _height in EXPECTED_LADDERS["landscape_1080"][1:]:
        assert re.search(rf"\b{resizer}=[^;]*\b{width}\b", graph_text), (width, graph_text)


def test_zscale_resizes_to_swscales_picture(ffmpeg_bin: str, clip: Callable[[str], Path]) -> None:
    if not has_filter(ffmpeg_bin, "zscale"):
        pytest.skip("this ffmpeg has no zscale")
    source = ffmpeg.input(str(clip("landscape_1080"))).video.filter_multi_output("split", 2)
    compared = ffmpeg.filter(
        [
            _scaled(source.stream(0), 1280, 720, "bicubic", "zscale"),
            _scaled(source.stream(1), 1280, 720, "bicubic", "swscale"),
        ],
        "ssim",
    )
    argv = ffmpeg.output(compared, "-", f="null").compile(cmd=ffmpeg_bin)
    # (A bilinear zscale scores 0.998 here: this tells the two bicubics apart from it.)
    stderr = run_ffmpeg_for_test(ffmpeg_bin, "-loglevel", "info", *argv[1:]).stderr
    match = re.search(r"All:([\d.]+)", stderr)
    assert match, stderr[-400:]
    assert float(match.group(1)) >= 0.999, stderr[-400:]


def test_a_binary_without_zscale_resizes_with_swscale(tmp_path: Path) -> None:
    fake = tmp_path / "ffmpeg"
    fake.write_text("#!/bin/sh\necho ' ... scale  V->V  Scale the input video size.'\n")
    fake.chmod(0o755)
    assert spec_for_binary(TranscodeSpec(), str(fake)).resizer == "swscale"
    assert spec_for_binary(TranscodeSpec(resizer="zscale"), str(fake)).resizer == "zscale"
