"""Caption files: decode (UTF-8 with or without BOM, CP949), parse SRT or WebVTT, validate the
timing, and write clean WebVTT. Pure functions; no models."""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

MAX_CAPTION_BYTES = 2 * 1024 * 1024
MAX_CUES = 20_000

_TIME = r"(?:(\d{1,3}):)?(\d{1,2}):(\d{2})[.,](\d{1,3})"
_CUE_TIMING = re.compile(rf"^\s*{_TIME}\s*-->\s*{_TIME}(?:\s+.*)?$")


class CaptionError(ValueError):
    """A caption file we cannot accept; `code` is stable, the message says what to fix."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    text: str


def decode_caption_bytes(data: bytes) -> str:
    """UTF-8 (BOM or not) first; Korean files made on Windows are often CP949 (EUC-KR)."""
    if len(data) > MAX_CAPTION_BYTES:
        raise CaptionError(_("The caption file is larger than 2 MB."), code="caption_too_large")
    if not data.strip():
        raise CaptionError(_("The caption file is empty."), code="caption_empty")
    if b"\x00" in data[:4096]:
        # UTF-16 files and binaries both carry NULs; we ask for UTF-8 or CP949.
        raise CaptionError(
            _("The caption file is not text in UTF-8 or CP949 (EUC-KR)."), code="caption_encoding"
        )
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise CaptionError(
        _("The caption file is not text in UTF-8 or CP949 (EUC-KR)."), code="caption_encoding"
    )


def _seconds(h: str | None, m: str, s: str, frac: str) -> float:
    if int(m) > 59 or int(s) > 59:
        raise ValueError("minutes or seconds above 59")
    millis = ((int(h or 0) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0"))
    return millis / 1000


def parse_captions(text: str) -> list[Cue]:
    """Parse SRT or WebVTT into cues; raise CaptionError naming the first bad line."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cues: list[Cue] = []
    i = 0
    if lines and lines[0].startswith("WEBVTT"):
        i = 1
    while i < len(lines):
        line = lines[i]
        match = _CUE_TIMING.match(line)
        if not match:
            i += 1
            continue
        try:
            start = _seconds(*match.groups()[:4])
            end = _seconds(*match.groups()[4:])
        except ValueError as exc:
            raise CaptionError(
                _("Line %(n)s: the time “%(line)s” is not valid.")
                % {"n": i + 1, "line": line.strip()},
                code="caption_timing",
            ) from exc
        if end <= start:
            raise CaptionError(
                _("Line %(n)s: the caption ends before it starts (%(line)s).")
                % {"n": i + 1, "line": line.strip()},
                code="caption_timing",
            )
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            if _CUE_TIMING.match(lines[i]):
                break
            body.append(lines[i].strip())
            i += 1
        cues.append(Cue(start, end, "\n".join(body)))
        if len(cues) > MAX_CUES:
            raise CaptionError(_("The caption file has too many cues."), code="caption_too_large")
    if not cues:
        # A line that looks like a timing but does not parse is the usual cause.
        for n, line in enumerate(lines, start=1):
            if "-->" in line:
                raise CaptionError(
                    _("Line %(n)s: the time “%(line)s” is not valid.")
                    % {"n": n, "line": line.strip()},
                    code="caption_timing",
                )
        raise CaptionError(
            _("No captions found: upload an SRT or WebVTT file."), code="caption_no_cues"
        )
    return cues


def validate_against_duration(cues: list[Cue], duration: float, *, slack: float = 1.0) -> None:
    if duration <= 0:
        return
    for cue in cues:
        if cue.start > duration + slack:
            raise CaptionError(
                _("A caption starts at %(start)s, after the end of the video (%(end)s).")
                % {"start": format_time(cue.start), "end": format_time(duration)},
                code="caption_beyond_duration",
            )


def format_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    h, rest = divmod(millis, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"


def to_webvtt(cues: list[Cue]) -> str:
    # Cue text is escaped minimally: "-->" inside text would end the cue line in players.
    blocks = [
        f"{format_time(c.start)} --> {format_time(c.end)}\n{c.text.replace('-->', '→')}"
        for c in cues
    ]
    return "WEBVTT\n\n" + "\n\n".join(blocks) + "\n"


def convert_to_webvtt(data: bytes, *, duration: float = 0) -> tuple[str, int]:
    """Bytes of an SRT or WebVTT file in UTF-8 or CP949 → (WebVTT text, cue count)."""
    cues = parse_captions(decode_caption_bytes(data))
    validate_against_duration(cues, duration)
    return to_webvtt(cues), len(cues)
