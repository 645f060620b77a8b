"""The command line as a person and a script meet it, through the installed console script: help
that is whole, tables that never cut a cell, listings for scripts, progress with phases."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest

NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or shutil.which("nhiscan")
pytestmark = pytest.mark.skipif(NHISCAN is None, reason="the console script is installed by scripts/test.sh")
CONTROLS = Path(__file__).resolve().parent.parent / "controls"


def run(*args: str, cwd: Path | None = None, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([NHISCAN, *args], cwd=cwd, capture_output=True, text=True, timeout=300, check=False, env=env)


def run_on_a_terminal(*args: str, cwd: Path, columns: int = 80) -> tuple[int, str]:
    """Run with stdout and stderr on a pseudo-terminal of ``columns`` columns; all it printed."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["TERM"] = "xterm-256color"
    process = subprocess.Popen([NHISCAN, *args], cwd=cwd, stdout=follower, stderr=follower, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    shown = b"".join(chunks).decode("utf-8", "replace")
    return process.wait(timeout=300), re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown)  # colours and cursor moves


def test_help_shows_whole_command_descriptions() -> None:
    shown = run("--help").stdout
    commands = shown.split("Commands:", 1)[1].strip().splitlines()
    assert len(commands) == 8
    assert all(line.rstrip().endswith(".") and "..." not in line for line in commands), commands


def test_scan_help_lists_the_formats_and_the_exit_codes() -> None:
    shown = " ".join(run("scan", "--help").stdout.split())
    assert "Formats (--format): csv, html, json, junit, md, ocsf, pdf, sarif." in shown
    for line in ("0 the gate passed", "1 unwaived failures at or above --fail-on", "2 bad usage", "3 a source"):
        assert line in shown
    assert "-o, --output-dir" in shown


def test_scan_accepts_o_like_report_and_inventory(tmp_path: Path) -> None:
    done = run("scan", "demo", "--format", "json", "-q", "--no-history", "-o", "elsewhere", cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert (tmp_path / "elsewhere" / "results.json").exists()


def test_controls_show_is_case_insensitive_and_keeps_the_files_indentation() -> None:
    shown = run("controls", "show", "nhi-own-003").stdout
    assert shown.startswith("NHI-OWN-003 ")
    written = (CONTROLS / "ownership" / "NHI-OWN-003.yaml").read_text()
    where = written[written.index("where:") : written.index("require:")].rstrip()
    assert where in shown


def test_an_unknown_control_lists_near_matches() -> None:
    done = run("controls", "show", "NHI-CRD-001")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("nhiscan: error: no control NHI-CRD-001; did you mean NHI-CRED-001")


def test_listings_for_scripts_as_json_and_csv(tmp_path: Path) -> None:
    controls = json.loads(run("controls", "list", "--format", "json").stdout)
    assert {"id", "severity", "resource", "title", "frameworks"} <= set(controls[0])
    assert len(controls) == len(list(CONTROLS.rglob("NHI-*.yaml")))
    rows = list(csv.DictReader(io.StringIO(run("controls", "list", "--format", "csv").stdout)))
    assert [r["id"] for r in rows] == [c["id"] for c in controls]

    frameworks = json.loads(run("frameworks", "list", "--format", "json").stdout)
    assert all(f["assessed"] + f["evidence_only"] <= f["items"] for f in frameworks)
    first = frameworks[0]["id"]
    items = list(csv.DictReader(io.StringIO(run("frameworks", "show", first, "--format", "csv").stdout)))
    assert len(items) == frameworks[0]["items"] and {r["framework"] for r in items} == {first}
    assert sum(1 for r in items if r["status"] == "assessed") == frameworks[0]["assessed"]

    db = f"sqlite:///{tmp_path / 'h.db'}"
    run("scan", "demo", "--format", "json", "-q", "--db", db, "-o", str(tmp_path / "out"))
    history = json.loads(run("history", "--db", db, "--format", "json").stdout)
    assert len(history) == 1 and history[0]["critical"] > 0 and history[0]["passed"] is False
    assert (
        next(csv.DictReader(io.StringIO(run("history", "--db", db, "--format", "csv").stdout)))["id"]
        == history[0]["id"]
    )


@pytest.mark.parametrize("command", [("controls", "list"), ("frameworks", "list"), ("frameworks", "show", "csa-aicm")])
def test_tables_never_cut_cells_piped_or_on_80_columns(command: tuple[str, ...], tmp_path: Path) -> None:
    piped = run(*command).stdout
    assert "…" not in piped
    status, on_terminal = run_on_a_terminal(*command, cwd=tmp_path)
    assert status == 0 and "…" not in on_terminal
    assert max(len(line) for line in on_terminal.splitlines()) <= 81  # 80 and the carriage return


def test_the_scan_summary_is_whole_on_80_columns_and_shows_its_phases(tmp_path: Path) -> None:
    status, shown = run_on_a_terminal("scan", "demo", "--format", "json", "--no-history", cwd=tmp_path)
    assert status == 1
    assert "…" not in shown
    assert "✓ collected 2 AWS accounts" in shown and "identities" in shown
    assert "[2/3] evaluate" in shown or "[3/3] write" in shown, "a phase on the spinner line"
