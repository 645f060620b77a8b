"""Claude Code's own configuration, ``~/.claude.json``, keeps MCP servers in two places: user-scope
servers under the top-level ``mcpServers``, and local-scope servers ("private to you in this
project", the default of ``claude mcp add``) under ``projects.<project path>.mcpServers``. Every
server of both is a tool of the Claude Code agent, each once, with its project named; a literal
secret in any of them is found once, named by its project; the rest of the file is still checked.

A project's path names where the server is configured, not what it is: it is kept beside the
server's name (``attributes.project``), so a folder called ``agents`` or ``github`` does not make
a server look like one to the capability catalog.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

GITHUB_TOKEN = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
SLACK_TOKEN = "xoxb-" + "193847561029-2938475610293-Zx7Cv6Bn5Mq4Wl3Ek2Rj1Th9"
SHOP, INFRA, BLOG = "/Users/alice/code/shop", "/Users/alice/code/infra", "/Users/alice/code/blog"


def _project(servers: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """A project entry as Claude Code writes it (``claude mcp add`` in that folder)."""
    return {
        "allowedTools": [],
        "history": [],
        "mcpContextUris": [],
        "mcpServers": servers,
        "enabledMcpjsonServers": [],
        "disabledMcpjsonServers": [],
        "hasTrustDialogAccepted": True,
        "projectOnboardingSeenCount": 1,
        "hasClaudeMdExternalIncludesApproved": False,
        "hasClaudeMdExternalIncludesWarningShown": False,
        **fields,
    }


def _github(token: str) -> dict[str, Any]:
    return {
        "type": "stdio",
        "command": "npx",
        "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"],
        "env": {"GITHUB_PERSONAL_ACCESS_TOKEN": token},
    }


def claude_json(*, user_servers: bool = True) -> dict[str, Any]:
    """~/.claude.json of someone with a user-scope GitHub server (its token in the environment)
    and local-scope servers in two of three projects, one of them with a token pasted in."""
    document: dict[str, Any] = {
        "numStartups": 184,
        "installMethod": "npm-global",
        "autoUpdates": True,
        "tipsHistory": {"new-user-warmup": 7, "memory-command": 12},
        "userID": "5f0c3b1e9a7d4c2b8e6f1a3d5c7b9e0f2a4c6e8b1d3f5a7c9e1b3d5f7a9c1e3b",
        "firstStartTime": "2025-05-02T08:14:31.402Z",
        "githubRepoPaths": {"acme/infra": [INFRA], "acme/shop": [SHOP]},  # the paths as values, before the keys
        "projects": {
            SHOP: _project(
                {
                    "postgres": {
                        "type": "stdio",
                        "command": "npx",
                        "args": ["-y", "@modelcontextprotocol/server-postgres@0.6.2", "postgresql://localhost/shop"],
                        "env": {},
                    }
                },
                history=[{"display": f"post the summary to slack with {SLACK_TOKEN}", "pastedContents": {}}],
            ),
            INFRA: _project(
                {
                    "github": _github(GITHUB_TOKEN),
                    "sentry": {"type": "http", "url": "https://mcp.sentry.dev/mcp"},
                }
            ),
            BLOG: _project({}),
        },
        "hasCompletedOnboarding": True,
        "lastOnboardingVersion": "1.0.51",
    }
    if user_servers:
        document["mcpServers"] = {"github": _github("${GITHUB_TOKEN}")}
    return document


def _collect(root: Path, document: dict[str, Any]) -> tuple[Inventory, str]:
    text = json.dumps(document, indent=2)  # as Claude Code writes it
    (root / ".claude.json").write_text(text)
    return collect(SourceSpec("manifests", str(root))), text


def _line(text: str, needle: str, after: int = 0) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if number > after and needle in line)


def test_every_server_in_the_user_scope_and_in_each_project_is_a_tool_once_with_its_project(tmp_path: Path) -> None:
    inventory, _ = _collect(tmp_path, claude_json())
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("Claude Code (.claude.json)", "claude-code")
    tools = sorted((g.attributes.get("project", ""), g.name, g.attributes["tool_type"]) for g in inventory.grants)
    assert tools == [
        ("", "github", "server-github"),  # the user scope: every project
        (INFRA, "github", "server-github"),
        (INFRA, "sentry", "mcp.sentry.dev"),
        (SHOP, "postgres", "server-postgres"),
    ]
    assert len({g.uid for g in inventory.grants}) == 4
    assert [s.status for s in inventory.sources] == ["complete"]


def test_each_server_is_located_at_its_own_entry(tmp_path: Path) -> None:
    inventory, text = _collect(tmp_path, claude_json())
    lines = {(g.attributes.get("project"), g.name): g.attributes["location"]["line"] for g in inventory.grants}
    infra = _line(text, f'"{INFRA}"')
    assert lines[(INFRA, "github")] == _line(text, '"github"', infra)
    assert lines[(SHOP, "postgres")] == _line(text, '"postgres"', _line(text, f'"{SHOP}"'))
    user_section = max(n for n, line in enumerate(text.splitlines(), 1) if line.startswith('  "mcpServers"'))
    assert lines[(None, "github")] == _line(text, '"github"', user_section)


def test_a_configuration_whose_servers_are_all_in_projects_is_read(tmp_path: Path) -> None:
    inventory, _ = _collect(tmp_path, claude_json(user_servers=False))
    (agent,) = inventory.agents
    assert agent.platform == "claude-code"
    assert sorted(g.name for g in inventory.grants) == ["github", "postgres", "sentry"]


def test_a_secret_in_a_project_server_is_found_once_and_named_by_its_project(tmp_path: Path, catalogs) -> None:
    inventory, text = _collect(tmp_path, claude_json())
    places = {c.attributes["display_id"]: c.attributes["location"]["line"] for c in inventory.credentials}
    assert places == {
        f"github_token in github (project {INFRA}) env.GITHUB_PERSONAL_ACCESS_TOKEN (redacted)": _line(
            text, GITHUB_TOKEN
        ),
        # the rest of the file is checked too: a token pasted into a prompt of the shop project
        f"slack_token in projects.{SHOP}.history[0].display (redacted)": _line(text, SLACK_TOKEN),
    }
    assert GITHUB_TOKEN not in repr(inventory) and SLACK_TOKEN not in repr(inventory)
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert [f.status for f in result.findings if f.control_id == "NHI-SECRET-001"] == ["fail"]


@pytest.mark.parametrize("folder", ["/Users/alice/agents/realtime-github", "/home/bob/src/terraform-drive"])
def test_a_projects_path_does_not_change_what_its_servers_are_taken_to_be(
    tmp_path: Path, catalogs, folder: str
) -> None:
    """An in-house server the catalog does not know stays unknown (NHI-AGENT-012), whatever
    the folder it is configured for is called."""
    server = {"type": "stdio", "command": "/opt/acme/bin/tickets-mcp", "args": []}
    document = {"projects": {folder: _project({"tickets": server})}}
    inventory, _ = _collect(tmp_path, document)
    (tool,) = inventory.grants
    assert (tool.name, tool.attributes["project"]) == ("tickets", folder)
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert [f.status for f in result.findings if f.control_id == "NHI-AGENT-012"] == ["fail"]
