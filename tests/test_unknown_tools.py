"""A tool the capability catalog does not know may do anything: controls over an agent's tools are
unknown for it, never passed.

Before, only controls reading the agent's own capabilities saw the gap (NHI-AGENT-012 said the
reach was unknown); those relating to each tool read the unknown tool as holding no
``code_execution``: an agent declaring ``iterm-mcp`` with ``autoApprove: [write_to_terminal]``
passed NHI-AGENT-003 (code only in a sandbox) and NHI-AGENT-006 (a human in the loop), where the
same manifest with a shell server the catalog knows fails both.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

MANIFEST = """nhiscan: agent/v1
name: term-bot
owner: platform@example.com
guardrail: gr-1:3
human_approval: true
runs_as: arn:aws:iam::111111111111:role/term-bot
tools:
  - name: {name}
    mcp: {{command: npx, args: ["-y", "{package}"], autoApprove: ["write_to_terminal"]}}
"""


def _statuses(cli: Any, tmp_path: Path, name: str, package: str) -> dict[str, dict[str, Any]]:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "bot.nhiscan.yaml").write_text(MANIFEST.format(name=name, package=package))
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{folder}", "--format", "json", "-o", str(out), "--no-history", "-q",
                  "--fail-on", "none", "--include-passed")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    findings = json.loads((out / "results.json").read_text())["findings"]
    return {f["control_id"]: f for f in findings if f["control_id"] in ("NHI-AGENT-003", "NHI-AGENT-006")}


def test_an_unknown_tool_leaves_sandboxing_and_approval_unknown(cli: Any, tmp_path: Path) -> None:
    found = _statuses(cli, tmp_path, "iterm", "iterm-mcp@1.2.0")
    assert {c: f["status"] for c, f in found.items()} == {"NHI-AGENT-003": "unknown", "NHI-AGENT-006": "unknown"}
    assert "reach of tool iterm" in found["NHI-AGENT-003"]["evidence"]["not_collected"]
    assert "reach of tool iterm" in found["NHI-AGENT-003"]["message"]


@pytest.mark.parametrize(("name", "package"), [("shell", "mcp-shell-server@1.0.0")])
def test_the_same_agent_with_a_known_shell_tool_fails(cli: Any, tmp_path: Path, name: str, package: str) -> None:
    found = _statuses(cli, tmp_path, name, package)
    assert {c: f["status"] for c, f in found.items()} == {"NHI-AGENT-003": "fail", "NHI-AGENT-006": "fail"}
