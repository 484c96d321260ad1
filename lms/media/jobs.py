"""Transcode jobs: starting, cancelling and retrying an encode, the watchdog that recovers
from dead workers, and the end of a job (ready, failed, cancelled), written once in
`_job_end` and `job_finish_ready`.

A running job is owned by the worker holding its lease (`lease_token`); every write a worker
makes is conditional on still holding it, so a cancelled job or one handed to a new attempt by
the watchdog is never overwritten by a worker that lost it. Lock order: asset, then job.

Longer than 400 lines: every transition of a job, written against one lock order.
"""

import logging
import posixpath
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery.utils.time import get_exponential_backoff_interval
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from lms.accounts.models import User
from lms.core.enqueue import enqueue_after_commit
from lms.core.errors import Conflict
from media_pipeline import TranscodeResult

from . import failures
from . import storage as media_storage
from .assets import lectures_switch_to_ready, lock_asset
from .models import TranscodeJob, VideoAsset, VideoVersion

log = logging.getLogger(__name__)

# Sent by name (lms.core.enqueue): the tasks module runs the worker, which uses this module.
TRANSCODE_TASK = "lms.media.tasks.transcode_job"
_RETRY_BACKOFF_MAX_SECONDS = 15 * 60

State = TranscodeJob.State


class LeaseLost(Exception):
    """The job was cancelled, or handed to another attempt, while this worker ran it."""


@dataclass
class Failure:
    code: str
    detail: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    argv: list[str] | None = None
    stderr_tail: str = ""
    retryable: bool = False


def lock_job(job_id: int) -> TranscodeJob:
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


def _enqueue_after_commit(job: TranscodeJob, *, countdown: int = 0) -> None:
    # If this send fails (broker down), the watchdog sends queued jobs again after
    # TRANSCODE_RESEND_QUEUED_SECONDS.
    enqueue_after_commit(TRANSCODE_TASK, job.pk, countdown=countdown)


def _discard_after_commit(version_id: int) -> None:
    def discard() -> None:
        discard_unready_outputs(version_id)

    discard.__qualname__ = "discard_unready_outputs"  # for Django's robust error log
    transaction.on_commit(discard, robust=True)


def _job_end(
    job: TranscodeJob,
    state: str,
    *,
    failure: Failure | None = None,
    now: datetime | None = None,
) -> None:
    """Write the end of a job that did not become ready: failed or cancelled, with why. The
    caller holds the job's lock (and the asset's)."""
    failure = failure or Failure("")
    job.state = state
    job.failure_code = failure.code
    job.failure_params = failure.params
    job.failure_detail = failure.detail
    fields = ["state", "failure_code", "failure_params", "failure_detail"]
    if failure.argv is not None:
        job.argv = failure.argv
        fields.append("argv")
    if failure.stderr_tail:
        job.stderr_tail = failure.stderr_tail
        fields.append("stderr_tail")
    job.finished_at = now or timezone.now()
    job.lease_expires_at = None
    job.eta_seconds = None
    job.save(
        update_fields=[*fields, "finished_at", "lease_expires_at", "eta_seconds", "updated_at"]
    )


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
    asset = lock_asset(asset.pk)
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
    asset = lock_asset(job.asset_id)
    job = lock_job(job.pk)
    if job.state not in TranscodeJob.ACTIVE_STATES:
        raise Conflict(
            _("This encoding has already finished; there is nothing to cancel."),
            code="transcode_not_active",
        )
    _job_end(
        job,
        State.CANCELLED,
        failure=Failure(failures.CANCELLED, params={"by": cancelled_by.pk} if cancelled_by else {}),
    )
    _asset_sync_state(asset)
    # A live worker also cleans up once it has stopped; this covers an attempt whose worker
    # died after uploading part of the package.
    _discard_after_commit(job.version_id)
    return job


@transaction.atomic
def transcode_retry(*, job: TranscodeJob, requested_by: User | None = None) -> TranscodeJob:
    """Try a failed or cancelled encode again, as the next attempt of the same version.

    For people (instructors, staff): not limited by TRANSCODE_MAX_ATTEMPTS. Raises Conflict
    `transcode_not_retryable` unless the job failed or was cancelled, and
    `transcode_in_progress` while another encode of the asset is active.
    """
    asset = lock_asset(job.asset_id)
    job = lock_job(job.pk)
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
    asset = lock_asset(asset_id)
    job = lock_job(job_id)
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
    _job_end(
        job,
        State.FAILED,
        failure=Failure(
            failures.WORKER_LOST,
            f"lease held by {job.worker} expired at {job.lease_expires_at}",
            {"worker": job.worker, "attempts": job.attempt},
        ),
        now=now,
    )
    if final:
        report.gave_up.append(job.pk)
        _discard_after_commit(job.version_id)
    else:
        new = _new_attempt(job, requested_by=job.requested_by)
        _enqueue_after_commit(new)
        report.requeued.append(new.pk)
    _asset_sync_state(asset)


# --- the end of a job ----------------------------------------------------------------------


def _rendition_json(result: TranscodeResult) -> list[dict[str, Any]]:
    data = result.to_json()
    renditions: list[dict[str, Any]] = list(data["renditions"])  # type: ignore[call-overload]
    if data["audio"]:
        renditions.append(data["audio"])  # type: ignore[arg-type]
    return renditions


def job_finish_ready(*, job: TranscodeJob, token: str, result: TranscodeResult) -> TranscodeJob:
    now = timezone.now()
    with transaction.atomic():
        asset = lock_asset(job.asset_id)
        job = lock_job(job.pk)
        if job.lease_token != token or job.state != State.UPLOADING:
            raise LeaseLost
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
            lectures_switch_to_ready(asset=asset, duration_seconds=result.duration_s, now=now)
        return job


def job_fail(*, job: TranscodeJob, token: str, failure: Failure) -> TranscodeJob | None:
    """Record this attempt's failure; queue the next attempt if the failure is transient.
    None if the job was deleted meanwhile (its video was deleted)."""
    now = timezone.now()
    with transaction.atomic():
        try:
            asset = lock_asset(job.asset_id)
            job = lock_job(job.pk)
        except (VideoAsset.DoesNotExist, TranscodeJob.DoesNotExist):
            return None
        if job.lease_token != token or job.state not in TranscodeJob.RUNNING_STATES:
            return job  # cancelled or taken over meanwhile: theirs to record
        _job_end(job, State.FAILED, failure=failure, now=now)
        if failure.retryable and job.attempt < settings.TRANSCODE_MAX_ATTEMPTS:
            new = _new_attempt(job, requested_by=job.requested_by)
            _enqueue_after_commit(new, countdown=_retry_countdown(job.attempt))
        _asset_sync_state(asset)
        return job


def discard_unready_outputs(version_id: int) -> None:
    """Delete what attempts wrote for a version that is not ready and that no attempt is
    working on: partial outputs of a cancelled, failed or abandoned encode. Nobody plays an
    unready version, so this never breaks playback."""
    version = VideoVersion.objects.filter(pk=version_id).first()
    if version is None or version.is_ready:
        return
    if version.jobs.filter(state__in=TranscodeJob.ACTIVE_STATES).exists():
        return
    media_storage.delete_prefix_quietly(default_storage, version.storage_prefix)
