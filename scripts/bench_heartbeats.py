#!/usr/bin/env python
"""Load test of the progress heartbeat: gunicorn (lms/gunicorn_conf.py) + PostgreSQL + Redis,
all on this machine, the load generator included.

    .venv/bin/python scripts/bench_heartbeats.py                  # 3 runs of 10,000 members, 5 min
    .venv/bin/python scripts/bench_heartbeats.py --runs 1 --seconds 30 --members 1000  # quick

Each run:
1. makes a fresh PostgreSQL database (`--db-name`), migrates it, and seeds `--members` members
   part-way through lectures of 10 minutes (a progress row, a known player session, a credit
   clock: what a watching member has), each with the signed key a lecture page gives its
   player; it counts the statements of one usual heartbeat in-process;
2. starts gunicorn with the platform's settings (production Django settings, the throttle
   counted in Redis as in production) and measures, as fast as answered over `--connections`
   keep-alive connections:
   - `calibration`: a bare WSGI app under the same gunicorn: this host's speed right now;
   - `no-db`: an API request through Django, its middleware and DRF that touches no database
     (an unauthenticated GET the permission check refuses): the floor the ratio is taken to;
   - `commits`: the disk right now, as the latency of a one-row UPDATE + COMMIT (every
     heartbeat waits for its COMMIT's WAL flush);
3. `watching`: every member sends a heartbeat every `--interval` seconds (the player's send
   interval) with what it played at 1x since its previous one, for `--seconds` after a ramp
   of `--ramp-seconds` (members joining) and `--hold-seconds`; latency is counted from each
   request's due time, so a server that falls behind shows it; a member moves to the next
   lecture at the end of one (completions and new sessions at their natural rate);
4. `hb-max`: heartbeats as fast as answered, and their ratio to `no-db`;
5. checks the stored coverage of every member against what the server acknowledged.

It prints one line per phase (rate, p50, p99, errors), where the CPU went per request (the
web processes, PostgreSQL, Redis, this generator, and everything else on the host: other work
on a shared machine shows there), PostgreSQL's checkpoints during `watching`, and the run's
verdict against the
targets: 0 errors, p99 < 200 ms in `watching`, every report stored, ratio >= 0.5. Figures and
their history: docs/performance.md.
"""

import argparse
import asyncio
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
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
HEARTBEATS = "/api/v1/progress/heartbeats"
NO_DB = "/api/v1/progress/lectures/1"
LOG_FILE = ROOT / "var" / "bench" / "gunicorn.log"
# One secret for every run: this process signs the members' keys with it (Django's settings
# are read once).
SECRET = secrets.token_urlsafe(40)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="runs in a row")
    p.add_argument("--members", type=int, default=10_000)
    p.add_argument(
        "--interval", type=float, default=60.0, help="a member's send interval, s (the player's)"
    )
    p.add_argument("--seconds", type=float, default=300, help="measured window of `watching`")
    p.add_argument("--ramp-seconds", type=float, default=30)
    p.add_argument("--hold-seconds", type=float, default=30)
    p.add_argument("--baseline-seconds", type=float, default=20, help="each closed-loop phase")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--lectures", type=int, default=30)
    p.add_argument("--lecture-seconds", type=int, default=600)
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--threads", type=int, default=4)
    p.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    p.add_argument("--db-name", default="lms_bench")
    return p.parse_args()


def server_env(args: argparse.Namespace, secret: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "lms.settings.production",
            "DATABASE_URL": f"{args.pg}/{args.db_name}",
            "CACHE_URL": args.redis,
            "SECRET_KEY": secret,
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "DEBUG": "false",
            "SECURE_SSL_REDIRECT": "false",
            "SESSION_COOKIE_SECURE": "false",
            "CSRF_COOKIE_SECURE": "false",
            "SECURE_HSTS_SECONDS": "0",
            "LMS_VAR_DIR": str(ROOT / "var" / "bench"),
            # Django logs each refused request of `no-db` as a warning: not measured.
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


# Members


@dataclass
class Member:
    user_id: int
    key: str  # the signed key a lecture page gives its player
    lecture: int  # index into the lecture list
    position: float
    session: str
    seq: int = 1
    last: float = 0.0  # when the previous report was made (monotonic); 0: not yet
    pending: list[list[float]] = field(default_factory=list)  # played, not acknowledged
    in_flight: list[list[float]] = field(default_factory=list)
    busy: bool = False
    # What the server acknowledged, per lecture index: covered seconds (contiguous at 1x).
    acked: dict[int, float] = field(default_factory=dict)


def seed(args: argparse.Namespace) -> tuple[list[int], list[Member], int]:
    """Members part-way through a lecture (row, session, credit clock), a course of lectures,
    and the statements of one usual heartbeat counted in-process."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lms.accounts.models import User
    from lms.catalog.models import Category, Course, Lecture, Status
    from lms.learning.auth import heartbeat_key_make
    from lms.learning.models import CourseProgress, HeartbeatSession, LectureProgress, MemberCredit

    rng = random.Random(7)
    now = timezone.now()
    category = Category.objects.create(slug="bench", title="벤치", title_en="Bench")
    published = {"status": Status.PUBLISHED, "publish_at": now - timedelta(days=1)}
    course = Course.objects.create(category=category, slug="bench", title="벤치 강좌", **published)
    lectures = Lecture.objects.bulk_create(
        Lecture(
            course=course,
            position=i,
            title=f"강의 {i}",
            duration_seconds=args.lecture_seconds,
            **published,
        )
        for i in range(1, args.lectures + 1)
    )
    users = User.objects.bulk_create(
        User(email=f"bench{i}@example.com", password="!") for i in range(args.members)
    )
    MemberCredit.objects.bulk_create(
        [MemberCredit(user=u, clock=now - timedelta(seconds=60)) for u in users], batch_size=2000
    )
    members, rows, sessions = [], [], []
    for user in users:
        lecture = rng.randrange(args.lectures)
        position = round(rng.uniform(0, args.lecture_seconds * 0.8), 3)
        member = Member(user.pk, heartbeat_key_make(user), lecture, position, str(uuid.uuid4()))
        member.acked[lecture] = position
        members.append(member)
        sessions.append(
            HeartbeatSession(id=uuid.UUID(member.session), user=user, lecture=lectures[lecture])
        )
        rows.append(
            LectureProgress(
                user=user,
                lecture=lectures[lecture],
                coverage=[[0.0, position]] if position else [],
                covered_seconds=position,
                credited_seconds=position,
                furthest_position=position,
                position=position,
                sessions=[[member.session, 0]],
            )
        )
    LectureProgress.objects.bulk_create(rows, batch_size=2000)
    HeartbeatSession.objects.bulk_create(sessions, batch_size=2000)
    CourseProgress.objects.bulk_create(
        [CourseProgress(user=user, course=course) for user in users], batch_size=2000
    )
    lecture_ids = [x.pk for x in lectures]

    # One usual heartbeat in-process, twice (the first remembers the key and the lecture).
    probe = members[0]
    client = Client()
    for _ in range(2):
        played = [probe.position, probe.position + 0.5]
        body = report_body(probe, lecture_ids, [played])
        with CaptureQueriesContext(connection) as queries:
            answer = client.post(
                HEARTBEATS,
                body,
                content_type="application/json",
                HTTP_AUTHORIZATION=f"Heartbeat {probe.key}",
            )
        assert answer.status_code == 200, answer.content
        probe.position += 0.5
        probe.acked[probe.lecture] = probe.position
        probe.seq += 1
    statements = [q["sql"].split()[0] for q in queries.captured_queries]
    return lecture_ids, members, len([s for s in statements if s not in ("BEGIN", "COMMIT")])


def report_body(member: Member, lecture_ids: list[int], ranges: list[list[float]]) -> bytes:
    return json.dumps(
        {
            "reports": [
                {
                    "lecture": lecture_ids[member.lecture],
                    "session": member.session,
                    "seq": member.seq,
                    "ranges": ranges,
                    "position": member.position,
                    "rate": 1.0,
                    "sent_at": datetime.now(UTC).isoformat(),
                }
            ]
        }
    ).encode()


class Watching:
    """Each member's next heartbeat: what it played at 1x since its previous one (and what
    the server has not acknowledged yet), moving to the next lecture at the end of one."""

    def __init__(self, members: list[Member], lecture_ids: list[int], duration: int) -> None:
        from lms.learning.rules import CREDIT_CARRY_SECONDS

        self.members, self.lecture_ids, self.duration = members, lecture_ids, duration
        self.carry = CREDIT_CARRY_SECONDS
        self.turn = 0
        self.stale = 0  # reports left unacknowledged at the end (a member still busy)

    def next_member(self) -> Member:
        for _ in range(len(self.members)):
            member = self.members[self.turn % len(self.members)]
            self.turn += 1
            if not member.busy:
                return member
        raise RuntimeError("every member has a request in flight")

    def request(self, member: Member) -> bytes:
        now = time.monotonic()
        # At most the server's carry-over (a member whose previous request waited long).
        played = min(now - member.last, self.carry) if member.last else 1.0
        member.last = now
        if member.position >= self.duration:
            self._next_lecture(member)
        end = min(member.position + played, float(self.duration))
        if end > member.position:
            member.pending.append([round(member.position, 3), round(end, 3)])
        member.position = end
        member.in_flight, member.pending = member.pending, []
        member.busy = True
        body = report_body(member, self.lecture_ids, member.in_flight)
        member.seq += 1
        return http_request("POST", HEARTBEATS, f"Heartbeat {member.key}", body)

    def _next_lecture(self, member: Member) -> None:
        member.lecture = (member.lecture + 1) % len(self.lecture_ids)
        member.position = 0.0
        member.session = str(uuid.uuid4())
        member.seq = 1
        member.acked[member.lecture] = 0.0

    def answered(self, member: Member, status: int) -> None:
        member.busy = False
        if status == 200:
            for _start, end in member.in_flight:
                # Contiguous at 1x from where the member started: [0, end] is covered.
                member.acked[member.lecture] = max(member.acked.get(member.lecture, 0.0), end)
        else:
            member.pending = member.in_flight + member.pending  # as the player keeps them
        member.in_flight = []


def coverage_check(members: list[Member], lecture_ids: list[int]) -> tuple[int, int, float]:
    """Members whose stored coverage differs from what the server acknowledged, members
    checked, and the acknowledged seconds in all."""
    from lms.learning.models import LectureProgress

    stored: dict[tuple[int, int], list[list[float]]] = {
        (r.user_id, r.lecture_id): r.coverage
        for r in LectureProgress.objects.only("user_id", "lecture_id", "coverage").iterator(
            chunk_size=5000
        )
    }
    wrong, total = 0, 0.0
    for member in members:
        for index, end in member.acked.items():
            total += end
            coverage = stored.get((member.user_id, lecture_ids[index]), [])
            covered_end = coverage[0][1] if len(coverage) == 1 and coverage[0][0] == 0 else None
            if end == 0 and not coverage:
                continue
            if covered_end is None or abs(covered_end - end) > 0.002:
                wrong += 1
                break
    return wrong, len(members), total


# The load generator: HTTP/1.1 keep-alive connections on one asyncio loop


def http_request(method: str, path: str, auth: str | None, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    if auth:
        head += f"Authorization: {auth}\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0  # connection failures and answers later than 10 s
    seconds: float = 0.0

    @property
    def sent(self) -> int:
        return sum(self.statuses.values()) + self.errors

    def bad(self, expected: int) -> int:
        return self.errors + sum(n for s, n in self.statuses.items() if s != expected)


class Connection(asyncio.Protocol):
    """One keep-alive connection: sends a request, reads the status line, headers and the
    Content-Length body, and tells its driver."""

    def __init__(self, driver: "Driver") -> None:
        self.driver = driver
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.due = 0.0
        self.sent = 0.0
        self.member: Member | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def send(self, due: float, member: Member | None, request: bytes) -> None:
        assert self.transport is not None
        self.due, self.member, self.sent = due, member, self.driver.loop.time()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return
        head = bytes(self.buffer[:end]).lower()
        at = head.find(b"\r\ncontent-length:")
        length = int(head[at + 17 :].split(b"\r\n", 1)[0]) if at >= 0 else 0
        if len(self.buffer) < end + 4 + length:
            return
        del self.buffer[: end + 4 + length]
        self.driver.answered(self, int(head[9:12]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self.driver.lost(self)


class Driver:
    """A phase's requests over keep-alive connections: closed loop (`rate` 0: a connection
    sends again as soon as it has its answer) or at a fixed arrival rate (each request due at
    its time, latency counted from then), ramped up over `ramp` seconds."""

    def __init__(
        self,
        phase: Phase,
        port: int,
        make: Any,
        *,
        connections: int,
        seconds: float,
        rate: float = 0.0,
        ramp: float = 0.0,
        warmup: float = 0.0,
        on_answer: Any = None,
    ) -> None:
        self.loop = asyncio.get_running_loop()
        self.phase, self.port, self.make, self.on_answer = phase, port, make, on_answer
        self.n, self.rate, self.ramp = connections, rate, ramp
        self.start = self.loop.time()
        self.measure_from = self.start + warmup
        self.stop = self.measure_from + seconds
        self.idle: deque[Connection] = deque()
        self.busy: set[Connection] = set()
        self.due: deque[float] = deque()
        self.scheduled = 0
        self.requests = 0  # sent, warm-up included (the CPU readings span the whole phase)

    async def run(self) -> Phase:
        for _ in range(self.n):
            await self.open()
        while True:
            self.dispatch()
            now = self.loop.time()
            for conn in [c for c in self.busy if now - c.sent > 10]:
                assert conn.transport is not None
                conn.transport.abort()  # counted as an error in lost()
            if now >= self.stop and not self.busy and not self.due:
                break
            # Wake for the next request due (an answer dispatches at once, in `answered`):
            # the generator shares the host's two cores with the server it measures.
            wait = 0.05
            if self.rate and now < self.stop:
                due = self.start + _due_time(self.scheduled, self.rate, self.ramp)
                wait = min(wait, max(due - now, 0.0))
            await asyncio.sleep(wait)
        for conn in self.idle:
            assert conn.transport is not None
            conn.transport.close()
        self.phase.seconds = self.stop - self.measure_from
        return self.phase

    def dispatch(self) -> None:
        """Send what is due (`rate`), or keep every connection busy (closed loop)."""
        now = self.loop.time()
        if self.rate:
            upto = _scheduled_by(min(now, self.stop) - self.start, self.rate, self.ramp)
            while self.scheduled < upto:
                self.due.append(self.start + _due_time(self.scheduled, self.rate, self.ramp))
                self.scheduled += 1
        while self.idle and (self.due if self.rate else now < self.stop):
            conn = self.idle.popleft()
            due = self.due.popleft() if self.rate else now
            member, request = self.make()
            self.requests += 1
            self.busy.add(conn)
            conn.send(due, member, request)

    async def open(self) -> None:
        _, conn = await self.loop.create_connection(
            lambda: Connection(self), "127.0.0.1", self.port
        )
        self.idle.append(conn)

    def _record(self, conn: Connection, status: int | None) -> None:
        if conn.member is not None and self.on_answer is not None:
            self.on_answer(conn.member, status or 0)
        if conn.due < self.measure_from:
            return  # the warm-up
        if status is None:
            self.phase.errors += 1
        else:
            self.phase.statuses[status] = self.phase.statuses.get(status, 0) + 1
            self.phase.latencies.append((self.loop.time() - conn.due) * 1000)

    def answered(self, conn: Connection, status: int) -> None:
        self.busy.discard(conn)
        self._record(conn, status)
        self.idle.append(conn)
        self.dispatch()

    def lost(self, conn: Connection) -> None:
        if conn in self.busy:
            self.busy.discard(conn)
            self._record(conn, None)
        if conn in self.idle:
            self.idle.remove(conn)
        if self.loop.time() < self.stop:
            self.loop.create_task(self.open())


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


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# The server


def bare_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The cheapest WSGI answer: what gunicorn and HTTP cost on this host right now."""
    body = b'{"ok": true}'
    start_response(
        "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def start_gunicorn(
    args: argparse.Namespace, port: int, env: dict[str, str], app: str
) -> subprocess.Popen[bytes]:
    argv = [
        str(VENV_BIN / "gunicorn"),
        "--config",
        "python:lms.gunicorn_conf",  # the platform's settings, then this run's
        "--pythonpath",
        str(ROOT / "scripts"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--backlog",
        "2048",
        "--log-level",
        "warning",
        app,
    ]
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    log = open(LOG_FILE, "ab")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        argv, cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # ready when every worker listens on its socket
        if _listening(port) >= args.workers:
            return proc
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited during start-up: see {LOG_FILE}")
        time.sleep(0.2)
    stop_process(proc)
    raise SystemExit("gunicorn did not start within 60 s")


def _listening(port: int) -> int:
    local = f"0100007F:{port:04X}"
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for line in lines if line.split()[1] == local and line.split()[3] == "0A")


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def cpu_seconds(server_pid: int) -> dict[str, float]:
    """CPU seconds used so far, by who used them: the web processes (`server_pid`'s process
    group), PostgreSQL, Redis, this load generator, and everything else on the host (other
    work on a shared machine shows there)."""
    tick = os.sysconf("SC_CLK_TCK")
    used = {"web": 0.0, "postgres": 0.0, "redis": 0.0, "generator": 0.0}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue  # ended meanwhile
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / tick  # utime + stime
        pid, pgid = int(stat.parent.name), int(fields[2])
        if pgid == server_pid:
            used["web"] += seconds
        elif comm.startswith("postgres"):
            used["postgres"] += seconds
        elif comm.startswith("redis"):
            used["redis"] += seconds
        elif pid == os.getpid():
            used["generator"] += seconds
    busy = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    # user nice system idle iowait irq softirq steal: all but idle and iowait
    total = sum(int(v) for i, v in enumerate(busy[:8]) if i not in (3, 4)) / tick
    used["other"] = total - sum(used.values())
    return used


def cpu_line(before: dict[str, float], after: dict[str, float], requests: int) -> str:
    """Where the CPU went between two `cpu_seconds` readings, per request."""
    parts = [
        f"{name} {(after[name] - before[name]) * 1000 / max(requests, 1):.2f}"
        for name in ("web", "postgres", "redis", "generator", "other")
    ]
    return "cpu ms per request: " + ", ".join(parts)


def commit_floor(args: argparse.Namespace, seconds: float = 10.0) -> str:
    """The host's disk right now: 8 threads each committing a one-row UPDATE every 20 ms on
    the benchmark's database, as a heartbeat commits (PostgreSQL waits for its WAL to reach
    the disk before COMMIT returns). Latency of UPDATE + COMMIT, in ms."""
    import threading

    import psycopg

    url = f"{args.pg}/{args.db_name}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_commit_probe (id int PRIMARY KEY, n int NOT NULL)")
        conn.execute("INSERT INTO bench_commit_probe SELECT g, 0 FROM generate_series(1, 8) g")
    latencies: list[float] = []
    stop = time.monotonic() + seconds

    def commit_loop(row: int) -> None:
        with psycopg.connect(url) as conn:
            while time.monotonic() < stop:
                started = time.monotonic()
                conn.execute("UPDATE bench_commit_probe SET n = n + 1 WHERE id = %s", (row,))
                conn.commit()
                latencies.append((time.monotonic() - started) * 1000)
                time.sleep(0.02)

    threads = [threading.Thread(target=commit_loop, args=(i,)) for i in range(1, 9)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE bench_commit_probe")
    return (
        f"{'commits':<12} {len(latencies) / seconds:9,.0f}/s  p50 {percentile(latencies, 0.5):7.1f}"
        f" ms  p99 {percentile(latencies, 0.99):7.1f} ms  max {max(latencies):.1f} ms"
        " (the disk: one-row UPDATE + COMMIT, 8 threads)"
    )


def checkpoints(args: argparse.Namespace) -> int:
    """PostgreSQL's checkpoints so far (timed and requested): each ends by flushing the
    data files, which slows the WAL flushes every COMMIT waits for."""
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        row = conn.execute(
            "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
        ).fetchone()
    return int(row[0]) if row else 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# A run


def line(phase: Phase, expected: int) -> str:
    rate = len(phase.latencies) / phase.seconds if phase.seconds else 0
    return (
        f"{phase.name:<12} {rate:9,.0f}/s  p50 {percentile(phase.latencies, 0.5):7.1f} ms  "
        f"p99 {percentile(phase.latencies, 0.99):7.1f} ms  requests {phase.sent:8,}  "
        f"errors {phase.bad(expected):,}  statuses {dict(sorted(phase.statuses.items()))}"
    )


def one_run(args: argparse.Namespace, number: int) -> dict[str, Any]:
    import django
    import psycopg
    from django.core.management import call_command
    from django.db import connections

    env = server_env(args, SECRET)
    os.environ.update(env)
    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{args.db_name}"')
    django.setup()
    from django.core.cache import cache

    connections.close_all()
    call_command("migrate", verbosity=0)
    cache.clear()
    lecture_ids, members, statements = seed(args)
    connections.close_all()
    print(
        f"run {number}: {len(members):,} members seeded; a usual heartbeat runs {statements}"
        " statements besides BEGIN and COMMIT (in-process)",
        flush=True,
    )

    port = free_port()
    results: dict[str, Any] = {"statements": statements}
    closed = {"connections": args.connections, "seconds": args.baseline_seconds, "warmup": 3}

    server_pid = 0

    async def drive(app: str, phases: Any) -> None:
        nonlocal server_pid
        server = start_gunicorn(args, port, env, app)
        server_pid = server.pid
        try:
            await phases()
        finally:
            stop_process(server)

    async def calibration() -> None:
        bare = http_request("GET", "/", None)
        before = cpu_seconds(server_pid)
        driver = Driver(Phase("calibration"), port, lambda: (None, bare), **closed)
        phase = await driver.run()
        results["calibration"] = len(phase.latencies) / phase.seconds
        print("  " + line(phase, 200), flush=True)
        print(f"    {cpu_line(before, cpu_seconds(server_pid), driver.requests)}", flush=True)

    watching = Watching(members, lecture_ids, args.lecture_seconds)

    async def platform() -> None:
        no_db = http_request("GET", NO_DB, None)
        before = cpu_seconds(server_pid)
        driver = Driver(Phase("no-db"), port, lambda: (None, no_db), **closed)
        phase = await driver.run()
        results["no-db"] = len(phase.latencies) / phase.seconds
        print("  " + line(phase, 403), flush=True)
        print(f"    {cpu_line(before, cpu_seconds(server_pid), driver.requests)}", flush=True)

        def next_heartbeat() -> tuple[Member, bytes]:
            member = watching.next_member()
            return member, watching.request(member)

        rate = len(members) / args.interval
        checkpoints_before = checkpoints(args)
        before = cpu_seconds(server_pid)
        driver = Driver(
            Phase("watching"),
            port,
            next_heartbeat,
            connections=args.connections,
            seconds=args.seconds,
            rate=rate,
            ramp=args.ramp_seconds,
            warmup=args.ramp_seconds + args.hold_seconds,
            on_answer=watching.answered,
        )
        phase = await driver.run()
        results["watching"] = phase
        results["watching-cpu"] = cpu_line(before, cpu_seconds(server_pid), driver.requests)
        print(f"  {line(phase, 200)}  (due {rate:,.0f}/s)", flush=True)
        print(f"    {results['watching-cpu']}", flush=True)
        print(f"    PostgreSQL checkpoints meanwhile: {checkpoints(args) - checkpoints_before}")

        before = cpu_seconds(server_pid)
        driver = Driver(
            Phase("hb-max"), port, next_heartbeat, on_answer=watching.answered, **closed
        )
        phase = await driver.run()
        results["hb-max"] = len(phase.latencies) / phase.seconds
        results["hb-max-errors"] = phase.bad(200)
        print("  " + line(phase, 200), flush=True)
        print(f"    {cpu_line(before, cpu_seconds(server_pid), driver.requests)}", flush=True)

    asyncio.run(drive("bench_heartbeats:bare_app", calibration))
    results["commits"] = commit_floor(args)
    print("  " + results["commits"], flush=True)
    asyncio.run(drive("lms.wsgi:application", platform))

    wrong, checked, acked = coverage_check(members, lecture_ids)
    connections.close_all()
    results.update(wrong=wrong, checked=checked, acked=acked)
    return results


def main() -> int:
    args = parse_args()
    sys.path.insert(0, str(ROOT))
    summaries = []
    for number in range(1, args.runs + 1):
        r = one_run(args, number)
        watching: Phase = r["watching"]
        p99 = percentile(watching.latencies, 0.99)
        ratio = r["hb-max"] / r["no-db"]
        errors = watching.bad(200) + r["hb-max-errors"]
        ok = errors == 0 and p99 < 200 and r["wrong"] == 0 and ratio >= 0.5
        summary = (
            f"run {number}: calibration {r['calibration']:,.0f}/s, no-db {r['no-db']:,.0f}/s, "
            f"hb-max {r['hb-max']:,.0f}/s (ratio {ratio:.2f}); watching "
            f"{len(watching.latencies) / watching.seconds:,.0f}/s p99 {p99:.1f} ms, errors "
            f"{errors}; coverage: {r['checked'] - r['wrong']:,}/{r['checked']:,} members as "
            f"acknowledged ({r['acked']:,.0f} s); {r['statements']} statements per usual "
            f"heartbeat: {'MET' if ok else 'NOT MET'}"
        )
        print(summary, flush=True)
        summaries.append((summary, ok))
    print("\n".join(s for s, _ in summaries))
    return 0 if all(ok for _, ok in summaries) else 1


if __name__ == "__main__":
    sys.exit(main())
