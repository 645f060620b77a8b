"""A key a manifest's JSON names twice is a named gap, and what it drops is still searched.

JSON lets a parser keep the last of two values under one key and drop the first without a word.
Before, ``"env": {"TOKEN": "ghp_…", "TOKEN": "${input:t}"}`` read as a reference, the token in
plain text in the file was never looked at, NHI-SECRET-001 passed and the source was complete; the
same in JSON with comments (VS Code, Cursor) and JSON5. The last value is read, as every client
reads it; the earlier one is searched for secrets; the rest of the file counts as before. A JSON5
file was also held to less than strict JSON: a lone surrogate stopped the scan with exit 4 when
results.json was written, and NaN or Infinity were read as numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TOKEN = "ghp_1234567890abcdefghijABCDEFGHIJ123456"


def _scan(cli: Any, folder: Path, out: Path) -> tuple[Any, dict[str, Any]]:
    outcome = cli("scan", f"manifests:{folder}", "--format", "json,html", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none")  # fmt: skip
    return outcome, json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            ".mcp.json",
            '{"mcpServers": {"x": {"command": "npx", "args": ["-y", "a@1.0.0"], '
            f'"env": {{"TOKEN": "{TOKEN}", "TOKEN": "${{input:t}}"}}}}}}}}',
        ),
        (
            ".mcp.json",
            '{"mcpServers": {"x": {"command": "npx", "args": ["-y", "a@1.0.0"], '
            f'"env": {{"TOKEN": "{TOKEN}"}}}}, "x": {{"command": "uvx", "args": ["b==1.0"]}}}}}}',
        ),
        (
            ".vscode/mcp.json",
            '{\n  // the team\'s servers\n  "servers": {"x": {"type": "stdio", "command": "npx", '
            f'"env": {{"TOKEN": "{TOKEN}", "TOKEN": "${{input:t}}"}},}},}},\n}}',
        ),
        (".vscode/mcp.json", f"{{servers: {{x: {{type: 'stdio', command: 'npx', env: {{T: '{TOKEN}', T: 'x'}}}}}}}}"),
    ],
    ids=["env-key-twice", "server-twice", "jsonc", "json5"],
)
def test_a_key_named_twice_is_a_named_gap_and_its_dropped_token_fails(
    cli: Any, tmp_path: Path, name: str, text: str
) -> None:
    folder = tmp_path / "repo"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    outcome, results = _scan(cli, folder, tmp_path / "out")
    assert outcome.exit_code == 3, outcome.output  # partial: a value of the file was not read as such
    (source,) = results["inventory"]["sources"]
    (gap,) = source["errors"]
    assert gap["call"] == f"read {name}" and "named twice" in gap["message"]
    assert [f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"] == ["fail"]
    assert TOKEN not in (tmp_path / "out" / "results.json").read_text()


def test_a_harmless_key_named_twice_hides_nothing_else_in_the_file(cli: Any, tmp_path: Path) -> None:
    """A description written twice in one server; a token in another server of the same file."""
    folder = tmp_path / "repo"
    (folder / ".cursor").mkdir(parents=True)
    (folder / ".cursor" / "mcp.json").write_text(
        '{"mcpServers": {"gh": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], '
        f'"env": {{"GITHUB_PERSONAL_ACCESS_TOKEN": "{TOKEN}"}}}}, '
        '"docs": {"url": "https://docs.example.com/mcp", "description": "a", "description": "b"}}}'
    )
    outcome = cli("scan", f"manifests:{folder}", "--format", "json", "-o", str(tmp_path / "out"), "--no-history",
                  "-q", "--fail-on", "critical", "--allow-partial")  # fmt: skip
    assert outcome.exit_code == 1, outcome.output  # the token fails the gate
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    failing = {f["control_id"] for f in results["findings"] if f["status"] == "fail"}
    assert {"NHI-SECRET-001", "NHI-AGENT-011"} <= failing


@pytest.mark.parametrize(
    "text",
    [
        "{servers: {'a\\ud800': {type: 'http', url: 'https://x.example.com'}}}",
        "{servers: {a: {type: 'http', url: 'https://x.example.com', timeout: NaN}}}",
        "{servers: {a: {type: 'http', url: 'https://x.example.com', timeout: Infinity}}}",
        "{servers: {a: {type: 'http', url: 'https://x.example.com', timeout: 1e99999}}}",
    ],
    ids=["lone-surrogate", "nan", "infinity", "overflow"],
)
def test_json5_is_held_to_what_strict_json_is(cli: Any, tmp_path: Path, text: str) -> None:
    folder = tmp_path / "repo"
    (folder / ".vscode").mkdir(parents=True)
    (folder / ".vscode" / "mcp.json").write_text(text)
    outcome, results = _scan(cli, folder, tmp_path / "out")
    assert outcome.exit_code == 3, outcome.output
    (source,) = results["inventory"]["sources"]
    assert [e["call"] for e in source["errors"]] == ["read .vscode/mcp.json"]
