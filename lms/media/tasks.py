"""Celery tasks of the media app: thin wrappers that take ids and call a service.

Routed by `CELERY_TASK_ROUTES` (settings): the transcode job and its watchdog to the transcode
queue, the periodic storage cleanups to the default queue. Every task is safe to run twice.
Transient failures inside a job (storage, timeouts) are retried by the service as the job's
next attempt, with backoff and a limit, so that each attempt keeps its own record; here only a
database that cannot be reached is retried, since then nothing could be recorded.
"""

import os
import socket
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError

from . import jobs, retention, uploads, worker


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=5,
)
def transcode_job(self: Task[[int], str | None], job_id: int) -> str | None:
    name = f"{self.request.hostname or socket.gethostname()}:{os.getpid()}"
    job = worker.transcode_run(job_id=job_id, worker=name)
    return job.state if job is not None else None


@shared_task
def watchdog() -> dict[str, Any]:
    report = jobs.transcode_watchdog()
    return {"requeued": report.requeued, "gave_up": report.gave_up, "resent": report.resent}


@shared_task
def uploads_cleanup() -> dict[str, Any]:
    """Expire abandoned uploads and delete their parts (periodic; routed to the default
    queue). Safe to run twice: a second run finds nothing left to do."""
    report = uploads.uploads_cleanup()
    return {
        "expired": report.expired,
        "parts_deleted": report.parts_deleted,
        "records_deleted": report.records_deleted,
        "orphans_deleted": report.orphans_deleted,
    }


@shared_task
def versions_purge() -> dict[str, Any]:
    """Delete the files of versions superseded, and the videos lectures stopped using, longer
    ago than the grace period (periodic; routed to the default queue). Safe to run twice:
    what is gone is skipped."""
    report = retention.video_versions_purge()
    retired = retention.video_assets_retired_delete()
    return {
        "purged": report.purged,
        "files_deleted": report.files_deleted,
        "failed": report.failed,
        "videos_deleted": retired.deleted,
    }
