"""On Windows a client cannot start npx (a batch file) itself, so configurations launch every server
through the command interpreter: ``"command": "cmd", "args": ["/c", "npx", "-y", PACKAGE]`` (the
form the MCP troubleshooting guides give, e.g. ailevelup-ai/heal-mcp's reference/windows-issues.md).
A server launched so, or through ``sh -c "…"``, runs the package the shell is told to run: its
pinning is judged (NHI-AGENT-011) and an mcp-remote bridge's URL is where it is reached
(NHI-AGENT-010). A script of more than one command leaves what runs unknown, never guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.sources.manifests.mcp import through_shell


@pytest.mark.parametrize(
    ("command", "args", "runs"),
    [
        ("cmd", ["/c", "npx", "-y", "@modelcontextprotocol/server-filesystem", "C:\\Users\\me"],
         ("npx", ["-y", "@modelcontextprotocol/server-filesystem", "C:\\Users\\me"])),
        ("C:\\Windows\\System32\\cmd.exe", ["/s", "/C", "npx -y mcp-remote https://mcp.example.com/sse"],
         ("npx", ["-y", "mcp-remote", "https://mcp.example.com/sse"])),
        ("sh", ["-c", "exec npx -y 'mcp-remote' http://mcp.example.com/sse"],
         ("npx", ["-y", "mcp-remote", "http://mcp.example.com/sse"])),
        ("/bin/bash", ["-c", "uvx mcp-server-fetch==2025.1.1"], ("uvx", ["mcp-server-fetch==2025.1.1"])),
        ("sh", ["-c", "cd /srv && npx -y pkg"], None),  # two commands
        ("sh", ["-c", "npx -y $(cat pkg.txt)"], None),  # what runs is another command's output
        ("sh", ["-c", "npx -y 'pkg"], None),  # a quote never closed
        ("cmd", ["/c", "npx -y a & npx -y b"], None),
        ("cmd", ["npx", "/c"], None),  # /c after the program: no shell switch
        ("npx", ["-y", "pkg"], None),  # no shell
    ],
)  # fmt: skip
def test_what_a_shell_is_told_to_run(command: str, args: list[str], runs) -> None:
    assert through_shell(command, args) == runs


def _verdicts(tmp_path: Path, servers: dict[str, object], catalogs) -> dict[str, tuple[str, str]]:
    (tmp_path / ".mcp.json").write_text(json.dumps({"mcpServers": servers}))
    result = run_scan(collect(SourceSpec("manifests", str(tmp_path))), catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: (f.status, f.message) for f in result.findings if f.control_id.startswith("NHI-AGENT-01")}


def test_an_unpinned_package_launched_through_cmd_fails_pinning(tmp_path: Path, catalogs) -> None:
    servers = {"files": {"command": "cmd", "args": ["/c", "npx", "-y", "@modelcontextprotocol/server-filesystem"]}}
    status, message = _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"]
    assert status == "fail" and "files" in message  # before: unknown, "cmd" taken for the package


def test_a_pinned_package_launched_through_cmd_passes_pinning(tmp_path: Path, catalogs) -> None:
    pinned = "@modelcontextprotocol/server-filesystem@2025.8.21"
    servers = {"files": {"command": "cmd", "args": ["/c", "npx", "-y", pinned]}}
    assert _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"][0] == "pass"


@pytest.mark.parametrize(
    "server",
    [
        {"command": "cmd", "args": ["/c", "npx", "-y", "mcp-remote@0.1.29", "http://mcp.example.com/sse"]},
        {"command": "sh", "args": ["-c", "npx -y mcp-remote@0.1.29 http://mcp.example.com/sse"]},
    ],
    ids=["cmd", "sh"],
)
def test_a_bridge_launched_through_a_shell_to_plain_http_fails_tls(tmp_path: Path, server, catalogs) -> None:
    assert _verdicts(tmp_path, {"remote": server}, catalogs)["NHI-AGENT-010"][0] == "fail"  # before: pass


def test_a_script_of_several_commands_leaves_pinning_unknown(tmp_path: Path, catalogs) -> None:
    servers = {"files": {"command": "sh", "args": ["-c", "cd /srv && npx -y @modelcontextprotocol/server-filesystem"]}}
    assert _verdicts(tmp_path, servers, catalogs)["NHI-AGENT-011"][0] == "unknown"
