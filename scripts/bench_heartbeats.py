#!/usr/bin/env python
"""Load test of the progress heartbeat endpoint: gunicorn + PostgreSQL on loopback.

    .venv/bin/python scripts/bench_heartbeats.py                 # 300 s at 1,000 heartbeats/s
    .venv/bin/python scripts/bench_heartbeats.py --seconds 30    # a quick check

What it does, all on this machine (the load generator shares its cores with the server):
1. creates a fresh PostgreSQL database (`--db-name`, default lms_bench), migrates it, and adds
   members with API tokens, a published course of lectures, and progress rows that put each
   member part-way through a lecture;
2. measures each kind of request in-process, through the WSGI door of the heartbeat's short path
   (`lms.wsgi:application`: the same work the ASGI door gunicorn serves does on its loop):
   its queries (Django's CaptureQueriesContext) and its CPU time (the median of 3 rounds of
   100 requests, each on a member of its own): the usual heartbeat, the first of a player
   session, the first on a lecture, one that completes a lecture, GET progress;
3. starts gunicorn with the platform's settings (`lms/gunicorn_conf.py`: each worker on its
   own socket) and `--worker-class`, `--workers`, `--threads`, production Django settings,
   and waits until every worker listens;
4. drives it with an asyncio HTTP/1.1 keep-alive client built into this script, in phases:
   a bare app under the same gunicorn (what HTTP costs here), as fast as it answers and at
   the heartbeats' arrival rate (`--rate`: one by one, each request wakes the server, which
   costs more per request than a saturated server's batches), an unauthenticated API request
   (Django, middleware and DRF, no database: the floor the ratios are taken to), the GET progress
   endpoint, heartbeats at a fixed arrival rate for `--seconds` (the result: latency is measured
   from the scheduled send time, so a server that falls behind shows it; before it, members
   join over `--ramp-seconds`, as a load test's spawn rate does, and the measured window
   starts `--hold-seconds` after the full rate is reached; the warm-up's latencies are
   printed too: what members see after a start), and heartbeats as fast as the server answers;
5. prints a table (rate, p50, p99, errors, ratio to the no-DB DRF request, the cores gunicorn
   used and its CPU time per request: the figure least disturbed by other work on the machine;
   for each phase, the cores used by gunicorn, PostgreSQL (every `postgres` process on this
   machine) and the load generator, and for the heartbeats, each one's CPU per heartbeat;
   how many of the client's connections each worker held: one worker holding most of them
   caps the rate at what one core can answer), stops gunicorn and drops the database unless
   `--keep-db`.

Each member behaves like a player: one report per `members / rate` seconds (10 s by default)
with the range played since its last report at 1x, a new player session per lecture, moving to
the next lecture at the end (so completions, course progress and session claims happen at
their natural rates).
"""

import argparse
import asyncio
import copy
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HEARTBEATS = "/api/v1/progress/heartbeats"
# In the fixed-rate phase, requests still queued this long after the end are counted as errors
# and not sent.
LATE_GRACE_SECONDS = 5.0
# The server's log (Django logs every refused request of the no-DB phase as a warning).
LOG_FILE = ROOT / "var" / "bench" / "gunicorn.log"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seconds", type=float, default=300, help="fixed-rate phase length")
    p.add_argument("--rate", type=float, default=1000, help="heartbeats/s in the fixed phase")
    p.add_argument("--baseline-seconds", type=float, default=15, help="each other phase")
    p.add_argument(
        "--hold-seconds",
        type=float,
        default=30,
        help="fixed-rate phase: warm-up at the full rate after the ramp, before the measured "
        "window (what a start costs is printed as the warm-up's latencies)",
    )
    p.add_argument(
        "--ramp-seconds",
        type=float,
        default=30,
        help="fixed-rate phase: the rate grows from 0 over this many seconds of its warm-up "
        "(members joining; each member's first reports to each web process check its key and "
        "cost more), then --hold-seconds at the full rate before the measured window",
    )
    p.add_argument("--members", type=int, default=0, help="default: rate x 10 (10 s period)")
    p.add_argument("--lectures", type=int, default=20)
    p.add_argument("--lecture-seconds", type=int, default=600)
    p.add_argument("--connections", type=int, default=64, help="client keep-alive connections")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--threads",
        type=int,
        default=int(os.environ.get("WEB_THREADS") or 4),
        help="threads for Django's requests in each web process (WEB_THREADS, default 4, as "
        "lms/asgi.py); with --worker-class gthread, gunicorn's threads per worker",
    )
    p.add_argument(
        "--worker-class",
        default="asgi",
        help="gunicorn worker class: asgi (lms/gunicorn_conf.py's), or gthread with "
        "--app lms.wsgi:application, for comparison",
    )
    p.add_argument("--pg", default=os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    p.add_argument("--db-name", default="lms_bench")
    p.add_argument(
        "--auth",
        choices=["key", "token"],
        default="key",
        help="heartbeats with the page key the player sends (key) or an API token (token)",
    )
    p.add_argument(
        "--app",
        default="lms.asgi:application",
        help="application gunicorn serves (lms.wsgi:application or, without the short path "
        "in front of Django's handler, lms.wsgi:django_application, both with --worker-class "
        "gthread, for comparison)",
    )
    p.add_argument("--keep-db", action="store_true")
    p.add_argument("--port", type=int, default=0, help="default: a free port")
    p.add_argument(
        "--phases",
        default="bare,bare-rate,drf,get,fixed,max",
        help="which phases to run (default: all): bare,bare-rate,drf,get,fixed,max",
    )
    return p.parse_args()


# Set-up (in this process, with Django)


def server_env(args: argparse.Namespace, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings.production",
            "DATABASE_URL": f"{args.pg}/{args.db_name}",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": f"127.0.0.1,localhost,testserver,127.0.0.1:{port}",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
            "LMS_VAR_DIR": str(ROOT / "var" / "bench"),
        }
    )
    return env


def recreate_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')


def drop_database(args: argparse.Namespace) -> None:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')


@dataclass
class Member:
    token: str
    key: str  # the signed key a lecture page gives its player
    lecture: int  # index into the lecture list
    position: float
    session: str = field(default_factory=lambda: str(uuid.uuid4()))
    seq: int = 0
    last: float = 0.0  # monotonic time of the previous report


def seed(args: argparse.Namespace) -> tuple[list[int], list[Member]]:
    """Members with tokens, a course, and each member part-way through a lecture."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from lms.accounts.models import User
    from lms.catalog.models import Category, Course, Lecture, Status
    from lms.learning.auth import heartbeat_key_make
    from lms.learning.models import CourseProgress, HeartbeatSession, LectureProgress

    rng = random.Random(7)
    now = timezone.now()
    category = Category.objects.create(slug="bench", title="벤치", title_en="Bench")
    course = Course.objects.create(
        category=category,
        slug="bench",
        title="벤치 강좌",
        status=Status.PUBLISHED,
        publish_at=now - timedelta(days=1),
    )
    lectures = Lecture.objects.bulk_create(
        Lecture(
            course=course,
            position=i,
            title=f"강의 {i}",
            duration_seconds=args.lecture_seconds,
            status=Status.PUBLISHED,
            publish_at=now - timedelta(days=1),
        )
        for i in range(1, args.lectures + 1)
    )
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", password="!") for i in range(args.members)
    )
    tokens = Token.objects.bulk_create(
        Token(key=secrets.token_hex(20), user=user, created=now) for user in users
    )
    members = []
    rows = []
    sessions = []
    for user, token in zip(users, tokens, strict=True):
        lecture = rng.randrange(args.lectures)
        position = round(rng.uniform(0, args.lecture_seconds * 0.95), 3)
        member = Member(
            token=token.key, key=heartbeat_key_make(user), lecture=lecture, position=position
        )
        members.append(member)
        # Mid-viewing: the player session of the page is already known to the server.
        sessions.append(
            HeartbeatSession(
                id=uuid.UUID(member.session), user_id=token.user_id, lecture=lectures[lecture]
            )
        )
        rows.append(
            LectureProgress(
                user_id=token.user_id,
                lecture=lectures[lecture],
                coverage=[[0.0, position]] if position else [],
                covered_seconds=position,
                credited_seconds=position,
                furthest_position=position,
                position=position,
                last_report_at=now - timedelta(seconds=10),
                sessions=[[member.session, 0]],
            )
        )
    LectureProgress.objects.bulk_create(rows, batch_size=2000)
    HeartbeatSession.objects.bulk_create(sessions, batch_size=2000)
    CourseProgress.objects.bulk_create(
        [CourseProgress(user=user, course=course) for user in users], batch_size=2000
    )
    return [x.pk for x in lectures], members


def report_body(member: Member, lecture_ids: list[int], duration: int, now: float) -> bytes:
    """The next heartbeat of a member playing at 1x since its previous report."""
    elapsed = min(now - member.last, 30.0) if member.last else 10.0
    member.last = now
    if member.position >= duration:
        member.lecture = (member.lecture + 1) % len(lecture_ids)
        member.position = 0.0
        member.session = str(uuid.uuid4())
        member.seq = 0
    start = member.position
    end = min(float(duration), round(start + elapsed, 3))
    member.position = end
    member.seq += 1
    body = {
        "lecture": lecture_ids[member.lecture],
        "session": member.session,
        "seq": member.seq,
        "ranges": [[start, end]],
        "position": end,
        "rate": 1.0,
        "sent_at": datetime.now(UTC).isoformat(),
    }
    return json.dumps(body).encode()


def heartbeat_auth(member: Member, auth: str) -> str:
    """The Authorization header of a heartbeat: the page key, as the player sends it, or the
    member's API token."""
    return f"Heartbeat {member.key}" if auth == "key" else f"Token {member.token}"


@dataclass
class KindCost:
    queries: int
    cpu_ms: float  # median over the rounds of the mean per request


#: Requests of each kind per round, and rounds, when measuring their CPU time in-process.
KIND_REQUESTS, KIND_ROUNDS = 100, 3


def request_kinds(
    lecture_ids: list[int], members: list[Member], duration: int, auth: str
) -> dict[str, KindCost]:
    """Queries and CPU time of each kind of request, in-process, through the heartbeat short
    path's WSGI door (the work gunicorn's ASGI door does on its loop): the usual heartbeat,
    the first of a player session, the first on a lecture, one that completes a lecture, GET
    progress. Each kind is measured on members of its own (a request changes its member's
    state), with the member's key already checked: the check of a member's first report to a
    web process is one more query, then the key is trusted for HEARTBEAT_KEY_CACHE_SECONDS.
    CPU time is this process's (Python and the database driver), not PostgreSQL's."""
    import io

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from lms.learning.auth import header_user
    from lms.wsgi import application

    def call(method: str, path: str, authorization: str, body: bytes = b"") -> None:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_AUTHORIZATION": authorization,
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
        status: list[str] = []
        b"".join(application(environ, lambda s, h, e=None: status.append(s)))
        assert status[0].startswith("200"), (status, path)

    def post(member: Member) -> None:
        member.last = 0.0  # 10 s since the previous report
        body = report_body(member, lecture_ids, duration, time.monotonic())
        call("POST", HEARTBEATS, heartbeat_auth(member, auth), body)

    def get(member: Member) -> None:
        path = f"/api/v1/progress/lectures/{lecture_ids[member.lecture]}"
        call("GET", path, f"Token {member.token}")

    def new_session(member: Member) -> None:  # the page reloaded, or opened on another device
        member.session = str(uuid.uuid4())
        post(member)

    def next_lecture(member: Member) -> None:  # on to the next lecture, not started before
        member.position = float(duration)
        post(member)

    near_end = [m for m in members if m.position >= 0.9 * duration]
    watching = [m for m in members if m.position < 0.8 * duration]
    per_round = min(KIND_REQUESTS, len(near_end) // (KIND_ROUNDS + 1))
    if per_round < 1:
        raise SystemExit("too few members to measure each kind of request: raise --members")
    kinds = [
        ("heartbeat", post, watching),
        ("first of a player session", new_session, watching),
        ("first on a lecture", next_lecture, watching),
        ("completing a lecture", post, near_end),
        ("GET progress", get, watching),
    ]
    for member in [*near_end, *watching]:
        header_user(heartbeat_auth(member, auth).encode())
    costs = {}
    for name, run, pool in kinds:
        first = pool.pop()
        with CaptureQueriesContext(connection) as ctx:
            run(first)
        queries = len(ctx)
        means = []
        for _ in range(KIND_ROUNDS):
            batch = [pool.pop() for _ in range(per_round)]
            started = time.process_time()
            for member in batch:
                run(member)
            means.append(1000 * (time.process_time() - started) / per_round)
        costs[name] = KindCost(queries, sorted(means)[len(means) // 2])
    return costs


# Load generation (asyncio, raw HTTP/1.1 with keep-alive)


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    #: Seconds from the start of the measured window at which each latency's request was due.
    due: list[float] = field(default_factory=list)
    #: (due, latency) of the warm-up's requests: what members see while they join.
    warmup: list[tuple[float, float]] = field(default_factory=list)
    #: CPU seconds (web server, this process) and machine (busy, total) jiffies when the
    #: measured window began.
    cpu_at_start: tuple[float, ...] = ()
    statuses: dict[int, int] = field(default_factory=dict)
    #: The clients' connections each web process held at the end (most first).
    held: list[int] = field(default_factory=list)
    errors: int = 0
    unsent: int = 0
    sent: int = 0
    started: float = 0.0
    ended: float = 0.0

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if 200 <= status < 300)


class Client(asyncio.Protocol):
    """One HTTP/1.1 keep-alive connection, callback-driven (no stream objects, no task per
    request): it sends a request and reads the answer's status line, headers and
    Content-Length body, then tells its driver."""

    def __init__(self, driver: "Driver") -> None:
        self.driver = driver
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.scheduled = 0.0  # when the request in flight was due
        self.sent = 0.0  # when it was written
        self.busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, scheduled: float, request: bytes) -> None:
        assert self.transport is not None
        self.scheduled, self.sent, self.busy = scheduled, self.driver.loop.time(), True
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        try:
            status = int(head[9:12])
            length = 0
            at = head.find(b"\r\ncontent-length:")
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else None])
        except ValueError:
            self.fail()
            return
        if len(self.buffer) < end + 4 + length:
            return  # the body is still coming
        del self.buffer[: end + 4 + length]
        self.busy = False
        if b"\r\nconnection: close" in head:
            self.driver.record(self, status)
            self.fail()  # the driver opens another connection, which takes the next request
            return
        self.driver.answered(self, status)

    def fail(self) -> None:
        """Drop the connection (an error if a request was in flight); the driver opens
        another."""
        if self.transport is not None:
            self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        was_busy, self.busy = self.busy, False
        self.driver.lost(self, was_busy)


def http_request(method: str, path: str, auth: str | None, body: bytes) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if auth:
        head += f"Authorization: {auth}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


class Driver:
    """Sends a phase's requests over `connections` keep-alive connections: at a fixed arrival
    rate (each request due at its scheduled time, sent on the first idle connection; latency
    counted from when it was due) or closed-loop (rate 0: each connection sends again as soon
    as it has its answer)."""

    def __init__(
        self,
        phase: Phase,
        *,
        port: int,
        connections: int,
        seconds: float,
        make_request: Any,
        rate: float,
        warmup: float,
        ramp: float,
        cpu: Any,
        held: Any,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.phase, self.port, self.connections = phase, port, connections
        self.make_request, self.rate, self.ramp, self.cpu = make_request, rate, ramp, cpu
        self.held = held
        self.start = self.loop.time()
        self.measure_from = self.start + warmup
        self.stop = self.measure_from + seconds
        self.idle: deque[Client] = deque()
        self.pending: deque[float] = deque()  # due times not yet sent (fixed rate)
        self.clients: set[Client] = set()
        self.scheduled = 0  # requests due so far (fixed rate)
        self.opening = 0
        self.closing = False
        self.finished = self.loop.create_future()

    async def run(self) -> Phase:
        phase = self.phase
        phase.started, phase.ended = self.measure_from, self.stop
        for _ in range(self.connections):
            await self.open()
        if not self.rate:
            while self.idle:
                self.dispatch(self.idle.popleft())
        tick = asyncio.create_task(self.ticker())
        await self.finished
        tick.cancel()
        if self.held is not None:
            phase.held = self.held()
        self.closing = True
        for client in list(self.clients):
            if client.transport is not None:
                client.transport.close()
        return phase

    async def open(self) -> None:
        self.opening += 1
        try:
            _, client = await self.loop.create_connection(
                lambda: Client(self), "127.0.0.1", self.port
            )
        finally:
            self.opening -= 1
        self.clients.add(client)
        self.idle.append(client)

    async def ticker(self) -> None:
        """Every millisecond: queue the requests that fell due, hand them to idle
        connections, give up on answers older than 10 s, and end the phase."""
        phase, loop = self.phase, self.loop
        ticks = 0
        while True:
            now = loop.time()
            if self.cpu is not None and now >= self.measure_from and not phase.cpu_at_start:
                phase.cpu_at_start = self.cpu()
            if self.rate:
                # Up to the end of the phase, the requests due in the last tick before it too.
                due = int(_scheduled_by(min(now, self.stop) - self.start, self.rate, self.ramp))
                for number in range(self.scheduled, due):
                    self.pending.append(self.start + _due_time(number, self.rate, self.ramp))
                self.scheduled = max(self.scheduled, due)
            if now > self.stop + LATE_GRACE_SECONDS and self.pending:
                # The server fell this far behind: what is still queued was never sent.
                for scheduled in self.pending:
                    if scheduled >= self.measure_from:
                        phase.sent += 1
                        phase.unsent += 1
                self.pending.clear()
            ticks += 1
            if ticks % 100 == 0:
                for client in list(self.clients):
                    if client.busy and now - client.sent > 10:
                        client.fail()
            while self.idle and (self.pending or (not self.rate and now < self.stop)):
                self.dispatch(self.idle.popleft())
            if (
                now >= self.stop
                and not self.pending
                and not self.opening
                and not any(client.busy for client in self.clients)
            ):
                self.finished.set_result(None)
                return
            await asyncio.sleep(0.001)

    def dispatch(self, client: Client) -> None:
        if self.rate:
            if not self.pending:
                self.idle.append(client)
                return
            scheduled = self.pending.popleft()
        else:
            scheduled = self.loop.time()
            if scheduled >= self.stop:
                self.idle.append(client)
                return
        client.send(scheduled, http_request(*self.make_request()))

    def record(self, client: Client, status: int) -> None:
        phase = self.phase
        latency = (self.loop.time() - client.scheduled) * 1000
        if client.scheduled >= self.measure_from:
            phase.sent += 1
            if status < 0:
                phase.errors += 1
            else:
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
            phase.latencies.append(latency)
            phase.due.append(client.scheduled - self.measure_from)
        else:
            phase.warmup.append((client.scheduled - self.start, latency))

    def answered(self, client: Client, status: int) -> None:
        self.record(client, status)
        self.dispatch(client)

    def lost(self, client: Client, in_flight: bool) -> None:
        if in_flight:
            self.record(client, -1)
        self.clients.discard(client)
        if client in self.idle:
            self.idle.remove(client)
        if not self.closing:
            self.loop.create_task(self.reopen())

    async def reopen(self) -> None:
        try:
            await self.open()
        except OSError:
            await asyncio.sleep(0.1)
            self.loop.create_task(self.reopen())
            return
        if not self.rate:
            self.dispatch(self.idle.pop())


async def run_phase(
    phase: Phase,
    *,
    port: int,
    connections: int,
    seconds: float,
    make_request: Any,
    rate: float = 0.0,
    warmup: float = 0.0,
    ramp: float = 0.0,
    cpu: Any = None,
    held: Any = None,
) -> Phase:
    """Closed loop (rate 0: each connection sends as soon as it has an answer) or fixed arrival
    rate (latency counted from the scheduled time). Only the window after `warmup` counts.
    With `ramp`, the fixed rate grows from 0 to `rate` over the first `ramp` seconds of the
    warm-up (members joining, as a locust spawn rate), then holds."""
    driver = Driver(
        phase,
        port=port,
        connections=connections,
        seconds=seconds,
        make_request=make_request,
        rate=rate,
        warmup=warmup,
        ramp=ramp,
        cpu=cpu,
        held=held,
    )
    return await driver.run()


def _scheduled_by(elapsed: float, rate: float, ramp: float) -> float:
    """Requests due in the first `elapsed` seconds: a linear ramp to `rate`, then `rate`."""
    if elapsed < ramp:
        return rate * elapsed * elapsed / (2 * ramp)
    return rate * (elapsed - ramp / 2)


def _due_time(number: int, rate: float, ramp: float) -> float:
    """When request `number` (from 0) is due: the inverse of `_scheduled_by`."""
    if number < rate * ramp / 2:
        return float((2 * ramp * number / rate) ** 0.5)
    return number / rate + ramp / 2


def timeline(samples: Iterable[tuple[float, float]], seconds: float) -> tuple[float, str]:
    """p50/p99 of the (due, latency) samples in each tenth of `seconds` (at least 5 s): a slow
    start, a stall or a backlog that grows shows where it happened. Returns the step too."""
    step = max(5.0, round(seconds / 10))
    buckets: dict[int, list[float]] = {}
    for due, latency in samples:
        buckets.setdefault(int(due // step), []).append(latency)
    cells = "  ".join(
        f"{percentile(values, 0.5):.0f}/{percentile(values, 0.99):.0f}"
        for _, values in sorted(buckets.items())
    )
    return step, cells


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# Processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stat_cpu(stat: str, *, reaped: bool = False) -> tuple[str, float]:
    """(command name, CPU seconds) from the text of a /proc/<pid>/stat; with `reaped`, plus
    the CPU of the children it has waited for (ended processes)."""
    head, tail = stat.rsplit(")", 1)
    fields = tail.split()
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return head.split("(", 1)[1], ticks / os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and its children (gunicorn master + workers) from /proc."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(x) for x in children.read_text().split()]
    for p in pids:
        try:
            total += _stat_cpu(Path(f"/proc/{p}/stat").read_text())[1]
        except FileNotFoundError:
            continue
    return total


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL process on this machine (its backends, WAL writer,
    checkpointer...): what the database costs when it runs here, as it does by default.
    Backends that ended count too, through the server process that waited for them: Django
    replaces its connections every CONN_MAX_AGE seconds."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            name, seconds = _stat_cpu(stat.read_text(), reaped=True)
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        if name == "postgres":
            total += seconds
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine."""
    values = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return float(sum(values) - idle), float(sum(values))


def floor_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The cheapest WSGI answer: what gunicorn and HTTP cost on this machine, without Django."""
    body = b'{"ok": true}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


async def floor_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """floor_app for the asgi worker."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    body = b'{"ok": true}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def start_gunicorn(
    args: argparse.Namespace, port: int, env: dict[str, str], app: str = "lms.asgi:application"
) -> subprocess.Popen[bytes]:
    argv = [
        str(VENV_BIN / "gunicorn"),
        app,
        # The platform's settings (each worker on its own socket, the app imported before
        # the workers fork), then this run's.
        "--config",
        "python:lms.gunicorn_conf",
        "--pythonpath",
        str(ROOT / "scripts"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--keep-alive",
        "75",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    if args.worker_class == "gthread":
        argv += ["--threads", str(args.threads)]
    env = {**env, "WEB_THREADS": str(args.threads)}
    log = open(LOG_FILE, "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )
    # Ready when every worker listens: connections opened before then would all go to the
    # first one.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if len(_tcp_sockets(port, "0A")) >= args.workers:
            return proc
        if proc.poll() is not None:
            raise SystemExit("gunicorn exited during start-up")
        time.sleep(0.2)
    stop_process(proc)
    raise SystemExit("gunicorn did not start within 30 s")


def _tcp_sockets(port: int, state: str) -> set[str]:
    """Inodes of the loopback TCP sockets on local `port` in `state` (/proc/net/tcp: 0A
    listening, 01 established)."""
    local = f"0100007F:{port:04X}"
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1] == local and fields[3] == state:
            inodes.add(fields[9])
    return inodes


def connections_by_worker(pid: int, port: int) -> list[int]:
    """How many of the clients' connections each gunicorn worker holds, most first."""
    established = _tcp_sockets(port, "01")
    children = Path(f"/proc/{pid}/task/{pid}/children")
    counts = []
    for child in children.read_text().split() if children.exists() else []:
        held = 0
        fds = Path(f"/proc/{child}/fd")
        for fd in fds.iterdir() if fds.exists() else []:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in established:
                held += 1
        counts.append(held)
    return sorted(counts, reverse=True)


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


# Main


def main() -> int:
    args = parse_args()
    args.members = args.members or int(args.rate * 10)
    port = args.port or free_port()
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    env = server_env(args, port)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))

    print(f"==> fresh database {args.db_name}, migrate, {args.members} members", flush=True)
    recreate_database(args)
    subprocess.run(
        [str(VENV_BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    import django

    django.setup()
    from django.db import connections

    lecture_ids, members = seed(args)
    kinds = request_kinds(lecture_ids, members, args.lecture_seconds, args.auth)
    connections.close_all()

    duration = args.lecture_seconds
    rng = random.Random(11)
    cursor = {"i": 0}

    def heartbeat() -> tuple[str, str, str | None, bytes]:
        member = members[cursor["i"] % len(members)]
        cursor["i"] += 1
        return (
            "POST",
            HEARTBEATS,
            heartbeat_auth(member, args.auth),
            report_body(member, lecture_ids, duration, time.monotonic()),
        )

    def get_progress() -> tuple[str, str, str | None, bytes]:
        member = members[rng.randrange(len(members))]
        path = f"/api/v1/progress/lectures/{lecture_ids[member.lecture]}"
        return "GET", path, f"Token {member.token}", b""

    def floor() -> tuple[str, str, str | None, bytes]:
        return "GET", f"/api/v1/progress/lectures/{lecture_ids[0]}", None, b""

    print(
        f"==> gunicorn {args.worker_class} workers={args.workers} threads={args.threads} "
        f"on 127.0.0.1:{port}; client: {args.connections} keep-alive connections",
        flush=True,
    )
    phases: list[tuple[Phase, float]] = []
    load_before = os.getloadavg()
    wanted = set(args.phases.split(","))
    # The bare app gets what a heartbeat sends (a copy of a member: the real ones keep their
    # place in the lecture for the heartbeat phases).
    sample = copy.copy(members[0])
    bare_request = (
        "POST",
        HEARTBEATS,
        heartbeat_auth(sample, args.auth),
        report_body(sample, lecture_ids, duration, time.monotonic()),
    )
    bare_plan = [
        ("bare", "bare app under gunicorn (no Django)", 0.0),
        # What HTTP and gunicorn cost at the heartbeats' own arrival rate: requests arriving
        # one by one each wake the server, where a saturated server takes them in batches.
        ("bare-rate", f"bare app at {args.rate:g}/s (no Django)", args.rate),
    ]
    for key, name, rate in bare_plan:
        if key not in wanted:
            continue
        floor_name = "floor_asgi" if args.worker_class == "asgi" else "floor_app"
        bare = start_gunicorn(args, port, env, app=f"bench_heartbeats:{floor_name}")
        try:
            print(f"--> {name}: 2 s warm-up + {args.baseline_seconds:g} s", flush=True)

            def bare_cpu(pid: int = bare.pid) -> tuple[float, ...]:
                return (cpu_seconds(pid),)

            server0 = cpu_seconds(bare.pid)
            phase = asyncio.run(
                run_phase(
                    Phase(name),
                    port=port,
                    connections=args.connections,
                    seconds=args.baseline_seconds,
                    make_request=lambda: bare_request,
                    rate=rate,
                    warmup=2.0,
                    cpu=bare_cpu if rate else None,
                    held=lambda pid=bare.pid: connections_by_worker(pid, port),
                )
            )
            wall = args.baseline_seconds + 2
            if phase.cpu_at_start:
                server0, wall = phase.cpu_at_start[0], args.baseline_seconds
            phases.append((phase, (cpu_seconds(bare.pid) - server0) / wall))
        finally:
            stop_process(bare)

    proc = start_gunicorn(args, port, env, app=args.app)
    try:
        plan = [
            ("drf", "Django + DRF, no DB (403)", floor, 0.0, args.baseline_seconds),
            ("get", "GET progress (token, 2 reads)", get_progress, 0.0, args.baseline_seconds),
            (
                "fixed",
                f"heartbeats at {args.rate:g}/s (fixed rate)",
                heartbeat,
                args.rate,
                args.seconds,
            ),
            ("max", "heartbeats, as fast as answered", heartbeat, 0.0, args.baseline_seconds),
        ]
        for key, name, make, rate, seconds in plan:
            if key not in wanted:
                continue
            ramp = args.ramp_seconds if rate else 0.0
            warmup = ramp + args.hold_seconds if rate else 3.0
            ramp_note = f" (members join over the first {ramp:g} s)" if ramp else ""
            print(f"--> {name}: {warmup:.0f} s warm-up{ramp_note} + {seconds:g} s", flush=True)
            busy0, total0 = machine_cpu()
            server0, client0, pg0 = cpu_seconds(proc.pid), time.process_time(), postgres_cpu()

            def cpu_now(pid: int = proc.pid) -> tuple[float, ...]:
                return cpu_seconds(pid), time.process_time(), postgres_cpu(), *machine_cpu()

            phase = asyncio.run(
                run_phase(
                    Phase(name),
                    port=port,
                    connections=args.connections,
                    seconds=seconds,
                    make_request=make,
                    rate=rate,
                    warmup=warmup,
                    ramp=ramp,
                    cpu=cpu_now if rate else None,
                    held=lambda: connections_by_worker(proc.pid, port),
                )
            )
            busy1, total1 = machine_cpu()
            wall = warmup + seconds
            if phase.cpu_at_start:
                # The fixed-rate phase: the measured window only.
                server0, client0, pg0, busy0, total0 = phase.cpu_at_start
                wall = seconds
            if phase.warmup and rate:
                step, cells = timeline(phase.warmup, warmup)
                print(f"    warm-up p50/p99 ms by {step:g} s: {cells}", flush=True)
            server_share = (cpu_seconds(proc.pid) - server0) / wall
            client_share = (time.process_time() - client0) / wall
            pg_share = (postgres_cpu() - pg0) / wall
            machine_share = (busy1 - busy0) / max(1.0, total1 - total0) * (os.cpu_count() or 1)
            phases.append((phase, server_share))
            print(
                f"    cores busy: machine {machine_share:.2f}, gunicorn {server_share:.2f}, "
                f"PostgreSQL {pg_share:.2f}, load generator {client_share:.2f}",
                flush=True,
            )
            if rate and phase.ok:
                # Each part's CPU per answered heartbeat: where a heartbeat's cost goes.
                answered = phase.ok / seconds
                print(
                    f"    CPU per heartbeat: gunicorn {server_share / answered * 1000:.2f} ms, "
                    f"PostgreSQL {pg_share / answered * 1000:.2f} ms, load generator "
                    f"{client_share / answered * 1000:.2f} ms, whole machine "
                    f"{machine_share / answered * 1000:.2f} ms",
                    flush=True,
                )
    finally:
        stop_process(proc)
        if not args.keep_db:
            drop_database(args)

    print()
    load_after = os.getloadavg()
    print(
        f"each kind of request, in-process (heartbeats with --auth {args.auth}; "
        f"CPU: median of {KIND_ROUNDS} rounds):"
    )
    for name, cost in kinds.items():
        print(f"    {name:28s} {cost.queries:2d} queries  {cost.cpu_ms:6.2f} ms CPU")
    print(
        f"load average before {load_before[0]:.1f}, after {load_after[0]:.1f} "
        f"({os.cpu_count()} cores; other work on the machine competes for them)"
    )
    floor_rate = 0.0
    header = (
        f"{'phase':42} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7} {'x DRF':>6}"
        f" {'web cores':>9} {'web CPU ms/req':>14} {'conns/worker':>12}"
    )
    print(header)
    print("-" * len(header))
    result_ok = True
    for phase, server_share in phases:
        seconds = phase.ended - phase.started
        rate = phase.ok / seconds if seconds > 0 else 0.0
        expected = {403} if "(403)" in phase.name else set()
        errors = (
            phase.errors
            + phase.unsent
            + sum(n for s, n in phase.statuses.items() if not (200 <= s < 300 or s in expected))
        )
        if "(403)" in phase.name:
            rate = sum(n for s, n in phase.statuses.items() if s == 403) / seconds
            floor_rate = rate
        ratio = rate / floor_rate if floor_rate else float("nan")
        cpu_per_request = server_share / rate * 1000 if rate else float("nan")
        print(
            f"{phase.name:42} {rate:7.0f} {percentile(phase.latencies, 0.5):8.1f} "
            f"{percentile(phase.latencies, 0.99):8.1f} {errors:7d} {ratio:6.2f}"
            f" {server_share:9.2f} {cpu_per_request:14.2f} {'/'.join(map(str, phase.held)):>12}"
        )
        if "fixed rate" in phase.name:
            result_ok = (
                errors == 0 and rate >= 0.98 * args.rate and percentile(phase.latencies, 0.99) < 100
            )
            if phase.statuses:
                print(f"{'':42} statuses: {dict(sorted(phase.statuses.items()))}")
            step, cells = timeline(zip(phase.due, phase.latencies, strict=True), seconds)
            print(f"{'':42} p50/p99 ms by {step:g} s: {cells}")
    if "fixed" not in wanted:
        return 0
    target = f"target {args.rate:g}/s with p99 < 100 ms and no errors"
    print(f"\n{target}: {'MET' if result_ok else 'NOT MET'}")
    return 0 if result_ok else 1


if __name__ == "__main__":
    sys.exit(main())
