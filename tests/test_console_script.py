"""The installed console script, run as a user runs it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# pip puts console scripts beside the interpreter that installed them
NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or shutil.which("nhiscan")
pytestmark = pytest.mark.skipif(
    NHISCAN is None and not os.environ.get("CI"), reason="the package is not installed (pip install .)"
)


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([NHISCAN, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def test_scan_demo_from_a_fresh_directory(tmp_path: Path) -> None:
    completed = run("scan", "demo", cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr
    out = tmp_path / "nhiscan-out"
    assert {p.name for p in out.iterdir()} == {"report.html", "report.pdf", "results.json", "inventory.json"}
    assert json.loads((out / "results.json").read_text())["tool"]["name"] == "nhiscan"


def test_exit_codes_through_the_real_script(tmp_path: Path) -> None:
    assert run("scan", "demo", "--fail-on", "none", "-q", cwd=tmp_path).returncode == 0
    bad = run("scan", "inventory:missing.json", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "nhiscan: error: missing.json: no such file"
    assert run("--version", cwd=tmp_path).stdout.startswith("nhiscan, version ")
