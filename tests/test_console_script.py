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
    # 0: the gate passed
    assert run("scan", "demo", "--fail-on", "none", "-q", cwd=tmp_path).returncode == 0
    # 1: unwaived failures at or above --fail-on
    assert run("scan", "demo", "--fail-on", "critical", "-q", "--format", "json", cwd=tmp_path).returncode == 1
    # 2: bad input or usage, one line
    bad = run("scan", "inventory:missing.json", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.strip() == "nhiscan: error: missing.json: no such file"
    wrong_format = run("scan", "demo", "--format", "html,xlsx", cwd=tmp_path)
    assert wrong_format.returncode == 2 and "unknown format xlsx" in wrong_format.stderr
    # 3: a source read only partly, unless --allow-partial
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / "mcp.json").write_text('{"servers": {"broken": ')
    (repository / "ok.nhiscan.yaml").write_text("nhiscan: agent/v1\nname: ok\nowner: a@example.com\n")
    partial = ("scan", f"manifests:{repository}", "--fail-on", "none", "-q", "--format", "json")
    assert run(*partial, cwd=tmp_path).returncode == 3
    assert run(*partial, "--allow-partial", cwd=tmp_path).returncode == 0
    assert run("--version", cwd=tmp_path).stdout.startswith("nhiscan, version ")


def _read_one_line_and_close(*args: str, cwd: Path) -> tuple[int, str]:
    """Run the script as ``nhiscan ARGS | head -1`` does: read a line, close the pipe, wait."""
    process = subprocess.Popen([NHISCAN, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read().decode()
    return process.wait(timeout=120), errors


def test_a_reader_that_stops_early_changes_neither_the_exit_code_nor_what_is_written(tmp_path: Path) -> None:
    """A pager or ``head`` that quits closes the pipe: the rest of the output is dropped, and the
    command still finishes its work and exits with its own code (before: exit 1, "found problems",
    and a diff's -o file never written)."""
    db = f"sqlite:///{tmp_path / 'h.db'}"
    code, errors = _read_one_line_and_close("scan", "demo", "--fail-on", "none", "--db", db, "-o", "a", cwd=tmp_path)
    assert (code, errors) == (0, "")
    assert {p.name for p in (tmp_path / "a").iterdir()} == {
        "report.html",
        "report.pdf",
        "results.json",
        "inventory.json",
    }
    code, _ = _read_one_line_and_close("scan", "demo", "--fail-on", "high", "--db", db, "-o", "b", cwd=tmp_path)
    assert code == 1, "the gate's own answer"
    assert len(json.loads(run("history", "--db", db, "--format", "json", cwd=tmp_path).stdout)) == 2
    code, errors = _read_one_line_and_close(
        "diff", "a/results.json", "b/results.json", "--fail-on", "critical", "-o", "drift.json", cwd=tmp_path
    )
    assert (code, errors) == (0, "") and json.loads((tmp_path / "drift.json").read_text())


def _run_without(descriptors: tuple[int, ...], *args: str, cwd: Path) -> int:
    """Run the script as ``nhiscan ARGS >&- 2>&- <&-`` does: with those descriptors closed."""

    def close() -> None:
        for descriptor in descriptors:
            os.close(descriptor)

    return subprocess.run([NHISCAN, *args], cwd=cwd, preexec_fn=close, timeout=120, check=False).returncode


@pytest.mark.parametrize("closed", [(1,), (2,), (0,), (0, 1, 2)], ids=["stdout", "stderr", "stdin", "all three"])
def test_a_command_started_without_a_standard_stream_runs_as_with_it(tmp_path: Path, closed: tuple[int, ...]) -> None:
    """Reader: ``nhiscan scan demo >&-`` (a cron line that closes what it does not read) ended in
    an internal error, exit 4: Python leaves sys.stdout None. It now runs and exits as it does with
    the stream, and what it would have printed lands in no file it writes (a closed descriptor is
    the next file's)."""
    assert _run_without(closed, "scan", "demo", "--fail-on", "high", "-o", "out", cwd=tmp_path) == 1
    out = tmp_path / "out"
    assert {p.name for p in out.iterdir()} == {"report.html", "report.pdf", "results.json", "inventory.json"}
    assert json.loads((out / "results.json").read_text())["tool"]["name"] == "nhiscan"
    assert json.loads((out / "inventory.json").read_text())["schema_version"]
    assert _run_without(closed, "scan", "inventory:missing.json", cwd=tmp_path) == 2
