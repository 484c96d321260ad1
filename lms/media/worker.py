"""The transcode worker: one attempt of a job, from the lease to its end.

Takes a queued job under a fresh lease, copies the original into a private temp dir, encodes
the ladder with `media_pipeline` (progress, ETA and the lease written every few seconds),
uploads the package in parallel, and hands the outcome to `jobs` (ready or failed). Failures
are classified here: a rejected file fails the job for good, a transient one (storage,
timeout) queues the next attempt.

Longer than 400 lines: one attempt is one story (lease, download, encode, upload, the
failure's kind); split, its steps would pass the lease and the job between modules.
"""

import logging
import math
import posixpath
import re
import tempfile
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from django.conf import settings
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.utils import timezone

from media_pipeline import (
    EncoderSpec,
    FfmpegCancelledError,
    FfmpegError,
    FfmpegNotFoundError,
    Limits,
    MediaRejectedError,
    PackagingError,
    Progress,
    TranscodeResult,
    TranscodeSpec,
    transcode,
)

from . import failures
from . import storage as media_storage
from .jobs import Failure, LeaseLost, discard_unready_outputs, job_fail, job_finish_ready, lock_job
from .models import TranscodeJob, VideoAsset

log = logging.getLogger(__name__)

_WORK_DIR = re.compile(r"^job-(\d+)-")

# Share of the job's progress bar for each phase: the encode dominates the wall-clock time.
_DOWNLOAD_SPAN = (0.0, 0.05)
_TRANSCODE_SPAN = (0.05, 0.90)
_UPLOAD_SPAN = (0.90, 0.99)

State = TranscodeJob.State


class _Lease:
    """The running worker's hold on its job: heartbeats renew the lease and record progress.

    Writes are throttled to one per TRANSCODE_HEARTBEAT_SECONDS. Each write is conditional on
    the lease token and a running state; when it matches nothing the job was cancelled or taken
    over, `lost` turns true and the worker stops.
    """

    def __init__(self, job: TranscodeJob, token: str) -> None:
        self.job_id = job.pk
        self.token = token
        self.interval = float(settings.TRANSCODE_HEARTBEAT_SECONDS)
        self.lost = False
        self.progress = 0.0
        self.eta: int | None = None
        self._last_write = time.monotonic()

    def _write(self, **fields: Any) -> bool:
        now = timezone.now()
        updated = TranscodeJob.objects.filter(
            pk=self.job_id, lease_token=self.token, state__in=TranscodeJob.RUNNING_STATES
        ).update(
            lease_expires_at=now + timedelta(seconds=settings.TRANSCODE_LEASE_SECONDS),
            updated_at=now,
            progress=self.progress,
            eta_seconds=self.eta,
            **fields,
        )
        self._last_write = time.monotonic()
        if not updated:
            self.lost = True
        return bool(updated)

    def enter(self, state: str, *, progress: float | None = None, **fields: Any) -> None:
        """Move to the next phase now (not throttled); raises LeaseLost if it was lost."""
        if progress is not None:
            self.progress, self.eta = progress, None
        if not self._write(state=state, **fields):
            raise LeaseLost

    def try_enter(self, state: str, **fields: Any) -> bool:
        """`enter` for callbacks, which must not raise: False if the lease was lost."""
        return self._write(state=state, **fields)

    def beat(self, *, progress: float | None = None, eta: float | None = None) -> None:
        if progress is not None:
            self.progress = min(max(self.progress, progress), 0.999)
            self.eta = None if eta is None else max(0, math.ceil(eta))
        if self.lost or time.monotonic() - self._last_write < self.interval:
            return
        self._write()

    def should_stop(self) -> bool:
        self.beat()
        return self.lost


def _span(span: tuple[float, float], fraction: float) -> float:
    low, high = span
    return low + (high - low) * min(max(fraction, 0.0), 1.0)


def _is_transient_storage_error(exc: BaseException) -> bool:
    if isinstance(exc, NoCredentialsError):
        return False  # configuration, not weather
    if isinstance(exc, BotoCoreError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, ClientError):
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        code = str(exc.response.get("Error", {}).get("Code", ""))
        return status >= 500 or code in {"SlowDown", "RequestTimeout", "Throttling"}
    return False


class _SourceMissing(Exception):
    """The original upload is not in storage (deleted, or a bucket misconfigured)."""


class _StorageConflict(ConnectionError):
    """Another writer put a file in the version's prefix during our upload; try again."""


def _failure_from(exc: BaseException) -> Failure:
    if isinstance(exc, _SourceMissing):
        return Failure(failures.SOURCE_MISSING, f"missing from storage: {exc}")
    if isinstance(exc, MediaRejectedError):
        return Failure(exc.code, exc.reason, dict(exc.params), retryable=exc.retryable)
    if isinstance(exc, FfmpegError):
        return Failure(
            exc.code,
            str(exc),
            argv=list(exc.argv),
            stderr_tail=exc.stderr_tail,
            retryable=exc.retryable,
        )
    if isinstance(exc, FfmpegNotFoundError):
        return Failure(exc.code, str(exc))
    if isinstance(exc, PackagingError):
        return Failure("packaging_failed", str(exc))
    if _is_transient_storage_error(exc):
        return Failure(failures.STORAGE_UNAVAILABLE, repr(exc)[:2000], retryable=True)
    return Failure(failures.INTERNAL_ERROR, repr(exc)[:2000])


def transcode_spec() -> TranscodeSpec:
    """What the worker encodes with, from the settings (the tests make their packages with
    it too: tests/video.py)."""
    limits = Limits(
        max_duration_s=float(settings.MEDIA_MAX_DURATION_SECONDS),
        max_pixels=settings.MEDIA_MAX_PIXELS,
        max_frame_rate=float(settings.MEDIA_MAX_FRAME_RATE),
        max_streams=settings.MEDIA_MAX_STREAMS,
        max_file_bytes=settings.MEDIA_MAX_UPLOAD_BYTES,
    )
    return TranscodeSpec(encoder=EncoderSpec(preset=settings.TRANSCODE_X264_PRESET), limits=limits)


def _work_root() -> Path:
    root = Path(settings.TRANSCODE_TEMP_DIR or tempfile.gettempdir()) / "lms-transcode"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def _sweep_abandoned_work_dirs(root: Path) -> None:
    """Remove work dirs left on this machine by attempts whose worker died (SIGKILL, OOM):
    a dir belongs to a job, and only a running job still needs its dir."""
    owned: dict[int, list[Path]] = {}
    for path in root.iterdir():
        match = _WORK_DIR.match(path.name)
        if match and path.is_dir():
            owned.setdefault(int(match.group(1)), []).append(path)
    if not owned:
        return
    running = set(
        TranscodeJob.objects.filter(
            pk__in=owned, state__in=TranscodeJob.RUNNING_STATES
        ).values_list("pk", flat=True)
    )
    for job_id, paths in owned.items():
        if job_id not in running:
            for path in paths:
                media_storage.remove_tree(path)


def _job_claim(*, job_id: int, worker: str, token: str) -> TranscodeJob | None:
    """Take a queued job under a fresh lease; None if it is not queued (finished, cancelled,
    or running under another worker's lease, live or expired: the watchdog handles those)."""
    with transaction.atomic():
        try:
            job = lock_job(job_id)
        except TranscodeJob.DoesNotExist:
            log.info("transcode job %s no longer exists", job_id)
            return None
        if job.state != State.QUEUED:
            log.info(
                "transcode job %s is %s (worker %r, lease until %s); not running it again",
                job.pk,
                job.state,
                job.worker,
                job.lease_expires_at,
            )
            return None
        now = timezone.now()
        job.state = State.PROBING
        job.worker = worker[:255]
        job.lease_token = token
        job.lease_expires_at = now + timedelta(seconds=settings.TRANSCODE_LEASE_SECONDS)
        job.started_at = now
        job.progress = 0.0
        job.save(
            update_fields=[
                "state",
                "worker",
                "lease_token",
                "lease_expires_at",
                "started_at",
                "progress",
                "updated_at",
            ]
        )
        return job


def transcode_run(*, job_id: int, worker: str) -> TranscodeJob | None:
    """Run one attempt of a transcode job to its end: ready, failed or cancelled.

    Copies the original from storage into a private temp dir, probes it against the policy,
    encodes the ladder (progress, ETA and the lease are written every few seconds), uploads
    the package in parallel to `videos/<asset>/<version>/`, then in one transaction marks the
    version ready, switches the asset to it and sets the duration of its lectures.

    Safe to call twice: a job that is not queued (finished, or running under a lease) is left
    alone. A rejected file fails the job for good; a transient failure (storage, timeout)
    fails this attempt and queues the next, with backoff, up to TRANSCODE_MAX_ATTEMPTS.
    Returns the job as it ended, or None if this call did not run it.
    """
    token = uuid.uuid4().hex
    job = _job_claim(job_id=job_id, worker=worker, token=token)
    if job is None:
        return None
    lease = _Lease(job, token)
    version = job.version
    root = _work_root()
    _sweep_abandoned_work_dirs(root)
    work = Path(tempfile.mkdtemp(prefix=f"job-{job.pk}-", dir=root))
    wrote_outputs = False
    try:
        try:
            source = work / "source"
            _download_original(version.asset_id, source, lease)
            result = _encode(source, work, lease)
            lease.enter(
                State.UPLOADING,
                argv=list(result.argv),
                stderr_tail=result.stderr_tail,
                progress=_UPLOAD_SPAN[0],
            )
            wrote_outputs = True
            writer = media_storage.media_writer(default_storage)
            _upload_package(writer, result, version.storage_prefix, lease)
            return job_finish_ready(job=job, token=token, result=result)
        except (LeaseLost, FfmpegCancelledError) as exc:
            if not lease.lost and not isinstance(exc, LeaseLost):
                raise  # cancelled by something other than our lease check: a real failure
            return _after_lease_lost(job, wrote_outputs)
    except Exception as exc:
        failure = _failure_from(exc)
        if failure.code == failures.INTERNAL_ERROR:
            log.exception("transcode job %s failed unexpectedly", job.pk)
        else:
            log.warning("transcode job %s failed: %s %s", job.pk, failure.code, failure.detail)
        failed = job_fail(job=job, token=token, failure=failure)
        if wrote_outputs:
            discard_unready_outputs(version.pk)
        return failed
    finally:
        media_storage.remove_tree(work)


def _download_original(asset_id: int, destination: Path, lease: _Lease) -> None:
    """Copy the original into the work dir, renewing the lease meanwhile.

    The copy runs in a helper thread (boto3 calls progress hooks from its own threads) and
    only counts bytes there; the lease, which needs this thread's database connection, is
    renewed here. A lost lease stops the copy at its next chunk.
    """
    asset = VideoAsset.objects.get(pk=asset_id)
    total = max(asset.original_size_bytes, 1)
    copied = 0
    stop = threading.Event()

    def on_bytes(done: int) -> None:
        nonlocal copied
        copied = done
        if stop.is_set():
            raise LeaseLost

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="transcode-download") as pool:
        future = pool.submit(
            media_storage.download, default_storage, asset.original.name, destination, on_bytes
        )
        while not wait([future], timeout=lease.interval).done:
            lease.beat(progress=_span(_DOWNLOAD_SPAN, copied / total))
            if lease.lost:
                stop.set()
        try:
            future.result()
        except FileNotFoundError as exc:
            raise _SourceMissing(asset.original.name) from exc
    if lease.lost:
        raise LeaseLost


def _encode(source: Path, work: Path, lease: _Lease) -> TranscodeResult:
    def on_start(argv: tuple[str, ...]) -> None:
        # ffmpeg is running: the probe and the policy accepted the file. Its command goes on
        # record now, so an attempt whose worker is killed mid-encode still shows it. If the
        # lease was lost, should_stop() returns True and ffmpeg is stopped.
        lease.try_enter(State.TRANSCODING, argv=list(argv))

    def on_progress(progress: Progress) -> None:
        lease.beat(progress=_span(_TRANSCODE_SPAN, progress.fraction), eta=progress.eta_s)

    return transcode(
        source,
        work / "out",
        spec=transcode_spec(),
        on_progress=on_progress,
        should_cancel=lease.should_stop,
        on_start=on_start,
        ffmpeg_bin=settings.FFMPEG_BINARY,
        temp_root=work,
    )


def _upload_package(storage: Storage, result: TranscodeResult, prefix: str, lease: _Lease) -> None:
    """Upload every file of the package under `prefix`, several at a time.

    Whatever is under `prefix` first goes: it can only be the partial output of an attempt
    whose worker died (the version is not ready, so nobody plays it).
    """
    media_storage.delete_prefix(storage, prefix)
    sizes = {name: (result.out_dir / name).stat().st_size for name in result.files}
    total = max(sum(sizes.values()), 1)
    sent = 0
    started = time.monotonic()
    threads = max(1, min(settings.TRANSCODE_UPLOAD_THREADS, len(result.files)))
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="transcode-upload") as pool:
        pending: dict[Future[str], str] = {
            pool.submit(
                media_storage.upload, storage, result.out_dir / name, posixpath.join(prefix, name)
            ): name
            for name in result.files
        }
        try:
            while pending:
                done, _ = wait(pending, timeout=lease.interval, return_when=FIRST_COMPLETED)
                for future in done:
                    name = pending.pop(future)
                    expected = posixpath.join(prefix, name)
                    stored = future.result()
                    if stored != expected:
                        # Something wrote this name after we emptied the prefix.
                        storage.delete(stored)
                        raise _StorageConflict(expected)
                    sent += sizes[name]
                elapsed = time.monotonic() - started
                fraction = sent / total
                eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
                lease.beat(progress=_span(_UPLOAD_SPAN, fraction), eta=eta)
                if lease.lost:
                    raise LeaseLost
        finally:
            for future in pending:
                future.cancel()


def _after_lease_lost(job: TranscodeJob, wrote_outputs: bool) -> TranscodeJob | None:
    prefix = job.version.storage_prefix
    try:
        job.refresh_from_db()
    except TranscodeJob.DoesNotExist:
        log.info("transcode job %s was deleted while it ran", job.pk)
        if wrote_outputs:
            media_storage.delete_prefix_quietly(default_storage, prefix)
        return None
    log.info("transcode job %s stopped: it is now %s", job.pk, job.state)
    if wrote_outputs:
        discard_unready_outputs(job.version_id)
    return job
