"""A manifests folder nhiscan may not read, or whose .git it may not read, as an ordinary user
meets it: the scan stopped with an internal error (exit 4) where the folder's own repository was
looked for. Run as root without the capabilities that let root read anything (setpriv), so the
system refuses as it refuses a user."""

from __future__ import annotations

import json
from pathlib import Path

from .as_a_user import needs_root_and_setpriv, scan_as_a_user

SERVER = {"mcpServers": {"time": {"command": "uvx", "args": ["mcp-server-time==0.6.2"]}}}

pytestmark = needs_root_and_setpriv


def test_an_unreadable_git_folder_leaves_the_folder_s_name(tmp_path: Path) -> None:
    repo = tmp_path / "agents-repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "mcp.json").write_text(json.dumps(SERVER))
    (repo / ".git").chmod(0)
    out = tmp_path / "out"
    try:
        done = scan_as_a_user(f"manifests:{repo}", out)
    finally:
        (repo / ".git").chmod(0o755)
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text())
    assert [a["uid"] for a in results["inventory"]["accounts"]] == ["agents-repo"]


def test_an_unreadable_folder_is_a_named_gap_and_exit_3(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "mcp.json").write_text(json.dumps(SERVER))
    folder.chmod(0)
    out = tmp_path / "out"
    try:
        done = scan_as_a_user(f"manifests:{folder}", out)
    finally:
        folder.chmod(0o755)
    assert done.returncode == 3, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    (source,) = json.loads((out / "results.json").read_text())["scan"]["sources"]
    assert source["status"] != "complete" and "Permission denied" in json.dumps(source["errors"])
