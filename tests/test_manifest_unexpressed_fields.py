"""What a manifest format has no place for is unknown, not absent: an MCP client configuration or a
registry entry cannot name an owner or a guardrail, nor whether the client asks before a tool call;
an Agent Framework agent has no owner or guardrail field. NHI-AGENT-002, -006 and -008 are then
unknown instead of failing every such file, while a format that can declare them is still judged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import SHARED

AGENTS = SHARED / "realworld" / "agents"
JUDGED = ("NHI-AGENT-002", "NHI-AGENT-006", "NHI-AGENT-008")


def _statuses(path: Path, catalogs) -> dict[tuple[str, str], str]:
    result = run_scan(collect(SourceSpec("manifests", str(path))), catalogs, ScanOptions(keep_passed=True))
    return {(f.resource.name, f.control_id): f.status for f in result.findings if f.control_id in JUDGED}


@pytest.mark.parametrize(
    "file",
    ["mcp-servers-readme-claude_desktop_config-multi.json", "github-mcp-server-vscode-mcp-inputs.json",
     "github-mcp-server-cursor-mcp-remote-bearer.json", "github-mcp-server-registry-server.json"],
)  # fmt: skip
def test_a_client_configuration_or_registry_entry_leaves_owner_guardrail_and_approval_unknown(
    catalogs, file: str
) -> None:
    statuses = _statuses(AGENTS / file, catalogs)
    assert sorted(statuses.values()) == ["unknown"] * 3, statuses


def test_an_agent_framework_agent_leaves_owner_and_guardrail_unknown_and_a_nhiscan_manifest_is_judged(
    tmp_path: Path, catalogs
) -> None:
    shutil.copy(AGENTS / "agent-framework-GetWeather-function-tool.yaml", tmp_path / "weather.yaml")
    (tmp_path / "weather.nhiscan.yaml").write_text("nhiscan: agent/v1\nname: weather\ntools: [{name: get_weather}]\n")
    statuses = _statuses(tmp_path, catalogs)
    assert statuses[("Assistant", "NHI-AGENT-002")] == statuses[("Assistant", "NHI-AGENT-008")] == "unknown"
    assert statuses[("weather", "NHI-AGENT-002")] == statuses[("weather", "NHI-AGENT-008")] == "fail"


def test_a_gemini_cli_server_trusted_to_run_without_confirmation_fails_agent_006(tmp_path: Path, catalogs) -> None:
    github = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"]}
    settings = {"mcpServers": {"github": {**github, "trust": True}}}
    (tmp_path / ".gemini").mkdir()
    (tmp_path / ".gemini" / "settings.json").write_text(json.dumps(settings))
    assert _statuses(tmp_path, catalogs)[("MCP client (.gemini/settings.json)", "NHI-AGENT-006")] == "fail"
    settings["mcpServers"]["github"] = github
    (tmp_path / ".gemini" / "settings.json").write_text(json.dumps(settings))
    assert _statuses(tmp_path, catalogs)[("MCP client (.gemini/settings.json)", "NHI-AGENT-006")] == "unknown"
