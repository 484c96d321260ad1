#!/usr/bin/env python
"""How fast the home, course and lecture pages answer, on the server.

    .venv/bin/python scripts/bench_pages.py                          # SQLite (a temp file)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lms_bench .venv/bin/python \\
        scripts/bench_pages.py

What it does: creates a throw-away test database (Django's test database for DATABASE_URL, or a
temporary SQLite file), loads the seed catalog (the QA관리사 course's 30 lectures, the
call-center course, the bundle, the special lectures), and gives `--members` members progress
rows on the QA course (member i has watched its first i % 30 + 1 lectures, the last of them
half-way: about 155,000 rows for 10,000 members). Then it requests each page through Django's
whole stack in this process (middleware, sessions, the queries, the templates), `--requests`
times after 20 warm-up requests, as a visitor and as one of those members, and prints p50, p90
and p99 in milliseconds, the number of queries per request and the median time per request
spent waiting on the database (the rest is Python: the ORM building queries, the templates).

Two calibration figures come from the same run, to compare machines and hours by: a fixed
pure-Python workload, and a trivial Django page (the terms of use: a template, no query) through
the same stack. The goal (issue 20) is p50 under 50 ms for each page.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARM_UP = 20


def calibration_ms() -> float:
    """A fixed CPU workload (the median of 5 runs): about 20 ms on a 2024 laptop core."""
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        total = 0
        for i in range(400_000):
            total += i * i % 7
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return at(0.5), at(0.9), at(0.99)


def seed_members(count: int) -> None:
    """`count` members with progress on the QA course, written in bulk."""
    from django.utils import timezone

    from lms.accounts.models import User
    from lms.catalog.models import Course
    from lms.learning.models import CourseProgress, LectureProgress

    course = Course.objects.get(slug="qa-manager-exam")
    lectures = list(course.lectures.order_by("position"))
    now = timezone.now()
    users = User.objects.bulk_create(
        [
            User(email=f"bench{i}@example.com", display_name=f"회원{i}", password="!")
            for i in range(count)
        ],
        batch_size=2000,
    )
    rows: list[LectureProgress] = []
    for i, user in enumerate(users):
        watched = i % len(lectures) + 1
        for lecture in lectures[:watched]:
            last = lecture.position == watched
            seconds = lecture.duration_seconds / 2 if last else lecture.duration_seconds
            rows.append(
                LectureProgress(
                    user=user,
                    lecture=lecture,
                    coverage=[[0, int(seconds * 1000)]],
                    covered_seconds=seconds,
                    credited_seconds=seconds,
                    furthest_position=seconds,
                    position=seconds,
                    completed_at=None if last else now,
                )
            )
        if len(rows) >= 20_000:
            LectureProgress.objects.bulk_create(rows, batch_size=5000)
            rows = []
    LectureProgress.objects.bulk_create(rows, batch_size=5000)
    CourseProgress.objects.bulk_create(
        [CourseProgress(user=user, course=course) for user in users], batch_size=5000
    )


def measure(client, url: str, requests: int) -> tuple[int, int, list[float], list[float]]:
    """Status, queries per request, and per request: the time, and the time spent waiting on
    the database (the driver's execute and fetch, as `execute_wrapper` sees them)."""
    from django.db import connection

    samples = []
    in_database = []
    status = 0
    queries = 0
    for i in range(requests + WARM_UP):
        waited = [0.0, 0]

        def timed(execute, sql, params, many, context, waited=waited):
            start = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                waited[0] += time.perf_counter() - start
                waited[1] += 1

        with connection.execute_wrapper(timed):
            start = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - start) * 1000
        status = response.status_code
        queries = int(waited[1])
        if i >= WARM_UP:  # the first ones warm caches and compile templates
            samples.append(elapsed)
            in_database.append(waited[0] * 1000)
    return status, queries, samples, in_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="bench-pages-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_databases, teardown_databases

    settings.DEBUG = False
    names = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("createcachetable", verbosity=0)
        from lms.accounts.models import User
        from lms.catalog.models import Lecture
        from lms.demo.seed import seed_load_file
        from lms.learning.models import LectureProgress
        from tests.factories import ready_video_asset

        started = time.perf_counter()
        seed_load_file(video=ready_video_asset(duration=624))
        seed_members(args.members)
        if connection.vendor == "postgresql":
            # Statistics, as autovacuum would have gathered them on a live database: right
            # after a bulk insert the planner guesses (docs/performance.md, issue 20).
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        # Member 222 watched 13 lectures: 12 completed, the 13th half-way.
        member = User.objects.get(email="bench222@example.com")
        lectures = Lecture.objects.filter(course__slug="qa-manager-exam").count()
        rows = LectureProgress.objects.count()
        print(
            f"database: {connection.vendor}; {lectures} lectures in the QA course; "
            f"{args.members} members, {rows} progress rows "
            f"(seeded in {time.perf_counter() - started:.0f} s)"
        )
        visitor = Client()
        signed_in = Client()
        signed_in.force_login(member)
        pages = [
            ("floor: terms page", visitor, "/terms/"),
            ("home, visitor", visitor, "/"),
            ("home, member", signed_in, "/"),
            ("course, visitor", visitor, "/courses/qa-manager-exam/"),
            ("course, member", signed_in, "/courses/qa-manager-exam/"),
            ("lecture, member", signed_in, "/courses/qa-manager-exam/lectures/13/"),
        ]
        print(f"calibration: fixed CPU workload {calibration_ms():.1f} ms (median of 5)")
        print(
            f"{'page':<20} {'status':>6} {'queries':>7} {'p50 ms':>8} {'p90 ms':>8} "
            f"{'p99 ms':>8} {'db p50':>8}"
        )
        for name, client, url in pages:
            status, queries, samples, in_database = measure(client, url, args.requests)
            p50, p90, p99 = percentiles(samples)
            db50 = statistics.median(in_database)
            print(
                f"{name:<20} {status:>6} {queries:>7} {p50:>8.2f} {p90:>8.2f} {p99:>8.2f} "
                f"{db50:>8.2f}"
            )
    finally:
        teardown_databases(names, verbosity=0)


if __name__ == "__main__":
    main()
