"""Look at the first bytes of an upload before any demuxer sees it.

A playlist (HLS, ffconcat, DASH, ...) names other files or URLs; a demuxer that opens it may
read local files or reach the network. This check runs in the parent, in plain Python, so
such a file is refused before the probe child opens anything. The probe child's demuxer
allow-list is the second line of defence.
"""

from __future__ import annotations

import enum
import os
import re
from pathlib import Path

HEAD_BYTES = 64 * 1024


class SniffedKind(enum.Enum):
    EMPTY = "empty"
    PLAYLIST = "playlist"
    IMAGE = "image"
    TEXT = "text"
    CONTAINER = "container"  # starts like a video container we know
    UNKNOWN = "unknown"


# Markers at the start of the file (after an optional BOM and whitespace).
_PLAYLIST_PREFIXES: tuple[bytes, ...] = (
    b"#EXTM3U",  # HLS / m3u
    b"#EXTINF",
    b"ffconcat",  # ffmpeg concat demuxer script
    b"[playlist]",  # PLS
    b";FFMETADATA",
    b"<?xml",  # DASH MPD, SMIL, IMF CPL, XSPF, ASX...: none of them is a video
    b"<MPD",
    b"<smil",
    b"<asx",
    b"<ASX",
    b"[Reference]",  # Windows Media reference (.asx/.wax alt form)
    b"v=0",  # SDP session description (RTP streams on the network)
    b"RTSPtext",
)
# Markers that reveal a playlist wherever they are in the head of the file.
_PLAYLIST_ANYWHERE = re.compile(
    rb"#EXT-X-|#EXTINF:|^\s*file\s+['\"]?[\w./:\\-]|(?:https?|rtmpt?|rtsp|ftp|file|udp|tcp)://",
    re.MULTILINE,
)

_IMAGE_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"BM"),
    (0, b"II*\x00"),  # TIFF
    (0, b"MM\x00*"),
    (0, b"8BPS"),  # PSD
    (0, b"qoif"),
    (0, b"\x00\x00\x00\x0cjP  \r\n\x87\n"),  # JPEG 2000
    (0, b"\xff\x4f\xff\x51"),  # JPEG 2000 codestream
    (0, b"\x00\x00\x01\x00"),  # ICO
)

_CONTAINER_MAGIC: tuple[tuple[int, bytes], ...] = (
    (4, b"ftyp"),  # ISO BMFF: mp4, mov, 3gp
    (4, b"moov"),
    (4, b"mdat"),
    (4, b"wide"),
    (4, b"free"),
    (4, b"skip"),
    (0, b"\x1a\x45\xdf\xa3"),  # EBML: matroska, webm
    (0, b"FLV"),
    (0, b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"),  # ASF / WMV
    (0, b"\x00\x00\x01\xba"),  # MPEG program stream
    (0, b"G"),  # MPEG-TS sync byte (weak: confirmed below)
)


def _starts_with_image(head: bytes) -> bool:
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return True
    return any(head[offset : offset + len(magic)] == magic for offset, magic in _IMAGE_MAGIC)


def _looks_like_container(head: bytes) -> bool:
    if head[:4] == b"RIFF" and head[8:12] in (b"AVI ", b"AVIX"):
        return True
    for offset, magic in _CONTAINER_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"G":
                # MPEG-TS: a sync byte every 188 bytes.
                return len(head) >= 188 * 3 and all(head[i] == 0x47 for i in range(0, 188 * 3, 188))
            return True
    return False


def _looks_like_text(head: bytes) -> bool:
    sample = head[:4096]
    if not sample or b"\x00" in sample:
        return False
    try:
        text = sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(sample) - 4:
            return False
        text = sample[: exc.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls <= len(text) // 100


def sniff_bytes(head: bytes) -> SniffedKind:
    """Classify the head of a file. Pure function, no I/O."""
    if not head:
        return SniffedKind.EMPTY
    stripped = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if any(stripped.startswith(prefix) for prefix in _PLAYLIST_PREFIXES):
        return SniffedKind.PLAYLIST
    if _starts_with_image(head):
        return SniffedKind.IMAGE
    if _looks_like_container(head):
        # A real container can still carry a playlist marker deep inside (e.g. in metadata),
        # but a playlist never starts with a container signature, so trust the signature.
        return SniffedKind.CONTAINER
    if _PLAYLIST_ANYWHERE.search(head):
        return SniffedKind.PLAYLIST
    if _looks_like_text(head):
        return SniffedKind.TEXT
    return SniffedKind.UNKNOWN


def read_head(path: str | os.PathLike[str], size: int = HEAD_BYTES) -> bytes:
    with Path(path).open("rb") as handle:
        return handle.read(size)
