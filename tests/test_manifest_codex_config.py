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
        # found by a review: tomllib keeps a flag for each prefix of a dotted key (14 GB for 50,000 parts)
        pytest.param(
            "[mcp_servers.x]\ncommand = 'npx'\n[a]\n" + "b." * 100_000 + "c = 1\n",
            "nested more than 100 levels",
            id="dotted",
        ),
        pytest.param("[" + "a." * 400_000 + "a]\nmcp_servers = 1\n", "nested more than 100 levels", id="header"),
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
        # "auto" (the default) and "writes" let through what the server's annotations mark read-only
        ("", None),
        ('default_tools_approval_mode = "auto"\n', None),
        ('default_tools_approval_mode = "writes"\n', None),
        ('default_tools_approval_mode = "prompt"\n', []),  # every call asks
        ('default_tools_approval_mode = "approve"\n', True),  # every tool without asking
        (
            'default_tools_approval_mode = "prompt"\n[mcp_servers.postgres.tools.query]\napproval_mode = "approve"\n',
            ["query"],
        ),
        # a tool known to run without asking is named, whatever the others' modes leave unknown
        (
            '[mcp_servers.postgres.tools.query]\napproval_mode = "approve"\n'
            '[mcp_servers.postgres.tools.schema]\napproval_mode = "writes"\n',
            ["query"],
        ),
        ('default_tools_approval_mode = "prompt"\n[mcp_servers.postgres.tools.query]\napproval_mode = "prompt"\n', []),
        ('default_tools_approval_mode = "always"\n', None),  # no mode Codex has
        ('default_tools_approval_mode = "prompt"\ntools = "query"\n', None),
        ('default_tools_approval_mode = "prompt"\n[mcp_servers.postgres.tools]\nquery = "approve"\n', None),
    ],
)
def test_what_codex_runs_without_asking_is_read_from_its_approval_modes(
    tmp_path: Path, settings: str, approved: list[str] | bool | None
) -> None:
    """Codex's AppToolApproval (requires_mcp_tool_approval_for_mode in its source): "approve" runs
    a call without asking, "prompt" asks; "auto" and "writes" go by the server's own annotations,
    and any other value or shape is none Codex reads: unknown."""
    text = POSTGRES + settings
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    (tool,) = inventory.grants
    if approved is None:
        assert "attributes.auto_approved" in tool.unknown and "auto_approved" not in tool.attributes
    else:
        assert tool.attributes.get("auto_approved", []) == approved and "attributes.auto_approved" not in tool.unknown


NEVER_ASK = 'approval_policy = "never"\n'
YOLO = '[profiles.yolo]\napproval_policy = "never"\nsandbox_mode = "danger-full-access"\n'


@pytest.mark.parametrize(
    ("top", "profiles", "approved"),
    [
        (NEVER_ASK + 'sandbox_mode = "danger-full-access"\n', "", True),  # Codex answers its own prompts
        (NEVER_ASK + 'sandbox_mode = "workspace-write"\n', "", []),  # prompts are refused, not approved
        ('approval_policy = "on-request"\nsandbox_mode = "danger-full-access"\n', "", []),
        ('profile = "yolo"\n', YOLO, True),  # the selected profile's
        (
            NEVER_ASK + 'sandbox_mode = "danger-full-access"\nprofile = "safe"\n',
            '[profiles.safe]\napproval_policy = "on-request"\n',
            [],
        ),
    ],
)
def test_codex_s_approval_policy_and_sandbox_approve_every_call_together(
    tmp_path: Path, top: str, profiles: str, approved: list[str] | bool
) -> None:
    """mcp_permission_prompt_is_auto_approved in Codex's source: with the policy ``never`` and full
    disk access, a prompt resolves as approved; with any sandbox less, it is refused."""
    text = top + POSTGRES + 'default_tools_approval_mode = "prompt"\n' + profiles
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    (tool,) = inventory.grants
    assert tool.attributes.get("auto_approved", []) == approved and "attributes.auto_approved" not in tool.unknown


def test_a_codex_tool_that_writes_data_without_asking_fails_agent_006(tmp_path: Path, catalogs) -> None:
    text = POSTGRES + '[mcp_servers.postgres.tools.query]\napproval_mode = "approve"\n'
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    assert {f.status for f in result.findings if f.control_id == "NHI-AGENT-006"} == {"fail"}


@pytest.mark.parametrize(
    "text",
    [
        '[mcp_servers]\ngithub = { command = "npx", env = { GITHUB_TOKEN = "@T@" } }\n',  # one table, inline ones
        'mcp_servers.github.command = "npx"\nmcp_servers.github.env.GITHUB_TOKEN = "@T@"\n',  # dotted keys
        '[ mcp_servers.github ]\ncommand = "npx"\nenv = { GITHUB_TOKEN = "@T@" }\n',
        '["mcp_servers".github]\ncommand = "npx"\nenv = { GITHUB_TOKEN = "@T@" }\n',
        '\ufeff[mcp_servers.github]\ncommand = "npx"\nenv = { GITHUB_TOKEN = "@T@" }\n',  # a byte order mark first
    ],
)
def test_codex_s_servers_are_found_in_every_way_toml_writes_their_table(tmp_path: Path, text: str) -> None:
    """Found missing by a review: the folder was searched for two ways of writing the table only,
    and a config.toml written otherwise was passed over, its token with it."""
    token = "ghp_" + "Lk4Mn7Pq2Rs9Tu3Vw8Xy1Za6Bc5De0Fg2Hi7"
    files = {".codex/config.toml": text.replace("@T@", token)}
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))
    assert [g.name for g in inventory.grants] == ["github"]
    assert [c.attributes["display_id"] for c in inventory.credentials] == [
        "github_token in github env.GITHUB_TOKEN (redacted)"
    ]


def test_codex_s_requirements_and_other_tools_mcp_settings_are_no_agents_and_no_gaps(tmp_path: Path) -> None:
    """requirements.toml lists the servers an administrator allows (by identity), none to run; a
    tool's own "mcp": {"servers": []} is no VS Code setting (a review found such files in the wild)."""
    files = {
        ".codex/requirements.toml": '[mcp_servers.docs.identity]\ncommand = "codex-mcp"\n',
        ".unikit.json": '{"version": "1.0.0", "engine": "unity", "mcp": {"servers": []}, "agents": []}',
    }
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, files))))
    assert not inventory.agents and not inventory.sources[0].errors


def test_servers_whose_names_are_written_otherwise_are_placed_in_bounded_time(tmp_path: Path) -> None:
    """Each server's line was searched for as mcp_servers.NAME to the end of the file, then again
    from its start: 25,000 quoted names took 78 s."""
    text = "".join(f'[mcp_servers."q{i}"]\ncommand = "npx"\n' for i in range(20_000))
    started = time.monotonic()
    inventory = collect(SourceSpec("manifests", str(repository_with(tmp_path, {".codex/config.toml": text}))))
    assert len(inventory.grants) == 20_000
    assert time.monotonic() - started < 20
