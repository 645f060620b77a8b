"""Goose keeps its MCP servers as ``extensions``: in config.yaml a mapping by key, each ``enabled``
or not, of Goose's types (``stdio`` runs ``cmd`` with ``args`` and ``envs``; ``streamable_http`` and
``sse`` reach ``uri`` with ``headers``; ``builtin``, ``platform`` and ``frontend`` are Goose's own),
beside ``GOOSE_MODE``, which says what runs without asking; in a recipe (YAML or JSON, often
committed to a repository) a list of the same entries, or of names alone. Before, both were passed
over: a token in an extension's ``envs`` scanned as no agent at all."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from tests.repositories import repository_with

DATA = Path(__file__).parent / "data" / "mcp"
GITHUB_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
BEARER = "8f3a9b2c7d1e4f6a5b0c9d8e" + "7f6a5b4c"
SSH_PASSWORD = "Zq8-rT2vLm9x-Wp4"

CONFIG = f"""GOOSE_PROVIDER: anthropic
GOOSE_MODEL: claude-4.5-sonnet
GOOSE_MODE: THE_MODE
extensions:
  github:
    enabled: true
    type: stdio
    name: github
    cmd: npx
    args: ["-y", "@modelcontextprotocol/server-github@2025.4.8"]
    envs:
      GITHUB_PERSONAL_ACCESS_TOKEN: {GITHUB_TOKEN}
    env_keys: []
    timeout: 300
  remote:
    enabled: true
    type: streamable_http
    name: remote
    uri: https://mcp.example.com/mcp
    headers:
      Authorization: Bearer {BEARER}
  jumphost:
    enabled: false
    type: stdio
    name: jumphost
    cmd: sshpass
    args: ["-p", "{SSH_PASSWORD}", "ssh", "jump.example.com"]
  developer:
    bundled: true
    enabled: true
    name: developer
    timeout: 300
    type: builtin
"""


def _collect(tmp_path: Path, files: dict[str, str]):
    return collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))


def test_goose_s_enabled_extensions_are_tools_and_every_entry_s_secrets_are_found(tmp_path: Path) -> None:
    inventory = _collect(tmp_path, {"goose/config.yaml": CONFIG.replace("THE_MODE", "approve")})
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("Goose (goose/config.yaml)", "goose")
    tools = {g.name: g for g in inventory.grants}
    assert sorted(tools) == ["developer", "github", "remote"]  # jumphost is disabled: no tool
    assert tools["github"].attributes["package"] == "@modelcontextprotocol/server-github@2025.4.8"
    assert tools["github"].attributes["package_pinned"] is True
    assert (tools["remote"].source, tools["remote"].attributes["url"]) == ("mcp:http", "https://mcp.example.com/mcp")
    assert tools["remote"].attributes["transport"] == "http"
    # Goose's own extension runs no package: a tool by its name
    assert (tools["developer"].source, tools["developer"].attributes["tool_type"]) == ("declared", "developer")
    found = sorted(c.attributes["display_id"] for c in inventory.credentials)
    assert len(found) == 3
    assert any("github envs.GITHUB_PERSONAL_ACCESS_TOKEN" in shown for shown in found)
    assert any("remote headers.Authorization" in shown for shown in found)
    assert any("jumphost args[1]" in shown for shown in found)  # a disabled extension's secret is still in the file
    lines = {c.uid.rsplit(":", 1)[-1]: c.attributes["location"]["line"] for c in inventory.credentials}
    assert lines["github.envs.GITHUB_PERSONAL_ACCESS_TOKEN"] == 12
    assert inventory.sources[0].status == "complete"


@pytest.mark.parametrize(
    ("mode", "approved"),
    [
        ("auto", True),  # "Automatically approve tool calls"
        ("chat", []),  # no tool calls at all
        ("approve", None),  # permission.yaml (another file) and read-only tools still pass unasked
        ("smart_approve", None),
        ("Approve", True),  # a spelling Goose does not read: it stays at its default, auto
        ("sometimes", True),
    ],
)
def test_what_goose_runs_without_asking_is_its_goose_mode(
    tmp_path: Path, mode: str, approved: list[str] | bool | None
) -> None:
    inventory = _collect(tmp_path, {"config.yaml": CONFIG.replace("THE_MODE", mode)})
    assert len(inventory.grants) == 3
    for tool in inventory.grants:
        if approved is None:
            assert "attributes.auto_approved" in tool.unknown
        else:
            assert tool.attributes.get("auto_approved", []) == approved


def test_a_goose_config_without_a_mode_runs_every_tool_unasked_and_fails_agent_006(tmp_path: Path, catalogs) -> None:
    inventory = _collect(tmp_path, {"config.yaml": CONFIG.replace("GOOSE_MODE: THE_MODE\n", "")})
    assert all(tool.attributes["auto_approved"] is True for tool in inventory.grants)  # Goose's default: auto
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-AGENT-006"} == {"fail"}
    assert {f.status for f in result.findings if f.control_id == "NHI-SECRET-001"} == {"fail"}


def test_a_goose_recipe_s_extensions_are_tools_whose_approval_is_the_user_s(tmp_path: Path) -> None:
    recipe = {
        "version": "1.0.0",
        "title": "Triage",
        "description": "Triage issues",
        "instructions": "Read the open issues and label them.",
        "extensions": [
            {"type": "stdio", "name": "github", "cmd": "npx", "args": ["-y", "@modelcontextprotocol/server-github"],
             "envs": {"GITHUB_TOKEN": GITHUB_TOKEN}, "timeout": 300},
            {"type": "sse", "name": "tracker", "uri": "https://tracker.example.com/sse"},
            "summarizer",  # a name alone: an extension the user has, its launch not written here
        ],
    }  # fmt: skip
    inventory = _collect(tmp_path, {"recipes/triage.json": json.dumps(recipe, indent=2)})
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("Goose recipe (recipes/triage.json)", "goose-recipe")
    tools = {g.name: g for g in inventory.grants}
    assert tools["github"].attributes["package_pinned"] is False
    assert (tools["tracker"].attributes["url"], tools["tracker"].attributes["transport"]) == (
        "https://tracker.example.com/sse",
        "sse",
    )
    assert {"attributes.command", "attributes.package"} <= set(tools["summarizer"].unknown)
    assert all("attributes.auto_approved" in tool.unknown for tool in inventory.grants)
    (secret,) = inventory.credentials
    assert "github envs.GITHUB_TOKEN" in secret.attributes["display_id"]
    assert secret.attributes["location"]["line"] == 16
    assert tools["tracker"].attributes["location"]["line"] == 22


def test_a_recipe_goose_desktop_saved_under_recipe_is_read(tmp_path: Path) -> None:
    saved = f"""name: triage
recipe:
  version: 1.0.0
  title: Triage
  description: Triage issues
  instructions: Read the open issues and label them.
  extensions:
    - type: stdio
      name: github
      cmd: npx
      args: ["-y", "@modelcontextprotocol/server-github"]
      envs:
        GITHUB_TOKEN: {GITHUB_TOKEN}
isGlobal: true
"""
    inventory = _collect(tmp_path, {"saved/triage.yaml": saved})
    (agent,) = inventory.agents
    assert agent.platform == "goose-recipe"
    assert [g.name for g in inventory.grants] == ["github"]
    (secret,) = inventory.credentials
    assert "github envs.GITHUB_TOKEN" in secret.attributes["display_id"]
    assert secret.attributes["location"]["line"] == 13


def test_goose_s_own_extension_is_named_as_goose_starts_it_and_other_types_keep_their_url(tmp_path: Path) -> None:
    config = """GOOSE_MODE: chat
extensions:
  memory:
    enabled: true
    type: builtin
    name: Developer
  socket:
    enabled: true
    type: websocket
    uri: wss://mcp.example.com/ws
"""
    inventory = _collect(tmp_path, {"config.yaml": config})
    tools = {g.name: g for g in inventory.grants}
    assert sorted(tools) == ["developer", "socket"]  # Goose starts the builtin by its name, not its key
    assert tools["socket"].attributes["url"] == "wss://mcp.example.com/ws"
    assert "attributes.transport" in tools["socket"].unknown


@pytest.mark.parametrize(
    ("name", "text", "unread"),
    [
        ("config.yaml", "GOOSE_MODE: auto\nextensions:\n  - type: stdio\n    cmd: npx\n", "extensions is a list"),
        (
            "recipe.yaml",
            "title: T\ninstructions: I\nextensions:\n  github: {type: stdio, cmd: npx}\n",
            "extensions is a mapping",
        ),
        ("recipe.yaml", "title: T\nprompt: P\nextensions:\n  - 42\n  - [a, b]\n", "extensions[0] is a number"),
    ],
)
def test_goose_extensions_of_a_shape_goose_does_not_read_are_a_named_gap(
    tmp_path: Path, name: str, text: str, unread: str
) -> None:
    inventory = _collect(tmp_path, {name: text})
    (source,) = inventory.sources
    assert source.status == "partial"
    assert any(error.message.startswith(unread) for error in source.errors)
    assert "tools" in inventory.agents[0].unknown


def test_goose_s_own_files_are_read_as_written(tmp_path: Path) -> None:
    """Unedited files from Goose's repository (tests/data/SOURCES.md)."""
    names = [
        "goose-block-goose-docs-config-files-md-example.yaml",
        "goose-block-goose-recipe-use-openmetadata.yaml",
        "goose-block-goose-recipe-github-pr-summarizer.yaml",
    ]
    inventory = _collect(tmp_path, {name: (DATA / name).read_text() for name in names})
    assert inventory.sources[0].status == "complete" and not inventory.credentials
    by_file = {agent.attributes["location"]["file"]: agent.uid for agent in inventory.agents}
    assert len(by_file) == 3

    def tools_of(name: str) -> dict[str, object]:
        return {g.name: g for g in inventory.grants if g.identity_uid == by_file[name]}

    config = tools_of(names[0])  # two builtins under GOOSE_MODE smart_approve
    assert sorted(config) == ["developer", "memory"]
    assert all("attributes.auto_approved" in tool.unknown for tool in config.values())  # type: ignore[attr-defined]
    (openmetadata,) = tools_of(names[1]).values()
    assert openmetadata.attributes["package"] == "mcp-remote"  # type: ignore[attr-defined]
    assert openmetadata.attributes["location"]["line"] == 7  # type: ignore[attr-defined]
    assert sorted(tools_of(names[2])) == ["github", "summarizer"]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("mkdocs.yml", "site_name: Docs\nmarkdown_extensions:\n  - toc\n"),
        ("schema.yaml", "title: Thing\nextensions:\n  - x-foo\n"),  # no mark of Goose's
        ("openapi.yaml", "openapi: 3.1.0\nextensions:\n  x-cmd: {type: string}\n"),  # Goose's marks, no Goose shape
    ],
)
def test_other_files_with_extensions_are_not_goose_s(tmp_path: Path, name: str, text: str) -> None:
    inventory = _collect(tmp_path, {name: text, ".mcp.json": '{"mcpServers": {}}'})
    assert [agent.platform for agent in inventory.agents] == ["claude-code"]
    assert inventory.sources[0].status == "complete"


def test_a_goose_config_nhiscan_cannot_read_is_a_named_gap(tmp_path: Path) -> None:
    aliased = CONFIG.replace("THE_MODE", "auto").replace("  remote:\n", "  remote: &r\n") + "  again: *r\n"
    inventory = _collect(tmp_path, {"config.yaml": aliased})
    (source,) = inventory.sources
    assert source.status == "partial" and not inventory.agents
    assert [error.call for error in source.errors] == ["read config.yaml"]


def test_goose_s_secrets_are_in_no_output(cli, tmp_path: Path) -> None:
    root = repository_with(tmp_path, {"config.yaml": CONFIG.replace("THE_MODE", "auto")})
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{root}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history")
    assert outcome.exit_code == 1 and "NHI-SECRET-001" in outcome.output
    for text in [outcome.output, *(path.read_text(encoding="utf-8") for path in out.iterdir())]:
        assert GITHUB_TOKEN[8:30] not in text and BEARER not in text and SSH_PASSWORD not in text


def test_thousands_of_extensions_that_are_no_tools_are_placed_in_bounded_time(tmp_path: Path) -> None:
    """The line of each disabled (or Goose's own) extension was searched for from the file's start:
    a recipe of 100,000 disabled extensions had not ended after six minutes."""
    recipe = {
        "title": "t",
        "prompt": "p",
        "extensions": [
            {"type": "builtin" if i % 2 else "stdio", "name": f"e{i}", "enabled": i % 2 == 1} for i in range(20_000)
        ],
    }
    started = time.monotonic()
    inventory = _collect(tmp_path, {"recipe.json": json.dumps(recipe, indent=1)})
    assert len(inventory.grants) == 10_000  # the builtins; the others are disabled
    assert time.monotonic() - started < 20


@pytest.mark.parametrize(
    "entry",
    [
        "x: {type: [stdio], cmd: npx, envs: {TOKEN: SECRET}}",  # a type of a shape Goose has not
        "x: {type: {a: 1}, cmd: npx, envs: {TOKEN: SECRET}}",
        "5: {type: builtin, envs: {TOKEN: SECRET}}",  # a key YAML reads as a number
        "~: {type: builtin, envs: {TOKEN: SECRET}}",
    ],
)
def test_goose_entries_of_odd_shapes_end_no_scan_and_their_secrets_are_found(tmp_path: Path, entry: str) -> None:
    config = "GOOSE_MODE: auto\nextensions:\n  " + entry.replace("SECRET", GITHUB_TOKEN) + "\n"
    inventory = _collect(tmp_path, {"config.yaml": config})
    (secret,) = inventory.credentials
    assert "envs.TOKEN" in secret.attributes["display_id"]
    assert all(isinstance(tool.name, str) for tool in inventory.grants)


@pytest.mark.parametrize("entry", ["type: builtin", "type: stdio\n    cmd: npx\n    enabled: false"])
def test_a_credential_pasted_as_the_key_of_an_extension_that_is_no_tool_is_found(tmp_path: Path, entry: str) -> None:
    config = f"GOOSE_MODE: auto\nextensions:\n  {GITHUB_TOKEN}:\n    {entry}\n"
    inventory = _collect(tmp_path, {"config.yaml": config})
    (secret,) = inventory.credentials
    assert secret.attributes["display_id"].startswith("github_token")
