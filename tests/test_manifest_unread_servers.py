"""A server entry that is not a mapping is not read as a server, but its text is still searched.

Before, an entry written as a string or a list was a named gap and nothing more: the token in it
was never looked at, and NHI-SECRET-001 passed the file (with ``--allow-partial`` the gate passed
too), in every client layout.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

TOKEN = "ghp_abcdefghij1234567890ABCDEFGHIJ555555"


@pytest.mark.parametrize(
    ("name", "document"),
    [
        (".mcp.json", {"mcpServers": {"a": "npx -y x --token Wint3rSun24Qz", "b": [TOKEN]}}),
        (".claude.json", {"projects": {"/p": {"mcpServers": {"a": TOKEN}}}}),
        (".vscode/mcp.json", {"servers": {"a": TOKEN}}),
        (".zed/settings.json", {"context_servers": {"a": TOKEN}}),
        ("opencode.json", {"$schema": "https://opencode.ai/config.json", "mcp": {"a": TOKEN}}),
    ],
    ids=["claude-code", "claude-code-project", "vscode", "zed", "opencode"],
)
def test_a_token_in_a_server_entry_that_is_not_a_mapping_fails(
    cli: Any, tmp_path: Path, name: str, document: dict[str, Any]
) -> None:
    folder = tmp_path / "repo"
    (folder / name).parent.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(json.dumps(document))
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{folder}", "--format", "json,html", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none", "--allow-partial")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((out / "results.json").read_text())
    assert {f["status"] for f in results["findings"] if f["control_id"] == "NHI-SECRET-001"} == {"fail"}
    assert any("not a mapping" in e["message"] for s in results["inventory"]["sources"] for e in s["errors"])
    for written in out.iterdir():
        assert TOKEN not in written.read_text(), written.name
