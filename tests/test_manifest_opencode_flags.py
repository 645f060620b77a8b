"""OpenCode writes a local server's program and its arguments as one ``command`` list. A secret a
flag gives there (``["npx", "-y", "pkg@1.0.0", "--api-key", X]``) was checked as a command line of
one word, without the flag before it: NHI-SECRET-001 passed, while the same arguments written as
``args`` in an mcpServers file failed it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect

FLAGGED = [("--api-key", "Mm1Nn2Bb3Vv4Cc5Xx6Zz"), ("--password", "hunter2hunter2"), ("--token", "Zq8vT3pL")]


@pytest.mark.parametrize(("flag", "value"), FLAGGED)
def test_a_secret_a_flag_gives_in_a_command_list_is_found(tmp_path: Path, flag: str, value: str) -> None:
    config = {"$schema": "https://opencode.ai/config.json",
              "mcp": {"tickets": {"type": "local", "command": ["npx", "-y", "pkg@1.0.0", flag, value]}}}  # fmt: skip
    (tmp_path / "opencode.json").write_text(json.dumps(config))
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    assert [c.uid.rsplit(":", 1)[-1] for c in inventory.credentials] == ["tickets.command[4]"]


def test_a_command_list_without_secrets_holds_none(tmp_path: Path) -> None:
    package = "@modelcontextprotocol/server-filesystem@2025.7.1"
    server = ["npx", "-y", package, "--root", "/srv/data", "--max-depth", "4"]
    config = {"mcp": {"files": {"type": "local", "command": server}}}
    (tmp_path / "opencode.json").write_text(json.dumps(config))
    assert collect(SourceSpec("manifests", str(tmp_path))).credentials == []
