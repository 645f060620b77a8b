"""Continue writes ``mcpServers`` as a list of named entries, in its config.yaml and in the blocks of a
repository's ``.continue/mcpServers/`` (YAML or JSON): a stdio server's ``command``, ``args`` and
``env``, a remote one's ``url``, ``type`` and ``requestOptions.headers``, and a block from its hub as
``uses`` with its inputs under ``with``. Before, every such file was a gap ("mcpServers is a list,
not a mapping; no server is read"): exit 3, and none of its servers or secrets read."""

from __future__ import annotations

import json
from pathlib import Path

from scanner.sources import SourceSpec, collect
from tests.repositories import repository_with

DATA = Path(__file__).parent / "data" / "mcp"
GITHUB_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
BEARER = "8f3a9b2c7d1e4f6a5b0c9d8e" + "7f6a5b4c"
DB_PASSWORD = "Tr0ub4dor-Xq9v-Lm3k"

CONFIG = f"""name: My Config
version: 0.0.1
schema: v1
models:
  - name: Claude
    provider: anthropic
    model: claude-sonnet-4
mcpServers:
  - name: SQLite MCP
    command: npx
    args: ["-y", "mcp-sqlite@0.2.1", "/data/app.db"]
    env:
      DB_PASSWORD: {DB_PASSWORD}
  - name: Tracker
    type: streamable-http
    url: https://tracker.example.com/mcp
    requestOptions:
      headers:
        Authorization: Bearer {BEARER}
  - uses: anthropic/github-mcp
    with:
      GITHUB_PERSONAL_ACCESS_TOKEN: {GITHUB_TOKEN}
"""


def _collect(tmp_path: Path, files: dict[str, str]):
    return collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))


def test_continue_s_listed_servers_are_tools_and_their_secrets_are_found(tmp_path: Path) -> None:
    inventory = _collect(tmp_path, {".continue/config.yaml": CONFIG})
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("Continue (.continue/config.yaml)", "continue")
    assert inventory.sources[0].status == "complete"
    tools = {g.name: g for g in inventory.grants}
    assert sorted(tools) == ["SQLite MCP", "Tracker", "anthropic/github-mcp"]
    assert (tools["SQLite MCP"].attributes["package"], tools["SQLite MCP"].attributes["package_pinned"]) == (
        "mcp-sqlite@0.2.1",
        True,
    )
    assert tools["SQLite MCP"].attributes["location"]["line"] == 9
    assert (tools["Tracker"].source, tools["Tracker"].attributes["url"]) == (
        "mcp:http",
        "https://tracker.example.com/mcp",
    )
    assert {"attributes.command", "attributes.package"} <= set(tools["anthropic/github-mcp"].unknown)  # the hub's block
    shown = sorted(c.attributes["display_id"] for c in inventory.credentials)
    assert len(shown) == 3
    assert any("SQLite MCP env.DB_PASSWORD" in text for text in shown)
    assert any("Tracker requestOptions.headers.Authorization" in text for text in shown)
    assert any("anthropic/github-mcp with.GITHUB_PERSONAL_ACCESS_TOKEN" in text for text in shown)


def test_a_list_of_servers_in_json_is_read_and_its_lines_found(tmp_path: Path) -> None:
    block = {
        "name": "Tracker block",
        "version": "0.0.1",
        "schema": "v1",
        "mcpServers": [{"name": "tracker", "command": "uvx", "args": ["tracker-mcp==1.0.0"], "env": {"TOKEN": BEARER}}],
    }
    inventory = _collect(tmp_path, {"agents/tracker.json": json.dumps(block, indent=2)})
    (tool,) = inventory.grants
    assert (tool.name, tool.attributes["package"], tool.attributes["location"]["line"]) == (
        "tracker",
        "tracker-mcp==1.0.0",
        7,
    )
    (secret,) = inventory.credentials
    assert secret.attributes["location"]["line"] == 13


def test_continue_s_own_blocks_are_read_as_written(tmp_path: Path) -> None:
    """Unedited blocks from Continue's repository (tests/data/SOURCES.md)."""
    blocks = ["linear-mcp.yaml", "continue-docs-mcp.yaml"]
    files = {
        f".continue/mcpServers/{name}": (DATA / f"continue-continuedev-continue-mcpservers-{name}").read_text()
        for name in blocks
    }
    inventory = _collect(tmp_path, files)
    assert inventory.sources[0].status == "complete" and not inventory.credentials  # ${LINEAR_API_KEY}: a reference
    tools = {g.name: g for g in inventory.grants}
    assert sorted(tools) == ["Continue Docs Search", "Linear"]
    assert tools["Linear"].attributes["package"] == "@linear/mcp-server"
    assert tools["Linear"].attributes["package_pinned"] is False
    assert tools["Continue Docs Search"].attributes["command"] == "node"


def test_listed_entries_of_another_shape_are_a_named_gap_and_their_strings_are_still_checked(tmp_path: Path) -> None:
    text = f"name: x\nmcpServers:\n  - name: ok\n    command: npx\n    args: [ok-mcp]\n  - [{GITHUB_TOKEN}]\n"
    inventory = _collect(tmp_path, {".continue/config.yaml": text})
    (source,) = inventory.sources
    assert source.status == "partial"
    assert [error.message for error in source.errors] == ["mcpServers[1] is a list, not a mapping; it is not read"]
    assert [g.name for g in inventory.grants] == ["ok"]
    assert len(inventory.credentials) == 1


def test_a_continue_block_holding_one_server_alone_is_read_as_that_server(tmp_path: Path) -> None:
    """Continue reads a JSON block of ``.continue/mcpServers/`` that is a single server (``command`` or
    ``url`` at its top), named after the file. It mentions no ``mcpServers``: before, it was never
    looked at, and the scan said complete."""
    search = {"command": "npx", "args": ["search-mcp"], "env": {"API_KEY": BEARER}}
    remote = {"url": "https://r.example.com/mcp", "headers": {"X-Key": DB_PASSWORD}}
    files = {
        ".continue/mcpServers/search.json": json.dumps(search),
        ".continue/mcpServers/remote.json": json.dumps(remote),
    }
    inventory = _collect(tmp_path, files)
    assert {agent.platform for agent in inventory.agents} == {"continue"}
    assert sorted(g.name for g in inventory.grants) == ["remote", "search"]
    assert len(inventory.credentials) == 2 and inventory.sources[0].status == "complete"


def test_a_block_of_no_shape_continue_reads_in_its_servers_folder_is_a_named_gap(tmp_path: Path) -> None:
    inventory = _collect(tmp_path, {".continue/mcpServers/notes.json": '{"comment": "later"}'})
    (source,) = inventory.sources
    assert source.status == "partial" and [e.call for e in source.errors] == ["read .continue/mcpServers/notes.json"]


def test_continue_s_claude_style_blocks_are_continue_s_and_what_it_runs_unasked_is_unknown(tmp_path: Path) -> None:
    """Continue keeps tool policies in its window and its CLI (headless runs allow every MCP tool), in
    no file nhiscan reads: whether a call asks first is unknown, never "nothing auto-approved"."""
    claude_style = json.dumps({"mcpServers": {"fetch": {"command": "uvx", "args": ["mcp-server-fetch"]}}})
    inventory = _collect(tmp_path, {".continue/config.yaml": CONFIG, ".continue/mcpServers/fetch.json": claude_style})
    assert {agent.platform for agent in inventory.agents} == {"continue"}
    assert all("attributes.auto_approved" in tool.unknown for tool in inventory.grants)


def test_a_literal_given_to_a_hub_block_s_input_is_a_secret(tmp_path: Path) -> None:
    text = f"name: x\nmcpServers:\n  - uses: linear/linear-mcp\n    with:\n      LINEAR: {BEARER}\n"
    inventory = _collect(tmp_path, {".continue/config.yaml": text})
    (secret,) = inventory.credentials
    assert "linear/linear-mcp with.LINEAR" in secret.attributes["display_id"]


def test_continue_s_first_configuration_s_servers_are_read(tmp_path: Path) -> None:
    """``experimental.modelContextProtocolServers`` of config.json (and .continuerc.json), which
    Continue still loads: each server's ``transport`` holds its command or url."""
    config = {
        "models": [],
        "experimental": {
            "modelContextProtocolServers": [
                {"transport": {"type": "stdio", "command": "npx", "args": ["-y", "mcp-sqlite@0.2.1"],
                               "env": {"DB_PASSWORD": DB_PASSWORD}}},
                {"name": "tracker", "transport": {"type": "sse", "url": "https://tracker.example.com/sse"}},
            ]
        },
    }  # fmt: skip
    inventory = _collect(tmp_path, {".continue/config.json": json.dumps(config, indent=2)})
    (agent,) = inventory.agents
    assert agent.platform == "continue"
    tools = {g.name: g for g in inventory.grants}
    assert sorted(tools) == ["modelContextProtocolServers[0]", "tracker"]
    assert tools["modelContextProtocolServers[0]"].attributes["package"] == "mcp-sqlite@0.2.1"
    assert tools["tracker"].attributes["url"] == "https://tracker.example.com/sse"
    (secret,) = inventory.credentials
    assert "transport.env.DB_PASSWORD" in secret.attributes["display_id"]
