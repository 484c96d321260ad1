#!/usr/bin/env bash
# Installs what the platform needs into this checkout: a virtual environment with the Python
# packages, the npm packages, and (with --browser) Debian's Chromium for the browser tests.
# Safe to run again: each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

python_bin=${PYTHON:-}
if [ -z "$python_bin" ]; then
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      python_bin=$candidate; break
    fi
  done
fi
[ -n "$python_bin" ] || { echo "setup: Python 3.11 is needed (set PYTHON=/path/to/python3.11)" >&2; exit 1; }

if [ ! -x .venv/bin/python ]; then
  say "creating the virtual environment (.venv)"
  "$python_bin" -m venv .venv
fi
# The exact versions and hashes in requirements.lock (refreshed by scripts/lock.sh), so that a
# fresh clone installs what CI tested. The project itself goes in editable, without resolving
# anything again and with the locked setuptools rather than a fresh, unpinned build backend.
if [ ! -f .venv/.installed ] || [ requirements.lock -nt .venv/.installed ] \
  || [ pyproject.toml -nt .venv/.installed ]; then
  say "installing Python packages (requirements.lock)"
  pip_install=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
  "${pip_install[@]}" --require-hashes -r requirements.lock
  "${pip_install[@]}" --no-deps --no-build-isolation -e .
  touch .venv/.installed
fi

if [ ! -f node_modules/.installed ] || [ package-lock.json -nt node_modules/.installed ]; then
  command -v npm >/dev/null || { echo "setup: npm is needed for the front-end packages" >&2; exit 1; }
  say "installing front-end packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  touch node_modules/.installed
fi

if [ "$want_browser" = 1 ] && ! command -v chromium >/dev/null; then
  say "installing Debian's Chromium for the browser tests"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi

if ! command -v pdffonts >/dev/null || ! command -v pdftotext >/dev/null || ! command -v pdftoppm >/dev/null; then
  say "installing Debian's poppler-utils (the certificate tests read PDFs with pdffonts/pdftotext)"
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq poppler-utils >/dev/null
fi
