"""Running nhiscan as an ordinary user would, on a machine where the tests run as root: root without
the capabilities that let it read anything (setpriv), so the system refuses a folder or file as it
refuses a user. Tests that need it are skipped where the tests do not run as root or setpriv is
missing."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

needs_root_and_setpriv = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None, reason="needs root and setpriv to act as a user"
)


def scan_as_a_user(source: str, out: Path) -> subprocess.CompletedProcess[str]:
    """``nhiscan scan SOURCE --format json -o OUT --no-history --fail-on none -q`` as a user."""
    command = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--inh-caps", "-all",
               sys.executable, "-m", "scanner.cli", "scan", source, "--format", "json",
               "-o", str(out), "--no-history", "--fail-on", "none", "-q"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)
