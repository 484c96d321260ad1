"""The master playlist tells players the truth (issue 23), checked from the files themselves.

Rates are measured here from the media playlists (parsed by the `m3u8` library, not by the
pipeline's own parser) and the byte ranges they give: a segment's rate is its bytes over its
EXTINF, and a video variant's peak is its video peak plus its audio rendition's peak (RFC 8216
4.3.4.2: "the largest sum of peak segment bit rates ... of any playable combination of
Renditions").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import m3u8
import pytest

from media_pipeline import TranscodeResult
from media_pipeline.packaging import BANDWIDTH_MARGIN

# Varied sources: a near-silent audio track, an A/V sync pattern whose video costs nothing
# (and which ends on a segment boundary), a 1-second 1080p clip shorter than one segment.
SOURCES = ["silent_track", "av_sync", "landscape_1080"]


@dataclass(frozen=True)
class Measured:
    peak_bps: float
    average_bps: float


def _media(path: Path) -> m3u8.M3U8:
    playlist = m3u8.load(str(path))
    assert not playlist.is_variant
    return playlist


def _measure(playlist: m3u8.M3U8) -> Measured:
    rates, total_bytes, total_s = [], 0, 0.0
    for segment in playlist.segments:
        length = int(segment.byterange.split("@")[0])
        rates.append(length * 8 / segment.duration)
        total_bytes += length
        total_s += segment.duration
    return Measured(max(rates), total_bytes * 8 / total_s)


def _check_rfc_8216(playlist: m3u8.M3U8, frame_s: float) -> None:
    assert playlist.is_endlist
    assert playlist.playlist_type == "vod"
    assert playlist.segment_map
    assert playlist.segment_map[0].byterange
    assert playlist.segments
    for segment in playlist.segments:
        # 4.3.3.1: each EXTINF, rounded to the nearest integer, at most the target duration.
        assert round(segment.duration) <= playlist.target_duration
        # No segment shorter than a video frame (a request for one 21 ms AAC frame).
        assert segment.duration >= frame_s, segment.duration


@pytest.mark.parametrize("name", SOURCES)
def test_bandwidth_is_the_measured_peak_and_average_bandwidth_the_measured_average(
    name: str, package: Callable[[str], TranscodeResult]
) -> None:
    result = package(name)
    master = m3u8.load(str(result.out_dir / result.master_playlist))
    assert master.is_variant
    frame_s = 1 / float(result.ladder.frame_rate)
    audio_media = [media for media in master.media if media.type == "AUDIO"]
    assert len(audio_media) == 1
    audio_playlist = _media(result.out_dir / audio_media[0].uri)
    _check_rfc_8216(audio_playlist, frame_s)
    audio = _measure(audio_playlist)

    assert len(master.playlists) == len(result.renditions)
    for variant in master.playlists:
        info = variant.stream_info
        assert info.resolution, "every variant is a video variant; no audio-only one"
        assert info.audio == audio_media[0].group_id
        video_playlist = _media(result.out_dir / variant.uri)
        _check_rfc_8216(video_playlist, frame_s)
        video = _measure(video_playlist)

        peak = video.peak_bps + audio.peak_bps
        # + 3: the video, audio and declared rates are each rounded up to a whole bit/s.
        assert peak <= info.bandwidth <= peak * (1 + BANDWIDTH_MARGIN) + 3, (variant.uri, peak)
        average = video.average_bps + audio.average_bps
        assert abs(info.average_bandwidth - average) <= 0.05 * average, (variant.uri, average)
        # Audio and video end together (within an AAC frame past the last video frame).
        assert (
            abs(
                sum(s.duration for s in audio_playlist.segments)
                - sum(s.duration for s in video_playlist.segments)
            )
            < 0.05
        )


def test_the_one_second_clip_lists_every_rung_best_first_with_one_whole_segment(
    package: Callable[[str], TranscodeResult],
) -> None:
    """What a player needs to force any variant of a clip shorter than a segment: each rung
    is one segment with its init, the target duration covers it, and the rungs' BANDWIDTH
    orders them as their sizes do."""
    result = package("landscape_1080")
    master = m3u8.load(str(result.out_dir / result.master_playlist))
    heights = [variant.stream_info.resolution[1] for variant in master.playlists]
    assert heights == sorted(heights, reverse=True)
    assert len(heights) >= 2
    bandwidths = [variant.stream_info.bandwidth for variant in master.playlists]
    assert bandwidths == sorted(bandwidths, reverse=True)
    for variant in master.playlists:
        playlist = _media(result.out_dir / variant.uri)
        assert len(playlist.segments) == 1
        assert playlist.target_duration >= round(playlist.segments[0].duration) >= 1
