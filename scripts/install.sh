#!/usr/bin/env bash
# Installs nhiscan and the system packages its PDF report needs.
# Usage: bash scripts/install.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup-system.sh
python3 -m pip install --quiet --disable-pip-version-check .
