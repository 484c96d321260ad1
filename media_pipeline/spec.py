"""Typed settings of a transcode job. Frozen dataclasses: a job spec can be stored and
compared, and the same spec always builds the same command."""

from __future__ import annotations

from dataclasses import dataclass, field

from media_pipeline.policy import Limits


@dataclass(frozen=True)
class LoudnessTarget:
    """EBU R128 targets for ffmpeg's ``loudnorm`` (single pass, dynamic mode).

    -16 LUFS integrated is the level most speech platforms (and Apple's podcast guidance)
    use; lectures recorded on different microphones then play at one level.
    """

    integrated_lufs: float = -16.0
    true_peak_dbtp: float = -1.5
    loudness_range_lu: float = 11.0


@dataclass(frozen=True)
class StoryboardSpec:
    """Seek-preview thumbnails: JPEG sprite sheets plus a WebVTT track pointing into them."""

    thumb_width: int = 160
    columns: int = 10
    rows: int = 10
    #: One thumbnail per ``duration / target_count`` seconds, kept within the bounds below.
    target_count: int = 100
    min_interval_s: float = 1.0
    max_interval_s: float = 10.0
    jpeg_quality: int = 5  # ffmpeg -q:v, 2 (best) .. 31


@dataclass(frozen=True)
class RungCap:
    """Bitrate cap of one rung, stated for a 16:9 picture with that short side."""

    short_side: int
    max_kbps: int


#: Lecture-tuned caps: slides and a talking head need far less than sports or games, so
#: the caps are ~60 % of the usual web ladder (5000/2800/1400/800 kb/s). Under the cap the
#: encoder runs at constant quality (capped CRF), so easy slides use much less than the cap.
LECTURE_CAPS: tuple[RungCap, ...] = (
    RungCap(1080, 3000),
    RungCap(720, 1800),
    RungCap(480, 900),
    RungCap(360, 550),
)


@dataclass(frozen=True)
class EncoderSpec:
    preset: str = "veryfast"
    crf: int = 23
    #: x264 ``-tune`` (e.g. ``stillimage`` for pure slide decks); None = no tune.
    tune: str | None = None
    #: Extra x264 options (``-x264-params``), applied on top of the preset. Diamond motion
    #: search and one subpel pass cut x264's time by ~20 % (measured on a 1080p slide
    #: lecture with a moving camera inset: 7.0 → 5.5 CPU-s per 10 s) for +5 % bit rate and
    #: no SSIM change on slides; on a full-motion test pattern SSIM drops ~0.001 and the
    #: uncapped rungs grow ~20 %. Lectures are mostly static, so the trade is worth it.
    #: (``superfast`` costs the same time but doubles the bit rate: it drops mb-tree.)
    x264_params: str | None = "me=dia:subme=1"
    #: x264 threads for every rendition. None: in the one-process ladder the CPUs are shared
    #: out between the rungs by pixel count (``commands.ladder_threads``); a rendition
    #: encoded alone lets x264 choose (1.5 per CPU).
    threads: int | None = None
    #: VBV buffer as a multiple of the cap: 2× allows short peaks at scene (slide) changes.
    bufsize_factor: float = 2.0
    profile: str = "high"


@dataclass(frozen=True)
class TranscodeSpec:
    encoder: EncoderSpec = field(default_factory=EncoderSpec)
    caps: tuple[RungCap, ...] = LECTURE_CAPS
    #: Scale each rung from the next larger one instead of from the source: the scalers
    #: read 2–5× fewer pixels. Only one process that holds every rung can do this.
    cascade_scaling: bool = True
    #: swscale algorithm for the first downscale of the full picture (and for every rung
    #: without cascading)...
    scale_flags: str = "bicubic"
    #: ...and for a rung scaled from an already downscaled rung. Cheaper ones measured (20 s
    #: 1080p lectures; SSIM against the source scaled with bicubic, as the benchmark does):
    #: ``area`` for 480p and 360p saves ~1.5 % of the ladder's CPU, but 360p SSIM falls
    #: 0.9969 → 0.992 on the bench's slides and 0.994 → 0.9875 on a text slide (22 px code
    #: becomes visibly softer), which would also break the benchmark's "within 0.005 of the
    #: baseline"; ``area`` for 720p too saves ~4 % at 720p SSIM 0.998 → 0.996. Not worth it.
    cascade_scale_flags: str = "bicubic"
    #: Which filter resizes: ``zscale`` (libzimg), ``swscale`` (ffmpeg's ``scale``) or
    #: ``auto``: zscale when the ffmpeg binary has it (the bundled build does), else swscale.
    #: zimg's bicubic with swscale's coefficients (B=0, C=0.6) gives the same picture (bytes
    #: within 0.5 %, SSIM within 0.0001 per rung) for less work: 20 s 1080p slide lecture,
    #: two alternating pairs of 2 runs, ladder 12.43/12.52 CPU-s and 6.71/6.74 s against
    #: 13.04/13.06 CPU-s and 7.14/7.12 s (-4.4 % CPU, -5.8 % wall). A rung as large as the
    #: picture is passed through by swscale (zscale would copy it).
    resizer: str = "auto"
    #: Decoder threads and filter-graph slice threads in the one-process ladder; None = a
    #: quarter of the CPUs (``commands.decoder_threads``, ``commands.filter_threads``).
    #: With the x264 thread shares (``EncoderSpec.threads``) this is the whole speed-up of
    #: the ladder measured for issue #3, same bytes and SSIM: on 2 CPUs, 30 s slide
    #: lecture, alternating runs in a quiet spell, ladder 23.9/23.7 CPU-s and 13.1/12.8 s
    #: against 27.9/27.9 CPU-s and 15.8/15.3 s before (1.63×/1.70× faster than one process
    #: per rendition, was 1.46×/1.36×); noisier paired runs on a busy machine: -4 to -5 %.
    decoder_threads: int | None = None
    filter_threads: int | None = None
    #: CPUs the ladder may use, to share out threads between decoder and rungs; None = what
    #: this process may run on.
    cpu_count: int | None = None
    #: HLS segment length. The keyframe interval equals it, so every segment starts with
    #: an IDR frame at the same time in every rendition.
    segment_seconds: float = 4.0
    #: Higher source frame rates are halved until they fit (a 120 fps screen capture → 60).
    max_frame_rate: float = 60.0
    audio_bitrate_kbps: int = 128
    audio_sample_rate: int = 48000
    loudness: LoudnessTarget = field(default_factory=LoudnessTarget)
    storyboard: StoryboardSpec = field(default_factory=StoryboardSpec)
    poster_at: float = 0.10  # fraction of the duration
    poster_quality: int = 3
    limits: Limits = field(default_factory=Limits)
    #: Wall-clock budget: ``base + per_media_second × duration``.
    timeout_base_s: float = 120.0
    timeout_per_media_s: float = 4.0
    #: CPU budget (RLIMIT_CPU) likewise; veryfast uses ~1.3 CPU-s per media second on a
    #: hard 1080p source, medium ~2.3.
    cpu_base_s: float = 120.0
    cpu_per_media_s: float = 8.0
    #: Address space of the ffmpeg process (the veryfast ladder peaks near 0.6 GB RSS; x264
    #: threads reserve much more address space than they touch).
    memory_bytes: int = 6 * 1024**3
    #: Largest file ffmpeg may write: ``base + bytes per media second``.
    file_size_base_bytes: int = 256 * 1024**2
    file_size_per_media_s: int = 2 * 1024**2
