#!/usr/bin/env bash
# Starts the whole platform on http://127.0.0.1:8000 in the embedded mode (SQLite, local file
# storage, a filesystem queue): installs what is missing, migrates, loads the seed catalog and
# the demo accounts, then runs the web server and the Celery worker until Ctrl-C.
# Running it again keeps the data (it lives in var/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-lms.settings.embedded}
port=${PORT:-8000}
py=.venv/bin/python
export LMS_VAR_DIR=${LMS_VAR_DIR:-$PWD/var}
mkdir -p "$LMS_VAR_DIR"/broker/{queue,processed,control} "$LMS_VAR_DIR/media"

$py manage.py migrate --noinput -v0
$py manage.py createcachetable
$py manage.py collectstatic --noinput -v0
accounts=$($py manage.py bootstrap_demo --site-domain "127.0.0.1:$port")
mail=$($py manage.py mail_destination --base-url "http://127.0.0.1:$port")

pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

# One worker for both queues with the scheduler embedded (-B): right for one small machine.
.venv/bin/celery -A lms worker -B -Q default,transcode --concurrency 2 \
  --schedule "$LMS_VAR_DIR/celerybeat-schedule" -l warning &
pids+=($!)
.venv/bin/gunicorn --config python:lms.gunicorn_conf --bind "127.0.0.1:$port" --workers 2 \
  --access-logfile - &
pids+=($!)

sleep 2
echo
echo "The platform runs on http://127.0.0.1:$port/  (admin: http://127.0.0.1:$port/admin/)"
echo "$accounts"
echo "$mail"
echo "Stop it with Ctrl-C."
wait -n "${pids[@]}"
