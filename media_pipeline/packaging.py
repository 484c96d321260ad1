"""HLS packaging done in Python: parse what ffmpeg wrote, measure it, and write the master
playlist and the storyboard WebVTT track.

ffmpeg's own ``-master_pl_name`` omits AVERAGE-BANDWIDTH and FRAME-RATE, computes BANDWIDTH
before the encode is done, and knows nothing of a separate audio rendition written by
another output, so the master playlist is written here from the finished files.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from media_pipeline.commands import StoryboardPlan
from media_pipeline.errors import MediaPipelineError

HLS_VERSION = 7  # fMP4 segments (EXT-X-MAP in a media playlist) need version 6+; 7 for VOD


class PackagingError(MediaPipelineError):
    """A playlist or media file written by ffmpeg is not what the packager expects."""

    code = "packaging_failed"


@dataclass(frozen=True)
class ByteRange:
    length: int
    offset: int


@dataclass(frozen=True)
class Segment:
    duration_s: float
    uri: str
    byte_range: ByteRange | None


@dataclass(frozen=True)
class MediaPlaylist:
    version: int
    target_duration: int
    playlist_type: str | None
    map_uri: str | None
    map_range: ByteRange | None
    segments: tuple[Segment, ...]
    ended: bool
    independent_segments: bool = False

    @property
    def duration_s(self) -> float:
        return sum(segment.duration_s for segment in self.segments)


_ATTR = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')


def _attributes(text: str) -> dict[str, str]:
    return {key: value.strip('"') for key, value in _ATTR.findall(text)}


def _byte_range(text: str, previous_end: int | None) -> ByteRange:
    length_text, _, offset_text = text.partition("@")
    if offset_text:
        offset = int(offset_text)
    elif previous_end is not None:
        offset = previous_end
    else:
        raise PackagingError("EXT-X-BYTERANGE without an offset at the first segment")
    return ByteRange(length=int(length_text), offset=offset)


def parse_media_playlist(text: str) -> MediaPlaylist:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise PackagingError("not an M3U8 playlist")
    version = 1
    target = -1
    playlist_type: str | None = None
    map_uri: str | None = None
    map_range: ByteRange | None = None
    segments: list[Segment] = []
    pending_duration: float | None = None
    pending_range: ByteRange | None = None
    previous_end: int | None = None
    ended = False
    independent = False
    for line in lines[1:]:
        tag, _, value = line.partition(":")
        if tag == "#EXT-X-VERSION":
            version = int(value)
        elif tag == "#EXT-X-TARGETDURATION":
            target = int(value)
        elif tag == "#EXT-X-PLAYLIST-TYPE":
            playlist_type = value
        elif tag == "#EXT-X-MAP":
            attrs = _attributes(value)
            map_uri = attrs.get("URI")
            if "BYTERANGE" in attrs:
                map_range = _byte_range(attrs["BYTERANGE"], None)
        elif tag == "#EXTINF":
            pending_duration = float(value.split(",", 1)[0])
        elif tag == "#EXT-X-BYTERANGE":
            pending_range = _byte_range(value, previous_end)
            previous_end = pending_range.offset + pending_range.length
        elif tag == "#EXT-X-ENDLIST":
            ended = True
        elif tag == "#EXT-X-INDEPENDENT-SEGMENTS":
            independent = True
        elif not line.startswith("#"):
            if pending_duration is None:
                raise PackagingError(f"segment {line!r} without #EXTINF")
            segments.append(Segment(pending_duration, line, pending_range))
            pending_duration, pending_range = None, None
    if target < 0:
        raise PackagingError("missing #EXT-X-TARGETDURATION")
    return MediaPlaylist(
        version=version,
        target_duration=target,
        playlist_type=playlist_type,
        map_uri=map_uri,
        map_range=map_range,
        segments=tuple(segments),
        ended=ended,
        independent_segments=independent,
    )


def _range_text(byte_range: ByteRange) -> str:
    return f"{byte_range.length}@{byte_range.offset}"


def render_media_playlist(playlist: MediaPlaylist) -> str:
    """A single-file fMP4 VOD media playlist, as ffmpeg writes them (media sequence 0)."""
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{playlist.version}",
        f"#EXT-X-TARGETDURATION:{playlist.target_duration}",
        "#EXT-X-MEDIA-SEQUENCE:0",
    ]
    if playlist.playlist_type:
        lines.append(f"#EXT-X-PLAYLIST-TYPE:{playlist.playlist_type}")
    if playlist.independent_segments:
        lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    if playlist.map_uri is not None:
        map_range = f',BYTERANGE="{_range_text(playlist.map_range)}"' if playlist.map_range else ""
        lines.append(f'#EXT-X-MAP:URI="{playlist.map_uri}"{map_range}')
    for segment in playlist.segments:
        lines.append(f"#EXTINF:{segment.duration_s:.6f},")
        if segment.byte_range is not None:
            lines.append(f"#EXT-X-BYTERANGE:{_range_text(segment.byte_range)}")
        lines.append(segment.uri)
    if playlist.ended:
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def fold_short_tail(playlist: MediaPlaylist, shortest_s: float) -> MediaPlaylist:
    """The playlist with a last segment shorter than ``shortest_s`` merged into the one before.

    ffmpeg cuts the audio at the first whole AAC frame after each segment boundary, so a
    source ending on a boundary leaves one 21 ms frame as a segment of its own: a request
    per frame, and (its fragment header weighing as much as the frame) the highest bit rate
    of the rendition. A segment may hold several fragments, and the ranges are contiguous in
    the one file, so the two become one range.
    """
    segments = playlist.segments
    if len(segments) < 2 or segments[-1].duration_s >= shortest_s:
        return playlist
    before, tail = segments[-2], segments[-1]
    if (
        before.uri != tail.uri
        or before.byte_range is None
        or tail.byte_range is None
        or before.byte_range.offset + before.byte_range.length != tail.byte_range.offset
    ):
        return playlist
    merged = Segment(
        duration_s=before.duration_s + tail.duration_s,
        uri=before.uri,
        byte_range=ByteRange(
            length=before.byte_range.length + tail.byte_range.length,
            offset=before.byte_range.offset,
        ),
    )
    return replace(
        playlist,
        segments=(*segments[:-2], merged),
        # RFC 8216 4.3.3.1: every EXTINF, rounded to the nearest integer, <= the target.
        target_duration=max(playlist.target_duration, round(merged.duration_s)),
    )


@dataclass(frozen=True)
class RenditionStats:
    size_bytes: int
    duration_s: float
    segment_count: int
    #: Largest segment bit rate (BANDWIDTH), and the whole rendition's (AVERAGE-BANDWIDTH).
    peak_bps: int
    average_bps: int


def measure_rendition(playlist: MediaPlaylist, media_file: Path) -> RenditionStats:
    """Bit rates from the segments' byte ranges, checked against the file they point into.

    Both are media-segment rates (RFC 8216 4.3.4.2): the init segment is fetched once per
    rendition and is no part of them. Counting it overstated the average of a near-silent
    audio track, whose segments are as small as the init segment.
    """
    file_size = media_file.stat().st_size
    total = 0
    peak = 0.0
    for segment in playlist.segments:
        if segment.byte_range is None:
            raise PackagingError("expected single-file playlists with byte ranges")
        end = segment.byte_range.offset + segment.byte_range.length
        if end > file_size:
            raise PackagingError(f"segment range ends at {end}, past the file ({file_size})")
        total += segment.byte_range.length
        if segment.duration_s > 0:
            peak = max(peak, segment.byte_range.length * 8 / segment.duration_s)
    duration = playlist.duration_s
    average = total * 8 / duration if duration > 0 else 0.0
    return RenditionStats(
        size_bytes=file_size,
        duration_s=duration,
        segment_count=len(playlist.segments),
        peak_bps=math.ceil(peak),
        average_bps=math.ceil(average),
    )


def _find_box_payload(data: bytes, box: bytes) -> bytes:
    at = data.find(box)
    if at < 4:
        raise PackagingError(f"no {box.decode()} box in the init segment")
    size = int.from_bytes(data[at - 4 : at], "big")
    return data[at + 4 : at - 4 + size]


def avc_codec_string(init_segment: bytes) -> str:
    """RFC 6381 ``avc1.PPCCLL`` from the avcC box (profile, constraint flags, level)."""
    avcc = _find_box_payload(init_segment, b"avcC")
    if len(avcc) < 4:
        raise PackagingError("short avcC box")
    return f"avc1.{avcc[1]:02X}{avcc[2]:02X}{avcc[3]:02X}"


def _descriptor(data: bytes, at: int) -> tuple[int, int, int]:
    """(tag, payload start, payload length) of an MPEG-4 descriptor."""
    tag = data[at]
    at += 1
    length = 0
    for _ in range(4):
        byte = data[at]
        at += 1
        length = (length << 7) | (byte & 0x7F)
        if not byte & 0x80:
            break
    return tag, at, length


def aac_codec_string(init_segment: bytes) -> str:
    """``mp4a.40.N``: N is the audio object type in the esds decoder-specific info."""
    esds = _find_box_payload(init_segment, b"esds")[4:]  # skip version and flags
    tag, at, _ = _descriptor(esds, 0)
    if tag != 0x03:
        raise PackagingError("esds without an ES descriptor")
    flags = esds[at + 2]
    at += 3
    if flags & 0x80:
        at += 2
    if flags & 0x40:
        at += 1 + esds[at]
    if flags & 0x20:
        at += 2
    tag, at, _ = _descriptor(esds, at)
    if tag != 0x04:
        raise PackagingError("esds without a decoder config descriptor")
    object_type_indication = esds[at]
    at += 13
    tag, at, _ = _descriptor(esds, at)
    if tag != 0x05:
        return f"mp4a.{object_type_indication:02X}"
    audio_object_type = esds[at] >> 3
    return f"mp4a.{object_type_indication:02X}.{audio_object_type}"


def read_init_segment(playlist: MediaPlaylist, directory: Path) -> bytes:
    if playlist.map_uri is None:
        raise PackagingError("fMP4 playlist without EXT-X-MAP")
    path = directory / playlist.map_uri
    with path.open("rb") as handle:
        if playlist.map_range is None:
            return handle.read(1024 * 1024)
        handle.seek(playlist.map_range.offset)
        return handle.read(playlist.map_range.length)


@dataclass(frozen=True)
class VariantEntry:
    uri: str
    bandwidth: int
    average_bandwidth: int
    codecs: str
    width: int
    height: int
    frame_rate: Fraction


@dataclass(frozen=True)
class AudioEntry:
    uri: str
    bandwidth: int
    average_bandwidth: int
    codecs: str
    channels: int
    group_id: str = "audio"
    name: str = "Audio"
    language: str | None = None


#: BANDWIDTH is the measured peak plus this share: room for a player that measures a segment's
#: rate a little differently (HTTP overhead, rounding), small enough that ABR is not misled.
BANDWIDTH_MARGIN = 0.02


def declared_bandwidth(peak_bps: int) -> int:
    return math.ceil(peak_bps * (1 + BANDWIDTH_MARGIN))


def render_master_playlist(variants: Sequence[VariantEntry], audio: AudioEntry | None) -> str:
    """Master playlist: video variants (best first) that all share one audio rendition.

    With separate audio, a variant's BANDWIDTH is the largest sum of peak segment bit rates
    of the renditions it plays together (RFC 8216 4.3.4.2), so the audio's rates are added
    to each video variant's.

    The audio rendition is not listed again as an audio-only variant: VLC 3 ends playback
    of every variant early when one is there, and hls.js, the platform's player, plays the
    audio rendition's own playlist for "audio only".
    """
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    if audio is not None:
        language = f',LANGUAGE="{audio.language}"' if audio.language else ""
        lines.append(
            f'#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="{audio.group_id}",NAME="{audio.name}"'
            f'{language},DEFAULT=YES,AUTOSELECT=YES,CHANNELS="{audio.channels}",'
            f'URI="{audio.uri}"'
        )
    for variant in variants:
        peak = variant.bandwidth + (audio.bandwidth if audio else 0)
        average = variant.average_bandwidth + (audio.average_bandwidth if audio else 0)
        codecs = f"{variant.codecs},{audio.codecs}" if audio else variant.codecs
        group = f',AUDIO="{audio.group_id}"' if audio else ""
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={declared_bandwidth(peak)},AVERAGE-BANDWIDTH={average},"
            f'CODECS="{codecs}",RESOLUTION={variant.width}x{variant.height},'
            f"FRAME-RATE={float(variant.frame_rate):.3f}{group}"
        )
        lines.append(variant.uri)
    return "\n".join(lines) + "\n"


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def render_storyboard_vtt(
    plan: StoryboardPlan, duration_s: float, sheet_names: Sequence[str]
) -> str:
    """One cue per thumbnail: ``sprite_001.jpg#xywh=x,y,w,h`` (Media Fragments URI)."""
    lines = ["WEBVTT", ""]
    count = min(plan.count, len(sheet_names) * plan.per_sheet)
    for number in range(count):
        start = number * plan.interval_s
        end = min((number + 1) * plan.interval_s, duration_s)
        if end <= start:
            break
        sheet, cell = divmod(number, plan.per_sheet)
        row, column = divmod(cell, plan.columns)
        x, y = column * plan.thumb_width, row * plan.thumb_height
        lines.append(f"{_vtt_time(start)} --> {_vtt_time(end)}")
        lines.append(f"{sheet_names[sheet]}#xywh={x},{y},{plan.thumb_width},{plan.thumb_height}")
        lines.append("")
    return "\n".join(lines)
