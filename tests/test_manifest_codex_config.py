"""Codex keeps its MCP servers in TOML: ``[mcp_servers.NAME]`` tables of ``config.toml`` (the
user's ``~/.codex/config.toml``, a project's ``.codex/config.toml``), with ``command``, ``args`` and
``env`` for a launched server, ``url``, ``http_headers`` and ``bearer_token_env_var`` for a remote
one. A folder scan reads such a file as it reads a JSON client configuration: each server a tool,
each literal secret found and in no output, and a file it cannot read a named gap. Before, TOML was
never looked at, and a repository whose Codex configuration held a token was scanned as holding no
agent at all.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .repositories import repository_with

FIGMA_TOKEN = "figd_" + "Zq8Xw3Lm9Pq2RtZq8Xw3Lm9Pq2RtYv"
DB_PASSWORD = "Tr0ub4dor-Xq9v-Lm3k"

CONFIG = f"""model = "gpt-5-codex"
approval_policy = "on-request"

[mcp_servers.github]
url = "https://api.githubcopilot.com/mcp/"
bearer_token_env_var = "GITHUB_PAT"

[mcp_servers.figma]
url = "https://mcp.figma.com/mcp"
http_headers = {{ "Authorization" = "Bearer {FIGMA_TOKEN}" }}
env_http_headers = {{ "X-Figma-Region" = "FIGMA_REGION" }}

[mcp_servers.postgres]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-postgres@0.6.2"]
startup_timeout_sec = 20

[mcp_servers.postgres.env]
PGPASSWORD = "{DB_PASSWORD}"
"""


def test_codex_s_servers_are_tools_on_their_lines_and_their_literal_secrets_are_found(tmp_path: Path) -> None:
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": CONFIG}))))
    (agent,) = inventory.agents
    assert (agent.name, agent.platform) == ("Codex (.codex/config.toml)", "codex")
    tools = {g.name: g.attributes for g in inventory.grants}
    assert [(name, a["location"]["line"]) for name, a in tools.items()] == [
        ("github", 4),
        ("figma", 8),
        ("postgres", 13),
    ]
    assert tools["github"]["url"] == "https://api.githubcopilot.com/mcp/"
    assert tools["postgres"]["package"] == "@modelcontextprotocol/server-postgres@0.6.2"
    found = sorted((c.attributes["display_id"], c.attributes["location"]["line"]) for c in inventory.credentials)
    assert found == [  # bearer_token_env_var and env_http_headers name variables: no secret
        ("bearer_token in figma http_headers.Authorization (redacted)", 10),
        ("secret_parameter in postgres env.PGPASSWORD (redacted)", 19),
    ]
    assert inventory.sources[0].status == "complete"


def test_codex_s_secrets_are_in_no_output_and_fail_the_gate(cli, tmp_path: Path) -> None:
    root = repository_with(tmp_path, {".codex/config.toml": CONFIG})
    out = tmp_path / "out"
    outcome = cli("scan", f"manifests:{root}", "--format", "json,html,sarif,md,csv", "-o", str(out), "--no-history")
    assert outcome.exit_code == 1 and "NHI-SECRET-001" in outcome.output
    for text in [outcome.output, *(path.read_text(encoding="utf-8") for path in out.iterdir())]:
        assert FIGMA_TOKEN[5:25] not in text and DB_PASSWORD not in text


def test_toml_without_codex_s_servers_is_not_read(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": '[project]\nname = "agent"\nkeywords = ["mcp_servers"]\n',
        "Cargo.toml": '[package]\nname = "mcp"\n',
    }
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))
    assert not inventory.agents and not inventory.sources[0].errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param("[mcp_servers.x]\ncommand = \n", "Invalid value (at line 2, column 11)", id="syntax"),
        pytest.param("[mcp_servers.x]\nstartup_timeout_sec = nan\n", "nan is not a finite number", id="nan"),
        pytest.param(
            "[mcp_servers.x]\nargs = " + "[" * 5000 + "]" * 5000 + "\n", "nested more than 100 levels", id="arrays"
        ),
        pytest.param("[mcp_servers" + ".x" * 300 + "]\ncommand = 'npx'\n", "nested more than 100 levels", id="tables"),
    ],
)
def test_a_codex_config_it_cannot_read_is_a_named_gap(tmp_path: Path, text: str, message: str) -> None:
    started = time.monotonic()
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    assert time.monotonic() - started < 10
    assert not inventory.agents
    (gap,) = inventory.sources[0].errors
    assert (gap.call, gap.message, gap.code) == ("read .codex/config.toml", message, "invalid")
    assert inventory.sources[0].status == "partial"


def test_servers_of_another_shape_in_codex_s_config_are_a_named_gap(tmp_path: Path) -> None:
    text = 'mcp_servers = ["github"]\n'
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    (agent,) = inventory.agents
    assert "tools" in agent.unknown
    (gap,) = inventory.sources[0].errors
    assert gap.message == "mcp_servers is a list, not a mapping; no server is read"


POSTGRES = """[mcp_servers.postgres]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-postgres@0.6.2", "postgresql://localhost/shop"]
"""


@pytest.mark.parametrize(
    ("settings", "approved"),
    [
        ("", []),  # Codex's default: its approval policy decides, as for any tool
        ('default_tools_approval_mode = "prompt"\n', []),
        ('default_tools_approval_mode = "auto"\n', []),
        ('default_tools_approval_mode = "approve"\n', True),  # every tool without asking
        ('[mcp_servers.postgres.tools.query]\napproval_mode = "approve"\n', ["query"]),
        ('[mcp_servers.postgres.tools.query]\napproval_mode = "prompt"\n', []),
        ('default_tools_approval_mode = "writes"\n', None),  # what the server marks read-only: the server's word
        ('default_tools_approval_mode = "always"\n', None),  # no mode Codex has
        ('tools = "query"\n', None),
        ('[mcp_servers.postgres.tools]\nquery = "approve"\n', None),
    ],
)
def test_what_codex_runs_without_asking_is_read_from_its_approval_modes(
    tmp_path: Path, settings: str, approved: list[str] | bool | None
) -> None:
    """Codex's AppToolApproval: "approve" runs a call without asking, "prompt" asks, "auto" leaves
    it to the approval policy; "writes" and any other value or shape leave it unknown."""
    text = POSTGRES + settings
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    (tool,) = inventory.grants
    if approved is None:
        assert "attributes.auto_approved" in tool.unknown and "auto_approved" not in tool.attributes
    else:
        assert tool.attributes.get("auto_approved", []) == approved and "attributes.auto_approved" not in tool.unknown


def test_a_codex_tool_that_writes_data_without_asking_fails_agent_006(tmp_path: Path, catalogs) -> None:
    text = POSTGRES + '[mcp_servers.postgres.tools.query]\napproval_mode = "approve"\n'
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-AGENT-006"} == {"fail"}
