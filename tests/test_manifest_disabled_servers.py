"""A server its client is told not to start is no tool: Codex's ``enabled = false`` ("disable a
server without removing it"), OpenCode's ``"enabled": false``, and ``"disabled": true`` in the files
of Cline, Roo Code, Kilo Code and Kiro. Before, it was read as a live tool, and its pinning or approval
failed the agent's controls for a server that never runs. Its secrets are still in the file, and
still found. A client that documents no such key (Claude Desktop) starts the server whatever it says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.sources import SourceSpec, collect
from tests.repositories import repository_with

TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"

CODEX = f"""[mcp_servers.live]
command = "npx"
args = ["-y", "live-mcp@1.0.0"]

[mcp_servers.off]
command = "npx"
args = ["-y", "off-mcp"]
enabled = false
env = {{ "GITHUB_TOKEN" = "{TOKEN}" }}
"""


def _json(off: dict[str, object]) -> str:
    servers = {
        "live": {"command": "npx", "args": ["-y", "live-mcp@1.0.0"]},
        "off": {"command": "npx", "args": ["-y", "off-mcp"], "env": {"GITHUB_TOKEN": TOKEN}, **off},
    }
    return json.dumps({"mcpServers": servers}, indent=2)


def _opencode() -> str:
    servers = {
        "live": {"type": "local", "command": ["npx", "-y", "live-mcp@1.0.0"]},
        "off": {"type": "local", "command": ["npx", "-y", "off-mcp"], "environment": {"GITHUB_TOKEN": TOKEN},
                "enabled": False},
    }  # fmt: skip
    return json.dumps({"$schema": "https://opencode.ai/config.json", "mcp": servers}, indent=2)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".codex/config.toml", CODEX),
        ("opencode.json", _opencode()),
        ("cline_mcp_settings.json", _json({"disabled": True})),
        ("mcp_settings.json", _json({"disabled": True})),  # Roo Code's and Kilo Code's settings
        (".roo/mcp.json", _json({"disabled": True})),
        (".kilocode/mcp.json", _json({"disabled": True})),
        (".kiro/settings/mcp.json", _json({"disabled": True})),
    ],
    ids=["codex", "opencode", "cline", "roo-kilo-settings", "roo-project", "kilo-project", "kiro"],
)
def test_a_server_its_client_will_not_start_is_no_tool_but_its_secret_is_found(
    tmp_path: Path, name: str, text: str
) -> None:
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {name: text}))))
    assert [g.name for g in inventory.grants] == ["live"]
    (secret,) = inventory.credentials
    assert "off " in secret.attributes["display_id"] and "GITHUB_TOKEN" in secret.attributes["display_id"]


@pytest.mark.parametrize(
    ("name", "off"),
    [
        ("claude_desktop_config.json", {"disabled": True}),  # a key Claude Desktop does not document
        ("cline_mcp_settings.json", {"disabled": "yes"}),  # a shape Cline does not read
        ("cline_mcp_settings.json", {"enabled": False}),  # Codex's key, not Cline's
    ],
    ids=["claude-desktop", "cline-odd-shape", "cline-codex-key"],
)
def test_a_server_is_started_unless_its_own_client_s_key_says_otherwise(
    tmp_path: Path, name: str, off: dict[str, object]
) -> None:
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {name: _json(off)}))))
    assert sorted(g.name for g in inventory.grants) == ["live", "off"]
    assert len(inventory.credentials) == 1
