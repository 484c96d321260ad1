"""Choose the renditions for a source: on the display's short side, never upscaled."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from media_pipeline.probe import ProbeResult
from media_pipeline.spec import RungCap, TranscodeSpec

_STANDARD_RATES: tuple[Fraction, ...] = (
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(30),
    Fraction(48),
    Fraction(50),
    Fraction(60000, 1001),
    Fraction(60),
)
_FALLBACK_RATE = Fraction(30)


@dataclass(frozen=True)
class Rung:
    name: str  # "1080p", "720p", ...; also the directory name
    width: int
    height: int
    max_kbps: int
    bufsize_kbps: int

    @property
    def short_side(self) -> int:
        return min(self.width, self.height)


@dataclass(frozen=True)
class AudioRendition:
    name: str
    bitrate_kbps: int
    sample_rate: int
    channels: int
    source_index: int


@dataclass(frozen=True)
class Ladder:
    rungs: tuple[Rung, ...]  # largest first
    audio: AudioRendition | None
    frame_rate: Fraction
    gop_frames: int
    segment_seconds: float
    source_width: int
    source_height: int
    hdr_transfer: str | None
    deinterlace: bool

    @property
    def top(self) -> Rung:
        return self.rungs[0]


def _even_floor(value: float) -> int:
    return max(2, int(value) // 2 * 2)


def _even_round(value: float) -> int:
    return max(2, round(value / 2.0) * 2)


def output_frame_rate(source: float, source_fraction: Fraction | None, maximum: float) -> Fraction:
    """A constant output rate: the source's, snapped to a standard rate when it is within 1 %
    of one (variable-rate phone and screen recordings average e.g. 29.83), and halved until
    it is at most ``maximum``."""
    if source <= 0:
        return _FALLBACK_RATE
    rate = source_fraction if source_fraction is not None else Fraction(source)
    rate = rate.limit_denominator(1001)
    nearest = min(_STANDARD_RATES, key=lambda std: abs(float(std) - float(rate)))
    if abs(float(nearest) - float(rate)) <= 0.01 * float(nearest):
        rate = nearest
    while float(rate) > maximum + 1e-6:
        rate /= 2
    return rate


def _cap_for(short_side: int, width: int, height: int, caps: tuple[RungCap, ...]) -> int:
    """Scale the 16:9 cap of the nearest rung by the real pixel count (4:3, portrait, odd)."""
    by_side = sorted(caps, key=lambda cap: cap.short_side)
    cap = next((c for c in by_side if c.short_side >= short_side), by_side[-1])
    reference_pixels = cap.short_side * _even_round(cap.short_side * 16 / 9)
    scaled = cap.max_kbps * (width * height) / reference_pixels
    # Keep the rate sane for very wide/tall pictures and tiny sources.
    return round(min(max(scaled, cap.max_kbps * 0.4), cap.max_kbps * 1.5))


def build_ladder(result: ProbeResult, spec: TranscodeSpec | None = None) -> Ladder:
    """The renditions for ``result``: every rung whose short side fits in the source's.

    The short side maps to the rung's height for landscape and to its width for portrait,
    so a 1080×1920 phone video gets 1080×1920, 720×1280, ... Sources smaller than the
    smallest rung get one rung at their own (even) size.
    """
    spec = spec or TranscodeSpec()
    video = result.video
    if video is None:
        raise ValueError("a ladder needs a video stream")
    src_w, src_h = video.display_width, video.display_height
    short, long_ = min(src_w, src_h), max(src_w, src_h)
    portrait = src_h > src_w
    sides = sorted({cap.short_side for cap in spec.caps}, reverse=True)
    rungs: list[Rung] = []
    for side in sides:
        if side > short:
            continue  # never upscale
        other = min(_even_round(long_ * side / short), _even_floor(long_))
        width, height = (side, other) if portrait else (other, side)
        rungs.append(_rung(f"{side}p", width, height, side, spec))
    if not rungs:
        width, height = _even_floor(src_w), _even_floor(src_h)
        side = min(width, height)
        rungs.append(_rung(f"{side}p", width, height, side, spec))
    audio_info = result.audio
    audio = (
        AudioRendition(
            name="audio",
            bitrate_kbps=spec.audio_bitrate_kbps,
            sample_rate=spec.audio_sample_rate,
            channels=2,
            source_index=audio_info.index,
        )
        if audio_info is not None
        else None
    )
    rate = output_frame_rate(video.frame_rate, video.frame_rate_fraction, spec.max_frame_rate)
    return Ladder(
        rungs=tuple(rungs),
        audio=audio,
        frame_rate=rate,
        gop_frames=max(1, round(float(rate) * spec.segment_seconds)),
        segment_seconds=spec.segment_seconds,
        source_width=src_w,
        source_height=src_h,
        hdr_transfer=video.hdr_transfer,
        deinterlace=video.interlaced,
    )


def _rung(name: str, width: int, height: int, side: int, spec: TranscodeSpec) -> Rung:
    cap = _cap_for(side, width, height, spec.caps)
    return Rung(
        name=name,
        width=width,
        height=height,
        max_kbps=cap,
        bufsize_kbps=int(cap * spec.encoder.bufsize_factor),
    )
