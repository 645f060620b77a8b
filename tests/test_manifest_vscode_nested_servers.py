"""VS Code reads MCP servers in two places inside other files: a dev container's
``customizations.vscode.mcp.servers`` (devcontainer.json, JSON with comments) and the ``mcp``
setting of settings.json (where servers were configured before mcp.json). A folder scan reads them
as it reads ``.vscode/mcp.json``: each server a tool, each literal secret found and in no output.
Before, both files were passed over, and a repository whose dev container handed its servers a
token was scanned as holding no agent at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .repositories import repository_with

GITHUB_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
DB_PASSWORD = "Tr0ub4dor-Xq9v-Lm3k"

DEVCONTAINER = """// Dev container of the shop service
{
  "name": "shop",
  "image": "mcr.microsoft.com/devcontainers/python:1-3.12-bookworm",
  "containerEnv": {"SHOP_ENV": "development"},
  "customizations": {
    "vscode": {
      "extensions": ["ms-python.python"],
      "mcp": {
        "servers": {
          // the repository's issues, for the agent
          "github": {
            "type": "http",
            "url": "https://api.githubcopilot.com/mcp/",
            "headers": {"Authorization": "Bearer GITHUB_TOKEN"},
          },
          "postgres": {
            "type": "stdio",
            "command": "npx",
            "args": ["-y", "@modelcontextprotocol/server-postgres@0.6.2"],
            "env": {"PGPASSWORD": "DB_PASSWORD"}
          }
        }
      }
    }
  }
}
""".replace("GITHUB_TOKEN", GITHUB_TOKEN).replace("DB_PASSWORD", DB_PASSWORD)

SETTINGS = {
    "editor.formatOnSave": True,
    "mcp": {
        "inputs": [{"type": "promptString", "id": "pg", "description": "Postgres password", "password": True}],
        "servers": {
            "postgres": {
                "type": "stdio",
                "command": "npx",
                "args": ["-y", "@modelcontextprotocol/server-postgres@0.6.2"],
                "env": {"PGPASSWORD": "${input:pg}"},
            }
        },
    },
}


def test_a_dev_container_s_servers_are_tools_and_their_secrets_are_found(tmp_path: Path, catalogs) -> None:
    root = repository_with(tmp_path, {".devcontainer/devcontainer.json": DEVCONTAINER})
    inventory = collect(SourceSpec("manifests", str(root)))
    (agent,) = inventory.agents
    assert agent.name == "VS Code dev container (.devcontainer/devcontainer.json)"
    assert agent.platform == "vscode-devcontainer"
    tools = {g.name: g.attributes for g in inventory.grants}
    assert tools["github"]["url"] == "https://api.githubcopilot.com/mcp/"
    assert tools["postgres"]["package"] == "@modelcontextprotocol/server-postgres@0.6.2"
    assert tools["postgres"]["package_pinned"] is True
    places = sorted(c.attributes["display_id"] for c in inventory.credentials if c.kind == "plaintext_secret")
    assert places == [  # each once: the servers are not read again as part of the rest of the file
        "github_token in github headers.Authorization (redacted)",
        "secret_parameter in postgres env.PGPASSWORD (redacted)",
    ]
    assert {c.attributes["location"]["file"] for c in inventory.credentials} == {".devcontainer/devcontainer.json"}
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-SECRET-001"} == {"fail"}


def test_the_mcp_setting_of_settings_json_is_read_and_an_input_reference_is_no_secret(tmp_path: Path) -> None:
    root = repository_with(tmp_path, {".vscode/settings.json": json.dumps(SETTINGS, indent=2)})
    inventory = collect(SourceSpec("manifests", str(root)))
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("VS Code (.vscode/settings.json)", "vscode")
    assert [g.name for g in inventory.grants] == ["postgres"]
    assert not inventory.credentials
    assert inventory.sources[0].status == "complete"


def test_servers_of_another_shape_are_a_named_gap_not_a_clean_file(tmp_path: Path) -> None:
    broken = {"name": "x", "customizations": {"vscode": {"mcp": {"servers": ["github"]}}}}
    root = repository_with(tmp_path, {".devcontainer/devcontainer.json": json.dumps(broken)})
    inventory = collect(SourceSpec("manifests", str(root)))
    (agent,) = inventory.agents
    assert "tools" in agent.unknown
    (gap,) = inventory.sources[0].errors
    assert gap.call == "read .devcontainer/devcontainer.json"
    assert gap.message == "customizations.vscode.mcp.servers is a list, not a mapping; no server is read"


def test_files_that_only_mention_mcp_are_neither_agents_nor_gaps(tmp_path: Path) -> None:
    files = {
        ".devcontainer/devcontainer.json": json.dumps({"name": "x", "image": "python:3.12"}),
        "package.json": json.dumps({"name": "server", "keywords": ["mcp"], "mcp": {"transport": "stdio"}}),
        ".vscode/settings.json": '{\n  // no servers here\n  "mcp": {"inputs": []},\n}\n',
    }
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))
    assert not inventory.agents
    assert inventory.sources[0].status == "complete" and not inventory.sources[0].errors


def test_a_dev_container_s_secrets_are_in_no_output(cli, tmp_path: Path) -> None:
    root = repository_with(tmp_path, {".devcontainer/devcontainer.json": DEVCONTAINER})
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{root}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history")
    assert outcome.exit_code == 1 and "NHI-SECRET-001" in outcome.output  # found, and the gate fails
    assert GITHUB_TOKEN[8:30] not in outcome.output
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8")
        assert GITHUB_TOKEN[8:30] not in text and DB_PASSWORD not in text, path.name


@pytest.mark.parametrize(
    ("setting", "approved"),
    [
        ({"chat.tools.global.autoApprove": True}, True),  # "Automatically approve all tools"
        ({"chat.tools.autoApprove": True}, True),  # its first name
        ({"chat.tools.global.autoApprove": False}, []),
        ({"chat.tools.global.autoApprove": "on"}, None),  # a shape VS Code has not
    ],
)
@pytest.mark.parametrize("where", ["settings.json", "devcontainer.json"])
def test_vs_code_s_setting_that_approves_every_tool_is_read_beside_the_servers(
    tmp_path: Path, setting: dict[str, object], approved: object, where: str
) -> None:
    """Found missing by a review: the file that holds the servers holds the setting that approves
    every tool call too, and the servers were reported as asking."""
    if where == "settings.json":
        files = {".vscode/settings.json": json.dumps({**SETTINGS, **setting})}
    else:
        container = {"customizations": {"vscode": {"settings": setting, "mcp": SETTINGS["mcp"]}}}
        files = {".devcontainer/devcontainer.json": json.dumps(container)}
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))
    (tool,) = inventory.grants
    if approved is None:
        assert "attributes.auto_approved" in tool.unknown
    else:
        assert tool.attributes.get("auto_approved", []) == approved


def test_a_server_vs_code_runs_in_its_sandbox_has_its_calls_approved(tmp_path: Path) -> None:
    """VS Code's MCP configuration reference: "When sandboxing is enabled, tool confirmations are
    auto-approved"."""
    servers = {
        "servers": {"fs": {"type": "stdio", "command": "npx", "args": ["-y", "fs-server"], "sandboxEnabled": True}}
    }
    inventory = collect(
        SourceSpec("manifests", str(repository_with(tmp_path, {".vscode/mcp.json": json.dumps(servers)})))
    )
    (tool,) = inventory.grants
    assert tool.attributes["auto_approved"] is True
