"""Zed keeps its MCP servers under ``context_servers`` of settings.json (a project's
``.zed/settings.json``, JSON with comments): a custom server as ``command``, ``args`` and ``env``
(first written as ``command: {path, args, env}``), a remote one as ``url`` and ``headers``, and one
an extension provides as ``source: extension`` with its ``settings``. Whether the agent asks before
a tool call is the file's too: ``agent.always_allow_tool_actions`` (since 2026,
``agent.tool_permissions.default``). Before, the file was passed over."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

GITHUB_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
DB_PASSWORD = "Tr0ub4dor-Xq9v-Lm3k"

SETTINGS = """// Zed settings
{
  "theme": "One Dark",
  "context_servers": {
    "postgres": {
      "source": "custom",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-postgres@0.6.2"],
      "env": {"PGPASSWORD": "DB_PASSWORD"},
    },
    "files": {
      "command": {"path": "/usr/local/bin/mcp-files", "args": ["--root", "."], "env": {}},
      "settings": {},
    },
    "github": {
      "url": "https://api.githubcopilot.com/mcp/",
      "headers": {"Authorization": "Bearer GITHUB_TOKEN"},
    },
    "mcp-server-context7": {"source": "extension", "enabled": true, "settings": {}},
  },
}
""".replace("DB_PASSWORD", DB_PASSWORD).replace("GITHUB_TOKEN", GITHUB_TOKEN)


def _collect(tmp_path: Path, text: str):
    root = tmp_path / "repo"
    (root / ".zed").mkdir(parents=True)
    (root / ".zed" / "settings.json").write_text(text)
    return collect(SourceSpec("manifests", str(root)))


def test_zed_s_context_servers_are_tools_in_each_of_their_shapes(tmp_path: Path) -> None:
    inventory = _collect(tmp_path, SETTINGS)
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("Zed (.zed/settings.json)", "zed")
    tools = {g.name: g for g in inventory.grants}
    assert tools["postgres"].attributes["package"] == "@modelcontextprotocol/server-postgres@0.6.2"
    assert tools["files"].attributes["command"] == "/usr/local/bin/mcp-files"  # command: {path, args, env}
    assert tools["github"].attributes["url"] == "https://api.githubcopilot.com/mcp/"
    # an extension's server: what it runs is the extension's, not written here
    assert {"attributes.command", "attributes.package"} <= set(tools["mcp-server-context7"].unknown)
    found = sorted(c.attributes["display_id"] for c in inventory.credentials)
    assert found == [
        "github_token in github headers.Authorization (redacted)",
        "secret_parameter in postgres env.PGPASSWORD (redacted)",
    ]
    assert all(g.attributes.get("auto_approved", []) == [] for g in inventory.grants)


@pytest.mark.parametrize(
    ("agent", "approved"),
    [
        ('"agent": {"always_allow_tool_actions": true},', True),
        ('"agent": {"tool_permissions": {"default": "allow"}},', True),
        ('"agent": {"always_allow_tool_actions": false},', []),
        ('"agent": {"tool_permissions": {"default": "confirm"}},', []),
        ('"agent": {"always_allow_tool_actions": "yes"},', None),  # a shape Zed has not
        ('"agent": {"tool_permissions": {"default": "confirm", "tools": {"terminal": {"default": "allow"}}}},', None),
    ],
)
def test_what_zed_s_agent_runs_without_asking_is_read_from_its_settings(
    tmp_path: Path, agent: str, approved: list[str] | bool | None
) -> None:
    inventory = _collect(tmp_path, SETTINGS.replace('"theme": "One Dark",', agent))
    assert len(inventory.grants) == 4
    for tool in inventory.grants:
        if approved is None:
            assert "attributes.auto_approved" in tool.unknown
        else:
            assert tool.attributes.get("auto_approved", []) == approved


def test_a_zed_agent_that_runs_every_tool_without_asking_fails_agent_006(tmp_path: Path, catalogs) -> None:
    inventory = _collect(
        tmp_path, SETTINGS.replace('"theme": "One Dark",', '"agent": {"always_allow_tool_actions": true},')
    )
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-AGENT-006"} == {"fail"}


def test_zed_s_secrets_are_in_no_output(cli, tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".zed").mkdir(parents=True)
    (root / ".zed" / "settings.json").write_text(SETTINGS)
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{root}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history")
    assert outcome.exit_code == 1 and "NHI-SECRET-001" in outcome.output
    for text in [outcome.output, *(path.read_text(encoding="utf-8") for path in out.iterdir())]:
        assert DB_PASSWORD not in text and GITHUB_TOKEN[8:30] not in text
