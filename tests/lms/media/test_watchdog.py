from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from lms.media import jobs, tasks, worker
from lms.media.models import TranscodeJob, VideoAsset
from lms.media.storage import walk

from .factories import TranscodeJobFactory

pytestmark = pytest.mark.django_db

State = TranscodeJob.State


def running_job(*, attempt: int = 1, lease_left: timedelta) -> TranscodeJob:
    return TranscodeJobFactory(
        attempt=attempt,
        state=State.TRANSCODING,
        worker="dead-host:4242",
        lease_token="b" * 32,
        lease_expires_at=timezone.now() + lease_left,
        started_at=timezone.now() - timedelta(minutes=5),
        progress=0.3,
    )


def test_watchdog_requeues_a_job_whose_worker_stopped_renewing_its_lease(
    django_capture_on_commit_callbacks,
):
    job = running_job(lease_left=-timedelta(seconds=1))

    with django_capture_on_commit_callbacks() as callbacks:
        report = jobs.transcode_watchdog()

    job.refresh_from_db()
    following = job.asset.jobs.get(attempt=2)
    assert (job.state, job.failure_code) == (State.FAILED, "worker_lost")
    assert job.lease_expires_at is None
    assert "dead-host:4242" in job.failure_detail
    assert following.state == State.QUEUED
    assert following.version == job.version
    assert report.requeued == [following.pk]
    assert len(callbacks) == 1
    job.asset.refresh_from_db()
    assert job.asset.state == VideoAsset.State.PROCESSING


def test_watchdog_gives_up_on_a_job_that_keeps_dying(settings, django_capture_on_commit_callbacks):
    settings.TRANSCODE_MAX_ATTEMPTS = 3
    job = running_job(attempt=3, lease_left=-timedelta(seconds=1))

    with django_capture_on_commit_callbacks():
        report = jobs.transcode_watchdog()

    job.refresh_from_db()
    assert (job.state, job.failure_code) == (State.FAILED, "worker_lost")
    assert report.gave_up == [job.pk]
    assert report.requeued == []
    assert job.asset.jobs.count() == 1  # no next attempt, so nothing was sent
    job.asset.refresh_from_db()
    assert job.asset.state == VideoAsset.State.FAILED
    assert job.failure_message  # shown to people, in their language


def test_watchdog_leaves_a_job_with_a_live_lease_alone(django_capture_on_commit_callbacks):
    job = running_job(lease_left=timedelta(seconds=30))

    with django_capture_on_commit_callbacks() as callbacks:
        report = jobs.transcode_watchdog()

    job.refresh_from_db()
    assert job.state == State.TRANSCODING
    assert report == jobs.WatchdogReport()
    assert callbacks == []


def test_watchdog_task_run_twice_requeues_only_once(django_capture_on_commit_callbacks):
    job = running_job(lease_left=-timedelta(seconds=1))

    with django_capture_on_commit_callbacks() as callbacks:
        first = tasks.watchdog()
        second = tasks.watchdog()

    assert len(first["requeued"]) == 1
    assert second == {"requeued": [], "gave_up": [], "resent": []}
    assert len(callbacks) == 1
    assert job.asset.jobs.count() == 2


def test_watchdog_sends_again_a_job_queued_for_too_long(
    settings, django_capture_on_commit_callbacks
):
    settings.TRANSCODE_RESEND_QUEUED_SECONDS = 60
    stale = TranscodeJobFactory(state=State.QUEUED)
    fresh = TranscodeJobFactory(state=State.QUEUED)
    TranscodeJob.objects.filter(pk=stale.pk).update(
        updated_at=timezone.now() - timedelta(minutes=5)
    )

    with django_capture_on_commit_callbacks() as callbacks:
        report = jobs.transcode_watchdog()

    assert report.resent == [stale.pk]
    assert fresh.pk not in report.resent
    assert len(callbacks) == 1


def test_a_worker_that_lost_its_lease_to_the_watchdog_cannot_finish_the_job(
    django_capture_on_commit_callbacks,
):
    job = running_job(lease_left=-timedelta(seconds=1))
    with django_capture_on_commit_callbacks():
        jobs.transcode_watchdog()

    # The old worker comes back (a long GC pause, a network partition) and heartbeats.
    lease = worker._Lease(job, job.lease_token)
    lease.interval = 0
    lease.beat(progress=0.5)

    assert lease.lost
    job.refresh_from_db()
    assert (job.state, job.progress) == (State.FAILED, 0.3)


def test_giving_up_on_a_job_removes_the_partial_package_its_dead_worker_uploaded(
    local_storage, settings, django_capture_on_commit_callbacks
):
    settings.TRANSCODE_MAX_ATTEMPTS = 1
    job = running_job(lease_left=-timedelta(seconds=1))
    prefix = job.version.storage_prefix
    local_storage.save(f"{prefix}360p/media.mp4", ContentFile(b"partial"))

    with django_capture_on_commit_callbacks(execute=True):
        jobs.transcode_watchdog()

    assert list(walk(local_storage, prefix)) == []
