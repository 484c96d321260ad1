"""Real Celery worker processes on RabbitMQ and PostgreSQL: one is killed mid-transcode, one
has its job cancelled under it.

The worker must see the test database, so these tests run on PostgreSQL only (CI runs the
suite on both databases); on SQLite they are skipped. Each run uses its own queue name, so
concurrent runs on one broker do not take each other's tasks.
"""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from lms.celery import app as celery_app
from lms.media import jobs, tasks
from lms.media.models import TranscodeJob, VideoAsset
from lms.media.storage import walk

from .conftest import make_clip, upload
from .factories import TranscodeJobFactory, VideoVersionFactory

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BROKER_URL = os.environ.get("TEST_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
LEASE_SECONDS = 3
START_TIMEOUT_S = 60.0
JOB_TIMEOUT_S = 120.0

State = TranscodeJob.State


def _broker_reachable() -> bool:
    parts = urlsplit(BROKER_URL)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5672), 1):
            return True
    except OSError:
        return False


@pytest.fixture(autouse=True)
def _needs_postgres_and_broker() -> None:
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: a worker process cannot see the SQLite test database "
            "(run with DATABASE_URL=postgres://...)"
        )
    if not _broker_reachable():
        pytest.skip(f"no AMQP broker at {BROKER_URL}")


def wait_for(predicate: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, including ones in other sessions (ffmpeg runs in its own)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


@dataclass
class Worker:
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> "Worker":
        celery = str(Path(sys.executable).with_name("celery"))
        argv = [
            celery,
            "-A",
            "lms",
            "worker",
            "-Q",
            self.env["TRANSCODE_QUEUE"],
            "--pool=prefork",
            "--concurrency=1",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-n",
            f"test-{uuid.uuid4().hex[:8]}@%h",
            "--loglevel=INFO",
        ]
        offset = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                argv,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(
            lambda: self._poll_alive() and b" ready." in self.log.read_bytes()[offset:],
            timeout=START_TIMEOUT_S,
            what="the Celery worker to start",
        )
        return self

    def _poll_alive(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited:\n{self.log.read_text()[-4000:]}")
        return True

    def kill_hard(self) -> None:
        """SIGKILL the worker and everything it started, as if the machine died."""
        if self.process is None:
            return
        below = descendants(self.process.pid)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        _kill(below)
        self.process.wait(timeout=10)


@dataclass
class WorkerSetup:
    queue: str
    media_root: Path
    work_root: Path
    workers: list[Worker]
    env: dict[str, str]
    log: Path

    def new_worker(self) -> Worker:
        worker = Worker(env=self.env, log=self.log)
        self.workers.append(worker)
        return worker.start()

    def send(self, task: Any, *args: object) -> None:
        # The test process plays the web server: it publishes to the workers' broker and
        # queue directly (its own Celery configuration is the embedded filesystem broker).
        with celery_app.connection_for_write(BROKER_URL) as conn:
            task.apply_async(args=args, connection=conn, queue=self.queue)


def _database_url() -> str:
    db = connection.settings_dict
    credentials = quote(db["USER"] or "postgres")
    if db.get("PASSWORD"):
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def workers(local_storage: Any, tmp_path: Path) -> Iterator[WorkerSetup]:
    queue = f"lms-test-transcode-{uuid.uuid4().hex[:10]}"
    work = tmp_path / "work"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("STORAGE_BACKEND", "S3_", "PYTEST_", "CELERY_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="lms.settings.test",
        DATABASE_URL=_database_url(),
        DB_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=BROKER_URL,
        TRANSCODE_QUEUE=queue,
        TRANSCODE_LEASE_SECONDS=str(LEASE_SECONDS),
        TRANSCODE_HEARTBEAT_SECONDS="0.5",
        TRANSCODE_X264_PRESET="ultrafast",
        TRANSCODE_TEMP_DIR=str(work),
        MEDIA_ROOT=str(local_storage.location),
        LMS_VAR_DIR=str(tmp_path / "var"),
    )
    setup = WorkerSetup(
        queue=queue,
        media_root=Path(local_storage.location),
        work_root=work / "lms-transcode",
        workers=[],
        env=env,
        log=tmp_path / "worker.log",
    )
    try:
        yield setup
    finally:
        for worker in setup.workers:
            # The test is over: no job is in flight, so there is nothing to shut down gently.
            worker.kill_hard()
        with celery_app.connection_for_write(BROKER_URL) as conn:
            channel = conn.default_channel
            with contextlib.suppress(Exception):
                channel.queue_delete(queue)
            with contextlib.suppress(Exception):
                channel.exchange_delete(queue)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Long enough that the encode is still running when the test reacts to it.
    return make_clip(
        tmp_path_factory.mktemp("clips") / "long.mp4", seconds=20, size="640x360", rate=30
    )


def _queued_job(clip: Path) -> TranscodeJob:
    asset = upload(clip, user=None)
    version = VideoVersionFactory(asset=asset, number=1)
    return TranscodeJobFactory(version=version, asset=asset, attempt=1)


def _state(job_id: int) -> str:
    return TranscodeJob.objects.values_list("state", flat=True).get(pk=job_id)


def test_a_job_survives_its_worker_being_killed_mid_transcode(workers, long_clip):
    first = _queued_job(long_clip)
    asset = first.asset
    prefix = first.version.storage_prefix
    worker = workers.new_worker()
    workers.send(tasks.transcode_job, first.pk)
    wait_for(
        lambda: _state(first.pk) == State.TRANSCODING, timeout=JOB_TIMEOUT_S, what="transcoding"
    )
    ffmpeg = [pid for pid in descendants(worker.process.pid) if _is_ffmpeg(pid)]  # type: ignore[union-attr]
    assert ffmpeg, "ffmpeg should be running"

    worker.kill_hard()
    # SIGKILL is delivered at once, but a process takes a moment to be torn down (a busy
    # machine: longer); it must not keep encoding.
    wait_for(lambda: not any(_alive(pid) for pid in ffmpeg), timeout=10, what="ffmpeg to die")
    workers.new_worker()
    # The killed attempt's lease runs out; then the watchdog (beat sends it every minute in
    # production) hands the job to a new attempt.
    wait_for(
        lambda: TranscodeJob.objects.filter(
            pk=first.pk, lease_expires_at__lt=timezone.now()
        ).exists(),
        timeout=LEASE_SECONDS * 4,
        what="the lease to expire",
    )
    workers.send(tasks.watchdog)
    second = wait_for(
        lambda: TranscodeJob.objects.filter(asset=asset, attempt=2, state=State.READY).first(),
        timeout=JOB_TIMEOUT_S,
        what="the second attempt to be ready",
    )

    first.refresh_from_db()
    asset.refresh_from_db()
    version = second.version
    assert (first.state, first.failure_code) == (State.FAILED, "worker_lost")
    # The command was recorded when ffmpeg started, so the killed attempt still shows it.
    assert "-nostdin" in first.argv
    assert asset.versions.count() == 1
    assert asset.current_version == version == first.version
    assert asset.state == VideoAsset.State.READY
    assert 19 < version.duration_seconds < 21
    # Exactly the package of the attempt that finished: nothing orphaned in storage...
    assert set(walk(default_storage, f"videos/{asset.pk}/")) == {prefix + f for f in version.files}
    # ...nor in the workers' temp space.
    assert list(workers.work_root.iterdir()) == []


def test_cancel_stops_a_running_transcode_and_leaves_no_files(workers, long_clip):
    job = _queued_job(long_clip)
    worker = workers.new_worker()
    workers.send(tasks.transcode_job, job.pk)
    wait_for(lambda: _state(job.pk) == State.TRANSCODING, timeout=JOB_TIMEOUT_S, what="encode")

    jobs.transcode_cancel(job=job)

    # The worker notices at its next heartbeat, stops ffmpeg and cleans up.
    wait_for(
        lambda: (
            not any(_is_ffmpeg(pid) for pid in descendants(worker.process.pid))  # type: ignore[union-attr]
            and not list(workers.work_root.iterdir())
        ),
        timeout=30,
        what="the worker to stop ffmpeg and remove its temp dir",
    )
    job.refresh_from_db()
    assert job.state == State.CANCELLED
    assert job.version.ready_at is None
    assert list(walk(default_storage, "videos/")) == []


def _is_ffmpeg(pid: int) -> bool:
    try:
        return "ffmpeg" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0", 1)[0].decode()
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
