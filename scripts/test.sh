#!/usr/bin/env bash
# Installs nhiscan with its test dependencies into a virtual environment of its own
# (.cache/test-venv, or $NHISCAN_TEST_VENV), so a user's installed nhiscan is never replaced, adds
# the system packages the tests drive (Chromium, poppler-utils, PostgreSQL), then runs the linters
# and the test suite with that environment's Python.
# Usage: bash scripts/test.sh [pytest arguments]   (NHISCAN_SKIP_LINT=1: pytest only)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh --test
bash scripts/fetch-test-schemas.sh
venv=${NHISCAN_TEST_VENV:-.cache/test-venv}
if [[ ! -x "$venv/bin/python" ]]; then
  # system site packages: what the base Python already has is reused, never modified
  "${NHISCAN_PYTHON:-python3}" -m venv --system-site-packages "$venv"
fi
python="$venv/bin/python"
"$python" -m pip install --quiet --disable-pip-version-check -e ".[test]"
if [[ -z "${NHISCAN_SKIP_LINT:-}" ]]; then
  "$python" -m ruff check .
  "$python" -m ruff format --check .
  "$python" -m mypy
fi
"$python" -m pytest "$@"
