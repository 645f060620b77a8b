"""OpenCode keeps its MCP servers under ``mcp`` of opencode.json(c) (``mcp.servers`` in its second
layout): a ``local`` server's ``command`` is one list, program and arguments, with its variables
under ``environment``; a ``remote`` one has ``url`` and ``headers``. A folder scan reads them as it
reads any client's servers, each literal secret named by OpenCode's own keys. Before, the file was
passed over, and its second layout would have been taken for VS Code's ``mcp.servers``.
"""

from __future__ import annotations

import json
from pathlib import Path

from scanner.sources import SourceSpec, collect

from .repositories import repository_with

DB_PASSWORD = "Tr0ub4dor-Xq9v-Lm3k"
SSH_PASSWORD = "Hk3Lm9Pq2Rz7"
CONTEXT7_KEY = "ctx7sk-" + "Zq8Xw3Lm9Pq2RtZq8Xw3Lm9Pq2Rt"

FIRST_LAYOUT = {
    "$schema": "https://opencode.ai/config.json",
    "mcp": {
        "postgres": {
            "type": "local",
            "command": ["npx", "-y", "@modelcontextprotocol/server-postgres@0.6.2"],
            "enabled": True,
            "environment": {"PGPASSWORD": DB_PASSWORD},
        },
        "deploy": {"type": "local", "command": ["sshpass", "-p", SSH_PASSWORD, "ssh", "deploy@host", "mcp"]},
        "context7": {
            "type": "remote",
            "url": "https://mcp.context7.com/mcp",
            "headers": {"Authorization": f"Bearer {CONTEXT7_KEY}"},
        },
    },
}

SECOND_LAYOUT = """{
  "$schema": "https://opencode.ai/config.json",
  "mcp": {
    "servers": {
      "my-server": {
        "type": "local",
        "command": ["npx", "-y", "example-mcp-server"],
      },
    },
  },
}
"""


def test_opencode_s_servers_are_tools_and_their_secrets_are_named_by_its_keys(tmp_path: Path) -> None:
    root = repository_with(tmp_path, {"opencode.json": json.dumps(FIRST_LAYOUT, indent=2)})
    inventory = collect(SourceSpec("manifests", str(root)))
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("OpenCode (opencode.json)", "opencode")
    tools = {g.name: g.attributes for g in inventory.grants}
    assert tools["postgres"]["package"] == "@modelcontextprotocol/server-postgres@0.6.2"
    assert tools["postgres"]["package_pinned"] is True
    assert tools["deploy"]["command"] == "sshpass"
    assert (tools["context7"]["url"], tools["context7"]["transport"]) == ("https://mcp.context7.com/mcp", "http")
    found = sorted(c.attributes["display_id"] for c in inventory.credentials)
    assert found == [
        "bearer_token in context7 headers.Authorization (redacted)",
        "secret_parameter in deploy command[2] (redacted)",  # sshpass -p, read in the command list
        "secret_parameter in postgres environment.PGPASSWORD (redacted)",
    ]


def test_opencode_s_second_layout_is_opencode_s_not_vs_code_s(tmp_path: Path) -> None:
    inventory = collect(
        SourceSpec("manifests", str(repository_with(tmp_path, {".opencode/opencode.jsonc": SECOND_LAYOUT})))
    )
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("OpenCode (.opencode/opencode.jsonc)", "opencode")
    (tool,) = inventory.grants
    assert (tool.name, tool.attributes["package"], tool.attributes["package_pinned"]) == (
        "my-server",
        "example-mcp-server",
        False,
    )
    assert not tool.unknown and not inventory.credentials


def test_opencode_fields_of_other_shapes_are_unknown_or_a_named_gap(tmp_path: Path) -> None:
    files = {
        "a/opencode.json": json.dumps({"mcp": ["postgres"]}),
        "b/opencode.json": json.dumps(
            {
                "mcp": {
                    "shell": {"type": "local", "command": "npx -y some-server"},  # a string, not a list
                    "far": {"type": "websocket", "url": "wss://mcp.example.com"},  # no type OpenCode has
                }
            }
        ),
    }
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))
    (gap,) = inventory.sources[0].errors
    assert (gap.call, gap.message) == ("read a/opencode.json", "mcp is a list, not a mapping; no server is read")
    tools = {g.name: g for g in inventory.grants}
    assert {"attributes.package", "attributes.package_pinned"} <= set(tools["shell"].unknown)
    assert "attributes.transport" in tools["far"].unknown and "transport" not in tools["far"].attributes


def test_opencode_s_secrets_are_in_no_output(cli, tmp_path: Path) -> None:
    root = repository_with(tmp_path, {"opencode.json": json.dumps(FIRST_LAYOUT, indent=2)})
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{root}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history")
    assert outcome.exit_code == 1 and "NHI-SECRET-001" in outcome.output
    for text in [outcome.output, *(path.read_text(encoding="utf-8") for path in out.iterdir())]:
        assert DB_PASSWORD not in text and SSH_PASSWORD not in text and CONTEXT7_KEY[7:27] not in text
