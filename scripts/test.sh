#!/usr/bin/env bash
# Installs nhiscan with its test dependencies and the system packages the tests drive (Chromium,
# poppler-utils), then runs the linters and the test suite.
# Usage: bash scripts/test.sh [pytest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh --test
bash scripts/fetch-test-schemas.sh
python3 -m pip install --quiet --disable-pip-version-check -e ".[test]"
python3 -m ruff check .
python3 -m ruff format --check .
python3 -m mypy
python3 -m pytest "$@"
