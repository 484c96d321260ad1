"""Writes of the media app: uploads become video assets, assets are transcoded into versions.

State changes go through one service each. Lock order everywhere: asset, then job. A running
job is owned by the worker holding its lease (`lease_token`); every write a worker makes is
conditional on still holding it, so a cancelled job or one handed to a new attempt by the
watchdog is never overwritten by a worker that lost it.
"""

import logging
import math
import posixpath
import re
import secrets
import tempfile
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, default_storage
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.catalog.models import Lecture
from lms.core.errors import AppError, Conflict
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
from .models import TranscodeJob, VideoAsset, VideoVersion

log = logging.getLogger(__name__)

UPLOAD_PREFIX = "uploads/"
_UPLOAD_KEY = re.compile(r"^uploads/[0-9a-f]{32}$")
_WORK_DIR = re.compile(r"^job-(\d+)-")

# Share of the job's progress bar for each phase: the encode dominates the wall-clock time.
_DOWNLOAD_SPAN = (0.0, 0.05)
_TRANSCODE_SPAN = (0.05, 0.90)
_UPLOAD_SPAN = (0.90, 0.99)
_RETRY_BACKOFF_MAX_SECONDS = 15 * 60

State = TranscodeJob.State


# --- uploads -------------------------------------------------------------------------------


def upload_key_new() -> str:
    """A fresh, neutral storage name for an original upload: `uploads/<uuid>`."""
    return f"{UPLOAD_PREFIX}{uuid.uuid4().hex}"


def _clean_filename(name: str) -> str:
    # Kept for people only; strip any path the browser sent and control characters.
    base = re.split(r"[\\/]", name or "")[-1]
    return "".join(ch for ch in base if ch.isprintable())[:255]


def _check_upload_size(size: int) -> None:
    if size <= 0:
        raise AppError(_("The file is empty."), code="empty_file")
    if size > settings.MEDIA_MAX_UPLOAD_BYTES:
        raise AppError(
            _("The file is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"size": f"{size:,}", "limit": f"{settings.MEDIA_MAX_UPLOAD_BYTES:,}"},
            code="file_too_large",
            extra={"size": size, "limit": settings.MEDIA_MAX_UPLOAD_BYTES},
        )


def video_asset_create_from_upload(
    *, uploaded_by: User | None, file: "File[bytes]", original_filename: str = ""
) -> VideoAsset:
    """Store `file` under a neutral name and record it as a new asset (state `uploaded`).

    For small files posted through Django; large uploads go to storage in parts and use
    `video_asset_create_from_storage_key`. Does not start a transcode: call
    `transcode_enqueue`.
    """
    size = file.size or 0
    _check_upload_size(size)
    name = default_storage.save(upload_key_new(), file)
    try:
        with transaction.atomic():
            return VideoAsset.objects.create(
                uploaded_by=uploaded_by,
                original=name,
                original_filename=_clean_filename(original_filename or file.name or ""),
                original_size_bytes=size,
            )
    except Exception:
        default_storage.delete(name)
        raise


@transaction.atomic
def video_asset_create_from_storage_key(
    *, uploaded_by: User | None, key: str, original_filename: str
) -> VideoAsset:
    """Record an upload that is already in storage at `key` (from `upload_key_new()`).

    Raises AppError `invalid_upload_key` for any other name (a client must not make the
    platform adopt arbitrary objects), `source_missing` when nothing is stored there, and
    `empty_file` / `file_too_large` for the size limits.
    """
    if not _UPLOAD_KEY.fullmatch(key):
        raise AppError(_("That is not an upload of this platform."), code="invalid_upload_key")
    try:
        size = default_storage.size(key)
    except FileNotFoundError as exc:
        raise AppError(
            str(failures.MESSAGES[failures.SOURCE_MISSING]), code=failures.SOURCE_MISSING
        ) from exc
    _check_upload_size(size)
    if VideoAsset.objects.filter(original=key).exists():
        raise Conflict(_("This upload is already recorded."), code="upload_already_recorded")
    return VideoAsset.objects.create(
        uploaded_by=uploaded_by,
        original=key,
        original_filename=_clean_filename(original_filename),
        original_size_bytes=size,
    )


@transaction.atomic
def lecture_attach_video(*, lecture: Lecture, asset: VideoAsset | None) -> Lecture:
    """Use `asset` as the lecture's video (None detaches it). A ready asset sets the
    lecture's duration now; one still processing sets it when its version is ready. The video
    it replaces is retired if no lecture uses it any more (`assets_retire_unused`)."""
    lecture = Lecture.objects.select_for_update().get(pk=lecture.pk)
    replaced = lecture.video_id
    lecture.video = asset
    fields = ["video", "updated_at"]
    if asset is not None and asset.current_version_id is not None:
        duration = VideoVersion.objects.get(pk=asset.current_version_id).duration_seconds
        if duration:
            lecture.duration_seconds = round(duration)
            fields.append("duration_seconds")
    lecture.save(update_fields=fields)
    if asset is not None:
        asset_unretire(asset)
    if replaced is not None and replaced != lecture.video_id:
        assets_retire_after_commit([replaced])
    return lecture


def asset_unretire(asset: VideoAsset) -> None:
    """A lecture uses `asset` (again): it is no longer due for deletion."""
    VideoAsset.objects.filter(pk=asset.pk, retired_at__isnull=False).update(
        retired_at=None, updated_at=timezone.now()
    )


def assets_retire_after_commit(asset_ids: list[int]) -> None:
    """`assets_retire_unused(asset_ids)` once the current transaction has committed: in a
    transaction of its own, so it takes no asset lock after the lecture locks the caller
    holds (the media services lock an asset, then its lectures)."""
    ids = list(asset_ids)
    transaction.on_commit(lambda: assets_retire_unused(ids), robust=True)


def assets_retire_unused(asset_ids: list[int], *, now: datetime | None = None) -> list[int]:
    """Retire the videos among `asset_ids` that no lecture uses any more, as its video or as
    the replacement it waits for: a lecture moved to another video. A member who loaded one
    watches on through the grace period; then `video_assets_retired_delete` deletes it with
    its original and every version, so replacing a lecture's video leaves no files behind.
    Returns the ids retired now."""
    ids = {i for i in asset_ids if i is not None}
    if not ids:
        return []
    used: set[int] = set()
    for video_id, pending_id in _lectures_using(ids).values_list("video_id", "pending_video_id"):
        used.update({video_id, pending_id})
    unused = sorted(ids - used)
    now = now or timezone.now()
    VideoAsset.objects.filter(pk__in=unused, retired_at__isnull=True).update(
        retired_at=now, updated_at=now
    )
    return unused


def _lectures_using(asset_ids: set[int]) -> QuerySet[Lecture]:
    """The lectures that play one of `asset_ids` or wait for it as their replacement."""
    return Lecture.objects.filter(Q(video_id__in=asset_ids) | Q(pending_video_id__in=asset_ids))


def _grace_cutoff(now: datetime) -> datetime:
    """Superseded versions and retired videos older than this have had their grace period."""
    return now - timedelta(hours=float(settings.MEDIA_SUPERSEDED_VERSION_GRACE_HOURS))


def video_asset_delete(*, asset: VideoAsset) -> None:
    """Delete a video, its versions, its jobs and, after commit, all its files.

    Lectures that used it lose their video (and keep their duration). A worker still encoding
    it notices at its next heartbeat and stops.
    """
    with transaction.atomic():
        asset = _lock_asset(asset.pk)
        original = asset.original.name
        prefixes = list(asset.versions.values_list("storage_prefix", flat=True))
        asset.delete()

        def delete_files() -> None:
            for prefix in prefixes:
                _delete_prefix_quietly(prefix)
            default_storage.delete(original)

        transaction.on_commit(delete_files, robust=True)


@dataclass(frozen=True)
class RetiredDeleteReport:
    deleted: list[int] = field(default_factory=list)  # ids of the videos deleted


def video_assets_retired_delete(*, now: datetime | None = None) -> RetiredDeleteReport:
    """Delete the videos retired more than MEDIA_SUPERSEDED_VERSION_GRACE_HOURS ago (a
    lecture moved to another video, see `assets_retire_unused`) that still no lecture uses:
    the rows, the original upload and every version's files. Safe to run twice or
    concurrently."""
    cutoff = _grace_cutoff(now or timezone.now())
    deleted: list[int] = []
    due = VideoAsset.objects.filter(retired_at__lt=cutoff).order_by("pk")
    for asset_id in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            asset = (
                VideoAsset.objects.select_for_update()
                .filter(pk=asset_id, retired_at__lt=cutoff)
                .first()
            )
            if asset is None:
                continue
            if _lectures_using({asset_id}).exists():
                asset_unretire(asset)  # a lecture took it again as it was being retired
                continue
            video_asset_delete(asset=asset)
        deleted.append(asset_id)
    return RetiredDeleteReport(deleted=deleted)


# --- state helpers -------------------------------------------------------------------------


def _lock_asset(asset_id: int) -> VideoAsset:
    return VideoAsset.objects.select_for_update().get(pk=asset_id)


def _lock_job(job_id: int) -> TranscodeJob:
    return (
        TranscodeJob.objects.select_for_update(of=("self",))
        .select_related("version")
        .get(pk=job_id)
    )


def _asset_sync_state(asset: VideoAsset) -> None:
    """Derive the asset's state from its current version and its latest job. Caller holds the
    asset's lock."""
    if asset.current_version_id is not None:
        state = VideoAsset.State.READY
    else:
        latest = asset.jobs.order_by("-created_at", "-pk").first()
        if latest is None:
            state = VideoAsset.State.UPLOADED
        elif latest.state in TranscodeJob.ACTIVE_STATES:
            state = VideoAsset.State.PROCESSING
        elif latest.state == State.CANCELLED:
            state = VideoAsset.State.CANCELLED
        elif latest.state == State.FAILED:
            state = VideoAsset.State.FAILED
        else:  # pragma: no cover - a ready job always has a current version
            state = VideoAsset.State.READY
    if asset.state != state:
        asset.state = state
        asset.save(update_fields=["state", "updated_at"])


def _on_commit_robust(func: Any, *args: Any, **kwargs: Any) -> None:
    """`transaction.on_commit(..., robust=True)` for a call with arguments.

    A plain `functools.partial` breaks Django 5.2's robust error logging, which reads the
    callback's `__qualname__` (a partial has none) and so raises instead of logging.
    """

    def call() -> None:
        func(*args, **kwargs)

    call.__qualname__ = getattr(func, "__qualname__", type(func).__name__)
    # What a partial would show, for logs and for tests that look at the queued call.
    call.func, call.args, call.keywords = func, args, kwargs  # type: ignore[attr-defined]
    transaction.on_commit(call, robust=True)


def _enqueue_after_commit(job: TranscodeJob, *, countdown: int = 0) -> None:
    from . import tasks  # the tasks module imports this one

    # robust: the rows are committed whatever the broker does; if this send fails (broker
    # down), the watchdog sends queued jobs again after TRANSCODE_RESEND_QUEUED_SECONDS.
    _on_commit_robust(tasks.transcode_job.apply_async, args=(job.pk,), countdown=countdown)


def _new_attempt(previous: TranscodeJob, *, requested_by: User | None) -> TranscodeJob:
    last = previous.version.jobs.aggregate(n=Max("attempt"))["n"] or 0
    return TranscodeJob.objects.create(
        asset_id=previous.asset_id,
        version=previous.version,
        attempt=last + 1,
        requested_by=requested_by,
    )


def _retry_countdown(attempt: int) -> int:
    return int(
        get_exponential_backoff_interval(
            factor=settings.TRANSCODE_RETRY_BACKOFF_SECONDS,
            retries=attempt - 1,
            maximum=_RETRY_BACKOFF_MAX_SECONDS,
            full_jitter=False,
        )
    )


# --- enqueue, cancel, retry ----------------------------------------------------------------


@transaction.atomic
def transcode_enqueue(*, asset: VideoAsset, requested_by: User | None = None) -> TranscodeJob:
    """Start encoding `asset` into a new version (the first encode or a re-encode).

    The new version's files go to `videos/<asset>/<number>/`; learners keep watching the
    current version until the new one is ready. The task is sent after commit. Raises
    Conflict `transcode_in_progress` while another encode of the asset is queued or running.
    """
    asset = _lock_asset(asset.pk)
    if asset.jobs.filter(state__in=TranscodeJob.ACTIVE_STATES).exists():
        raise Conflict(
            _("This video is already being encoded. Wait for it to finish or cancel it."),
            code="transcode_in_progress",
        )
    number = (asset.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = VideoVersion.objects.create(
        asset=asset,
        number=number,
        # A random part, so that no file of a version has a name anyone can guess.
        storage_prefix=f"videos/{asset.pk}/{number}-{secrets.token_hex(8)}/",
    )
    job = TranscodeJob.objects.create(
        asset=asset, version=version, attempt=1, requested_by=requested_by
    )
    _asset_sync_state(asset)
    _enqueue_after_commit(job)
    return job


@transaction.atomic
def transcode_cancel(*, job: TranscodeJob, cancelled_by: User | None = None) -> TranscodeJob:
    """Cancel a queued or running job. A running worker notices at its next heartbeat, stops
    ffmpeg and removes what it had written. Raises Conflict `transcode_not_active` if the
    job already finished."""
    asset = _lock_asset(job.asset_id)
    job = _lock_job(job.pk)
    if job.state not in TranscodeJob.ACTIVE_STATES:
        raise Conflict(
            _("This encoding has already finished; there is nothing to cancel."),
            code="transcode_not_active",
        )
    now = timezone.now()
    job.state = State.CANCELLED
    job.failure_code = failures.CANCELLED
    job.failure_params = {"by": cancelled_by.pk} if cancelled_by else {}
    job.failure_detail = ""
    job.finished_at = now
    job.lease_expires_at = None
    job.eta_seconds = None
    job.save(
        update_fields=[
            "state",
            "failure_code",
            "failure_params",
            "failure_detail",
            "finished_at",
            "lease_expires_at",
            "eta_seconds",
            "updated_at",
        ]
    )
    _asset_sync_state(asset)
    # A live worker also cleans up once it has stopped; this covers an attempt whose worker
    # died after uploading part of the package.
    _on_commit_robust(_discard_unready_outputs, job.version_id)
    return job


@transaction.atomic
def transcode_retry(*, job: TranscodeJob, requested_by: User | None = None) -> TranscodeJob:
    """Try a failed or cancelled encode again, as the next attempt of the same version.

    For people (instructors, staff): not limited by TRANSCODE_MAX_ATTEMPTS. Raises Conflict
    `transcode_not_retryable` unless the job failed or was cancelled, and
    `transcode_in_progress` while another encode of the asset is active.
    """
    asset = _lock_asset(job.asset_id)
    job = _lock_job(job.pk)
    if job.state not in (State.FAILED, State.CANCELLED) or job.version.is_ready:
        raise Conflict(
            _("Only a failed or cancelled encoding can be tried again."),
            code="transcode_not_retryable",
        )
    if asset.jobs.filter(state__in=TranscodeJob.ACTIVE_STATES).exists():
        raise Conflict(
            _("This video is already being encoded. Wait for it to finish or cancel it."),
            code="transcode_in_progress",
        )
    new = _new_attempt(job, requested_by=requested_by)
    _asset_sync_state(asset)
    _enqueue_after_commit(new)
    return new


# --- superseded versions -------------------------------------------------------------------


@dataclass(frozen=True)
class PurgeReport:
    purged: list[int] = field(default_factory=list)  # ids of versions whose files went
    files_deleted: int = 0
    failed: list[int] = field(default_factory=list)  # storage errors; tried again next run


def video_versions_purge(*, now: datetime | None = None) -> PurgeReport:
    """Delete the files of versions superseded more than MEDIA_SUPERSEDED_VERSION_GRACE_HOURS
    ago and mark them purged (the rows stay, as the history of the asset's encodes).

    The grace period lets a member who loaded the old master playlist before the switch watch
    on (its playlists are served, and its signed URLs valid for PLAYBACK_URL_TTL_SECONDS); a
    purged version is no longer served. The asset's current version is never touched. Files
    are listed in storage rather than taken from `files`, so leftovers go too. Safe to run
    twice or concurrently: deleting what is already gone is a no-op, and a version whose
    files could not all be deleted (storage down) stays unpurged for the next run.
    """
    now = now or timezone.now()
    cutoff = _grace_cutoff(now)
    due = VideoVersion.objects.filter(purged_at__isnull=True, superseded_at__lt=cutoff)
    purged: list[int] = []
    failed: list[int] = []
    files_deleted = 0
    for version_id, asset_id, prefix in list(
        due.values_list("pk", "asset_id", "storage_prefix").order_by("pk")
    ):
        with transaction.atomic():
            # Under the asset's lock: it is not current (a version never becomes current
            # again once superseded, but the files of the one learners watch are the last
            # thing to risk).
            asset = VideoAsset.objects.select_for_update().filter(pk=asset_id).first()
            if asset is None or asset.current_version_id == version_id:
                continue
        try:
            files_deleted += media_storage.delete_prefix(default_storage, prefix)
        except (OSError, BotoCoreError, ClientError):
            log.exception("could not delete the files of superseded version %s", version_id)
            failed.append(version_id)
            continue
        if VideoVersion.objects.filter(pk=version_id, purged_at__isnull=True).update(
            purged_at=now, updated_at=now
        ):
            purged.append(version_id)
    return PurgeReport(purged=purged, files_deleted=files_deleted, failed=failed)


# --- watchdog ------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchdogReport:
    requeued: list[int] = field(default_factory=list)  # ids of the new attempts
    gave_up: list[int] = field(default_factory=list)  # ids of jobs failed for good
    resent: list[int] = field(default_factory=list)  # queued jobs whose task was sent again


def transcode_watchdog(*, now: datetime | None = None) -> WatchdogReport:
    """Recover from dead workers.

    A running job whose lease expired lost its worker: that attempt is failed with
    `worker_lost` and the next one queued, until TRANSCODE_MAX_ATTEMPTS attempts have died
    (then the job stays failed). A job queued for longer than TRANSCODE_RESEND_QUEUED_SECONDS
    has its task sent again, in case the message was lost (running a task twice is safe).
    """
    now = now or timezone.now()
    report = WatchdogReport()
    expired = TranscodeJob.objects.filter(
        state__in=TranscodeJob.RUNNING_STATES, lease_expires_at__lt=now
    ).values_list("pk", "asset_id")
    for job_id, asset_id in list(expired):
        _job_requeue_expired(job_id=job_id, asset_id=asset_id, now=now, report=report)
    stale = now - timedelta(seconds=settings.TRANSCODE_RESEND_QUEUED_SECONDS)
    for job_id in list(
        TranscodeJob.objects.filter(state=State.QUEUED, updated_at__lt=stale).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            touched = TranscodeJob.objects.filter(
                pk=job_id, state=State.QUEUED, updated_at__lt=stale
            ).update(updated_at=now)
            if touched:
                job = TranscodeJob(pk=job_id)
                _enqueue_after_commit(job)
                report.resent.append(job_id)
    return report


@transaction.atomic
def _job_requeue_expired(
    *, job_id: int, asset_id: int, now: datetime, report: WatchdogReport
) -> None:
    asset = _lock_asset(asset_id)
    job = _lock_job(job_id)
    if job.state not in TranscodeJob.RUNNING_STATES or (
        job.lease_expires_at is not None and job.lease_expires_at >= now
    ):
        return  # it finished or renewed its lease meanwhile
    final = job.attempt >= settings.TRANSCODE_MAX_ATTEMPTS
    log.warning(
        "transcode job %s (attempt %s) lost its worker %s%s",
        job.pk,
        job.attempt,
        job.worker,
        "; giving up" if final else "; starting the next attempt",
    )
    job.state = State.FAILED
    job.failure_code = failures.WORKER_LOST
    job.failure_params = {"worker": job.worker, "attempts": job.attempt}
    job.failure_detail = f"lease held by {job.worker} expired at {job.lease_expires_at}"
    job.finished_at = now
    job.lease_expires_at = None
    job.eta_seconds = None
    job.save(
        update_fields=[
            "state",
            "failure_code",
            "failure_params",
            "failure_detail",
            "finished_at",
            "lease_expires_at",
            "eta_seconds",
            "updated_at",
        ]
    )
    if final:
        report.gave_up.append(job.pk)
        _on_commit_robust(_discard_unready_outputs, job.version_id)
    else:
        new = _new_attempt(job, requested_by=job.requested_by)
        _enqueue_after_commit(new)
        report.requeued.append(new.pk)
    _asset_sync_state(asset)


# --- running a job -------------------------------------------------------------------------


class _LeaseLost(Exception):
    """The job was cancelled, or handed to another attempt, while this worker ran it."""


@dataclass
class _Failure:
    code: str
    detail: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    argv: list[str] | None = None
    stderr_tail: str = ""
    retryable: bool = False


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
        """Move to the next phase now (not throttled); raises _LeaseLost if it was lost."""
        if progress is not None:
            self.progress, self.eta = progress, None
        if not self._write(state=state, **fields):
            raise _LeaseLost

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


def _failure_from(exc: BaseException) -> _Failure:
    if isinstance(exc, _SourceMissing):
        return _Failure(failures.SOURCE_MISSING, f"missing from storage: {exc}")
    if isinstance(exc, MediaRejectedError):
        return _Failure(exc.code, exc.reason, dict(exc.params), retryable=exc.retryable)
    if isinstance(exc, FfmpegError):
        return _Failure(
            exc.code,
            str(exc),
            argv=list(exc.argv),
            stderr_tail=exc.stderr_tail,
            retryable=exc.retryable,
        )
    if isinstance(exc, FfmpegNotFoundError):
        return _Failure(exc.code, str(exc))
    if isinstance(exc, PackagingError):
        return _Failure("packaging_failed", str(exc))
    if _is_transient_storage_error(exc):
        return _Failure(failures.STORAGE_UNAVAILABLE, repr(exc)[:2000], retryable=True)
    return _Failure(failures.INTERNAL_ERROR, repr(exc)[:2000])


def _transcode_spec() -> TranscodeSpec:
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
            job = _lock_job(job_id)
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
            return _job_finish_ready(job=job, token=token, result=result)
        except (_LeaseLost, FfmpegCancelledError) as exc:
            if not lease.lost and not isinstance(exc, _LeaseLost):
                raise  # cancelled by something other than our lease check: a real failure
            return _after_lease_lost(job, wrote_outputs)
    except Exception as exc:
        failure = _failure_from(exc)
        if failure.code == failures.INTERNAL_ERROR:
            log.exception("transcode job %s failed unexpectedly", job.pk)
        else:
            log.warning("transcode job %s failed: %s %s", job.pk, failure.code, failure.detail)
        failed = _job_fail(job=job, token=token, failure=failure)
        if wrote_outputs:
            _discard_unready_outputs(version.pk)
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
            raise _LeaseLost

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
        raise _LeaseLost


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
        spec=_transcode_spec(),
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
                    raise _LeaseLost
        finally:
            for future in pending:
                future.cancel()


def _delete_prefix_quietly(prefix: str) -> None:
    try:
        media_storage.delete_prefix(default_storage, prefix)
    except Exception:
        # The job's outcome is what matters; a leftover is harmless (a new attempt empties
        # the prefix before uploading).
        log.exception("could not remove the files under %s", prefix)


def _discard_unready_outputs(version_id: int) -> None:
    """Delete what attempts wrote for a version that is not ready and that no attempt is
    working on: partial outputs of a cancelled, failed or abandoned encode. Nobody plays an
    unready version, so this never breaks playback."""
    version = VideoVersion.objects.filter(pk=version_id).first()
    if version is None or version.is_ready:
        return
    if version.jobs.filter(state__in=TranscodeJob.ACTIVE_STATES).exists():
        return
    _delete_prefix_quietly(version.storage_prefix)


def _after_lease_lost(job: TranscodeJob, wrote_outputs: bool) -> TranscodeJob | None:
    prefix = job.version.storage_prefix
    try:
        job.refresh_from_db()
    except TranscodeJob.DoesNotExist:
        log.info("transcode job %s was deleted while it ran", job.pk)
        if wrote_outputs:
            _delete_prefix_quietly(prefix)
        return None
    log.info("transcode job %s stopped: it is now %s", job.pk, job.state)
    if wrote_outputs:
        _discard_unready_outputs(job.version_id)
    return job


def _rendition_json(result: TranscodeResult) -> list[dict[str, Any]]:
    data = result.to_json()
    renditions: list[dict[str, Any]] = list(data["renditions"])  # type: ignore[call-overload]
    if data["audio"]:
        renditions.append(data["audio"])  # type: ignore[arg-type]
    return renditions


def _job_finish_ready(*, job: TranscodeJob, token: str, result: TranscodeResult) -> TranscodeJob:
    now = timezone.now()
    with transaction.atomic():
        asset = _lock_asset(job.asset_id)
        job = _lock_job(job.pk)
        if job.lease_token != token or job.state != State.UPLOADING:
            raise _LeaseLost
        version = job.version
        version.duration_seconds = result.duration_s
        version.renditions = _rendition_json(result)
        version.files = list(result.files)
        version.master_playlist_path = posixpath.join(
            version.storage_prefix, result.master_playlist
        )
        version.poster_path = posixpath.join(version.storage_prefix, result.poster)
        version.storyboard_path = posixpath.join(version.storage_prefix, result.storyboard.vtt)
        probe = result.probe.to_json()
        probe.pop("path", None)  # the worker's temp path means nothing later
        version.probe = probe
        version.ready_at = now
        current = asset.current_version
        switch = current is None or current.number < version.number
        if not switch:
            # A newer version finished first and stays current: this one is superseded as
            # soon as it is ready (nobody was sent to it), and its files go after the grace.
            version.superseded_at = now
        version.save()
        job.state = State.READY
        job.progress = 1.0
        job.eta_seconds = 0
        job.finished_at = now
        job.lease_expires_at = None
        job.save(
            update_fields=[
                "state",
                "progress",
                "eta_seconds",
                "finished_at",
                "lease_expires_at",
                "updated_at",
            ]
        )
        if switch:
            if current is not None:
                # Players that loaded the old version keep it until the grace period ends
                # (video_versions_purge).
                current.superseded_at = now
                current.save(update_fields=["superseded_at", "updated_at"])
            asset.current_version = version
            asset.state = VideoAsset.State.READY
            asset.save(update_fields=["current_version", "state", "updated_at"])
            Lecture.objects.filter(video=asset).update(
                duration_seconds=round(result.duration_s), updated_at=now
            )
            # Lectures that kept playing their old video until this replacement was ready
            # (uploads.lecture_video_replace) switch to it now, in the same transaction.
            waiting = Lecture.objects.filter(pending_video=asset)
            replaced = list(waiting.values_list("video_id", flat=True))
            waiting.update(
                video=asset,
                pending_video=None,
                duration_seconds=round(result.duration_s),
                updated_at=now,
            )
            assets_retire_after_commit([i for i in replaced if i != asset.pk])
        return job


def _job_fail(*, job: TranscodeJob, token: str, failure: _Failure) -> TranscodeJob | None:
    """Record this attempt's failure; queue the next attempt if the failure is transient.
    None if the job was deleted meanwhile (its video was deleted)."""
    now = timezone.now()
    with transaction.atomic():
        try:
            asset = _lock_asset(job.asset_id)
            job = _lock_job(job.pk)
        except (VideoAsset.DoesNotExist, TranscodeJob.DoesNotExist):
            return None
        if job.lease_token != token or job.state not in TranscodeJob.RUNNING_STATES:
            return job  # cancelled or taken over meanwhile: theirs to record
        job.state = State.FAILED
        job.failure_code = failure.code
        job.failure_params = failure.params
        job.failure_detail = failure.detail
        if failure.argv is not None:
            job.argv = failure.argv
        if failure.stderr_tail:
            job.stderr_tail = failure.stderr_tail
        job.finished_at = now
        job.lease_expires_at = None
        job.eta_seconds = None
        job.save(
            update_fields=[
                "state",
                "failure_code",
                "failure_params",
                "failure_detail",
                "argv",
                "stderr_tail",
                "finished_at",
                "lease_expires_at",
                "eta_seconds",
                "updated_at",
            ]
        )
        if failure.retryable and job.attempt < settings.TRANSCODE_MAX_ATTEMPTS:
            new = _new_attempt(job, requested_by=job.requested_by)
            _enqueue_after_commit(new, countdown=_retry_countdown(job.attempt))
        _asset_sync_state(asset)
        return job
