#!/usr/bin/env bash
# Runs the whole test suite: lint, then pytest on SQLite and on PostgreSQL.
# PostgreSQL: DATABASE_URL_POSTGRES (default postgres://postgres@127.0.0.1:5432/lms).
# Extra arguments go to pytest (e.g. scripts/test.sh -k course).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --browser

py=.venv/bin/python
echo "==> ruff"
.venv/bin/ruff check .
.venv/bin/ruff format --check .
echo "==> the design's own rules (scripts/lint_rules.py)"
$py scripts/lint_rules.py
echo "==> import layers and circles (import-linter, contracts in pyproject.toml)"
.venv/bin/lint-imports
echo "==> mypy (lms and media_pipeline, django-stubs)"
.venv/bin/mypy

# Four processes on two cores: the browser tests wait on real-time playback and the live
# server more than on the CPU (a browser subset took 212 s with four against 242 s with two).
jobs=${PYTEST_JOBS:-4}
# Tests handed out two at a time as workers free up, rather than in large chunks, so that the
# slow tests, which run first (tests/conftest.py), spread over every worker.
xdist=(-n "$jobs" --maxschedchunk 2)

echo "==> pytest on SQLite"
env -u DATABASE_URL .venv/bin/pytest -p no:cacheprovider "${xdist[@]}" "$@"

pg_url=${DATABASE_URL_POSTGRES:-postgres://postgres@127.0.0.1:5432/lms}
if $py - "$pg_url" <<'PY'
import sys, psycopg
try:
    psycopg.connect(sys.argv[1].rsplit("/", 1)[0] + "/postgres", connect_timeout=3).close()
except Exception as exc:
    print(f"PostgreSQL not reachable: {exc}", file=sys.stderr)
    sys.exit(1)
PY
then
  echo "==> pytest on PostgreSQL (media_pipeline/ has no database: it ran above)"
  DATABASE_URL=$pg_url .venv/bin/pytest -p no:cacheprovider "${xdist[@]}" \
    --ignore=tests/media_pipeline "$@"
elif [ -n "${CI:-}" ]; then
  echo "PostgreSQL is required in CI" >&2; exit 1
else
  echo "!! PostgreSQL is not running here: the PostgreSQL half of the suite was skipped." >&2
fi
