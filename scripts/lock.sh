#!/usr/bin/env bash
# Writes requirements.lock: the exact version and the hashes of every Python package that
# scripts/setup.sh installs (pyproject.toml's dependencies, its dev extra, and the build
# backend the editable install uses), so that a fresh clone installs what CI tested, whatever
# was released since. pip-tools does it from a throwaway virtual environment.
#
#   scripts/lock.sh                          after editing pyproject.toml: adds what is new,
#                                            keeps every other pin as it is
#   scripts/lock.sh --upgrade                every package to the newest release allowed
#   scripts/lock.sh --upgrade-package NAME   that package (and what it needs) only
#
# Other arguments go to pip-compile. Commit the lock with the change that needed it; the next
# scripts/setup.sh installs it.
set -euo pipefail
cd "$(dirname "$0")/.."

python_bin=${PYTHON:-python3.11}
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
"$python_bin" -m venv "$tools"
"$tools/bin/python" -m pip install --quiet --disable-pip-version-check "pip-tools==7.7.0"

# --all-build-deps --allow-unsafe: setuptools (the build backend) and pip are pinned too,
# since setup.sh builds the editable install without a fresh, unpinned build environment.
CUSTOM_COMPILE_COMMAND="scripts/lock.sh" "$tools/bin/pip-compile" \
  --quiet --generate-hashes --allow-unsafe --all-build-deps --extra dev --strip-extras \
  --no-emit-index-url --no-emit-find-links \
  --output-file requirements.lock "$@" pyproject.toml
