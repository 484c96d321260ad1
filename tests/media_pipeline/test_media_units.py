"""Pure parts: ladder arithmetic, byte sniffing, playlists, messages."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from media_pipeline import (
    REJECTION_CODES,
    REJECTION_MESSAGES,
    EncoderSpec,
    TranscodeSpec,
    build_ladder,
)
from media_pipeline.commands import ladder_threads
from media_pipeline.ladder import output_frame_rate
from media_pipeline.packaging import (
    AudioEntry,
    PackagingError,
    VariantEntry,
    parse_media_playlist,
    render_master_playlist,
)
from media_pipeline.probe import AudioStreamInfo, ProbeResult, VideoStreamInfo
from media_pipeline.reasons import rejection_reason
from media_pipeline.sniff import SniffedKind, sniff_bytes


def _probe(width: int, height: int, rotation: int = 0, fps: float = 30.0) -> ProbeResult:
    display = (height, width) if rotation % 180 else (width, height)
    video = VideoStreamInfo(
        index=0,
        codec="h264",
        profile="High",
        coded_width=width,
        coded_height=height,
        display_width=display[0],
        display_height=display[1],
        rotation=rotation,
        sample_aspect_ratio=Fraction(1),
        frame_rate=fps,
        frame_rate_fraction=Fraction(fps).limit_denominator(1001),
        pix_fmt="yuv420p",
        interlaced=False,
        color_transfer=None,
        hdr_transfer=None,
        bit_rate=None,
        attached_pic=False,
        decodable=True,
        decode_error=None,
    )
    audio = AudioStreamInfo(1, "aac", 2, "stereo", 48000, None, True)
    return ProbeResult(
        path="x.mp4",
        format_name="mov,mp4,m4a,3gp,3g2,mj2",
        format_long_name="QuickTime / MOV",
        duration_s=60.0,
        size_bytes=1000,
        bit_rate=None,
        start_time_s=0.0,
        stream_count=2,
        video_streams=(video,),
        audio_streams=(audio,),
        truncated=False,
        problem=None,
    )


@given(
    width=st.integers(min_value=16, max_value=8192),
    height=st.integers(min_value=16, max_value=8192),
    rotation=st.sampled_from([0, 90, 180, -90]),
)
def test_ladder_is_even_never_upscaled_and_keeps_orientation(
    width: int, height: int, rotation: int
) -> None:
    probe = _probe(width, height, rotation)
    video = probe.video
    assert video is not None
    ladder = build_ladder(probe)
    short = min(video.display_width, video.display_height)
    for rung in ladder.rungs:
        assert rung.width % 2 == 0
        assert rung.height % 2 == 0
        assert rung.width <= video.display_width
        assert rung.height <= video.display_height
        if rung.width != rung.height:  # rounding to even may square a near-square source
            assert (rung.height > rung.width) == (video.display_height > video.display_width)
        assert 0 < rung.max_kbps <= rung.bufsize_kbps
    sides = [rung.short_side for rung in ladder.rungs]
    assert sides == sorted(sides, reverse=True)
    assert len(set(sides)) == len(sides)
    expected = [s for s in (1080, 720, 480, 360) if s <= short] or [short - short % 2]
    assert sides == expected


def test_ladder_of_a_portrait_phone_video_maps_short_side_to_width() -> None:
    ladder = build_ladder(_probe(1920, 1080, rotation=90))
    assert [(r.width, r.height) for r in ladder.rungs] == [
        (1080, 1920),
        (720, 1280),
        (480, 854),
        (360, 640),
    ]
    assert ladder.gop_frames == 120
    assert ladder.segment_seconds == 4.0


def test_non_16_9_rungs_get_caps_scaled_by_their_pixels() -> None:
    wide, square = build_ladder(_probe(1920, 1080)), build_ladder(_probe(1080, 1080))
    assert square.rungs[0].max_kbps < wide.rungs[0].max_kbps


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (29.97, Fraction(30000, 1001)),
        (29.83, Fraction(30000, 1001)),
        (25.0, Fraction(25)),
        (120.0, Fraction(60)),
        (240.0, Fraction(60)),
        (0.0, Fraction(30)),
        (12.5, Fraction(25, 2)),
    ],
)
def test_output_frame_rate_is_standard_and_at_most_60(source: float, expected: Fraction) -> None:
    assert output_frame_rate(source, None, TranscodeSpec().max_frame_rate) == expected


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"", SniffedKind.EMPTY),
        (b"\xef\xbb\xbf#EXTM3U\n#EXTINF:2,\nseg.ts\n", SniffedKind.PLAYLIST),
        (b"  ffconcat version 1.0\nfile a.mp4\n", SniffedKind.PLAYLIST),
        (b"file '/etc/passwd'\n", SniffedKind.PLAYLIST),
        (b'<?xml version="1.0"?><MPD>', SniffedKind.PLAYLIST),
        (b"see https://example.com/video.mp4 for the lecture", SniffedKind.PLAYLIST),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", SniffedKind.IMAGE),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", SniffedKind.IMAGE),
        (b"hello, these are my notes\n", SniffedKind.TEXT),
        (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", SniffedKind.CONTAINER),
        (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01", SniffedKind.CONTAINER),
        (b"RIFF\x00\x00\x00\x00AVI LIST", SniffedKind.CONTAINER),
        (bytes([0x47] + [0] * 187) * 4, SniffedKind.CONTAINER),
        (bytes(range(256)) * 4, SniffedKind.UNKNOWN),
    ],
)
def test_sniffing_classifies_the_first_bytes(head: bytes, kind: SniffedKind) -> None:
    assert sniff_bytes(head) is kind


def test_every_rejection_code_has_a_reason_that_formats() -> None:
    assert set(REJECTION_MESSAGES) == REJECTION_CODES
    for code in REJECTION_CODES:
        reason = rejection_reason(code, {})  # even without its parameters
        assert reason
        assert "{" not in reason


def test_master_playlist_adds_audio_to_each_variant_bandwidth() -> None:
    master = render_master_playlist(
        [
            VariantEntry(
                "720p/index.m3u8", 2_000_000, 1_500_000, "avc1.64001F", 1280, 720, Fraction(30)
            )
        ],
        AudioEntry("audio/index.m3u8", 130_000, 128_000, "mp4a.40.2", 2),
    )
    assert (
        # 2 130 000 measured, plus the stated 2 % margin.
        "#EXT-X-STREAM-INF:BANDWIDTH=2172600,AVERAGE-BANDWIDTH=1628000,"
        'CODECS="avc1.64001F,mp4a.40.2",RESOLUTION=1280x720,FRAME-RATE=30.000,AUDIO="audio"'
    ) in master
    assert master.rstrip().endswith("720p/index.m3u8")  # no audio-only variant


def test_media_playlist_parser_reads_byte_ranges_and_rejects_garbage() -> None:
    playlist = parse_media_playlist(
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        '#EXT-X-MAP:URI="media.mp4",BYTERANGE="800@0"\n'
        "#EXTINF:4.0,\n#EXT-X-BYTERANGE:1000@800\nmedia.mp4\n"
        "#EXTINF:2.5,\n#EXT-X-BYTERANGE:500\nmedia.mp4\n#EXT-X-ENDLIST\n"
    )
    assert playlist.ended
    assert playlist.duration_s == 6.5
    ranges = [segment.byte_range for segment in playlist.segments]
    assert [(r.offset, r.length) for r in ranges if r] == [(800, 1000), (1800, 500)]
    with pytest.raises(PackagingError):
        parse_media_playlist("not a playlist")


@pytest.mark.parametrize(
    ("cpus", "expected"),
    [
        (1, {"1080p": 1, "720p": 1, "480p": 1, "360p": 1}),
        (2, {"1080p": 2, "720p": 1, "480p": 1, "360p": 1}),
        (16, {"1080p": 14, "720p": 7, "480p": 3, "360p": 2}),
    ],
)
def test_ladder_threads_share_the_cpus_by_pixel_count(cpus: int, expected: dict[str, int]) -> None:
    spec = TranscodeSpec(cpu_count=cpus)
    assert ladder_threads(build_ladder(_probe(1920, 1080), spec), spec) == expected


def test_ladder_threads_of_a_single_rung_are_what_x264_would_choose() -> None:
    spec = TranscodeSpec(cpu_count=4)
    assert ladder_threads(build_ladder(_probe(320, 180), spec), spec) == {"180p": 6}


def test_explicit_encoder_threads_apply_to_every_rung() -> None:
    spec = TranscodeSpec(encoder=EncoderSpec(threads=3), cpu_count=16)
    assert set(ladder_threads(build_ladder(_probe(1280, 720), spec), spec).values()) == {3}
