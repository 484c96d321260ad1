#!/usr/bin/env python
"""How fast the public certificate verification page answers, on the server.

    .venv/bin/python scripts/bench_verify.py                         # SQLite (a temp file)
    DATABASE_URL=postgres://... .venv/bin/python scripts/bench_verify.py --certificates 20000

What it does: creates a throw-away test database (Django's test database for DATABASE_URL, or a
temporary SQLite file), fills the register with `--certificates` certificates (a tenth of them
revoked), then requests the page through Django's whole stack in this process (middleware,
the shared-cache limit counter, the query, the template), `--requests` times each for a valid
code, a revoked code, an unknown code and a malformed one, each from its own client address so
that the limit does not answer instead. It prints p50/p90/p99 per kind in milliseconds, and
two calibration figures to compare machines by: a fixed pure-Python workload, and the same
page without a code (no query, no counter: what Django and the template cost here).
The goal (issue 22) is p50 under 50 ms.
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    if not os.environ.get("DATABASE_URL"):
        folder = tempfile.mkdtemp(prefix="bench-verify-")
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings.test")
    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # 404s are expected here
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_databases, teardown_databases
    from django.utils import timezone

    settings.CERTIFICATE_VERIFY_LIMIT = 10**9  # measured here: the counter's cost, not its refusals
    settings.DEBUG = False
    names = setup_databases(verbosity=0, interactive=False)
    try:
        call_command("createcachetable", verbosity=0)
        from lms.accounts.models import User
        from lms.certificates.codes import code_new
        from lms.certificates.models import Certificate
        from tests.factories import CourseFactory

        course = CourseFactory(title="QA관리사 기초")
        member = User.objects.create_user(email="bench@example.com", display_name="홍길동")
        now = timezone.now()
        rows = [
            Certificate(
                code=code_new(),
                serial=i + 1,
                kind="course",
                user=member if i == 0 else None,
                course=course if i == 0 else None,
                name=f"회원{i}",
                title="QA관리사 기초",
                rule="community",
                completed_at=now,
                study_seconds=3600 + i,
                issued_at=now,
                revoked_at=now if i % 10 == 9 else None,
                revoke_reason="bench" if i % 10 == 9 else "",
            )
            for i in range(args.certificates)
        ]
        Certificate.objects.bulk_create(rows, batch_size=1000)
        valid = rows[0].code
        revoked = rows[9].code

        kinds = {
            "no code (floor)": "/verify/",
            "valid": f"/c/{valid}/",
            "revoked": f"/c/{revoked}/",
            "unknown": "/c/KCA-0000-0000-0000-0000/",
            "malformed": "/c/%3Cscript%3E/",
        }
        print(f"database: {connection.vendor}, {args.certificates} certificates")
        print(f"calibration: fixed CPU workload {calibration_ms():.1f} ms (median of 5)")
        print(f"{'kind':<16} {'status':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8}")
        for kind, url in kinds.items():
            samples = []
            status = 0
            for i in range(args.requests + 20):
                client = Client(REMOTE_ADDR=f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}")
                start = time.perf_counter()
                response = client.get(url)
                elapsed = (time.perf_counter() - start) * 1000
                status = response.status_code
                if i >= 20:  # the first ones warm caches and compile templates
                    samples.append(elapsed)
            p50, p90, p99 = percentiles(samples)
            print(f"{kind:<16} {status:>6} {p50:>8.2f} {p90:>8.2f} {p99:>8.2f}")
    finally:
        teardown_databases(names, verbosity=0)


if __name__ == "__main__":
    main()
