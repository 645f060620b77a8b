"""A manifest field of a shape its format does not have is a named gap, or leaves unknown what it
would have told: the scan carries on, and a control that reads the field never passes on it.

Each real manifest in realworld/agents (third-party files, unedited: copied, then changed in the
copy) has each of its fields replaced in turn by each shape the field does not have: a string, a
number, a list, null, a mapping. Every copy is scanned; none may end the scan, and where the
field is one a control reads, that control's result for the copy is not a pass.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.model import Inventory
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .conftest import SHARED
from .hostile_cases import run_nhiscan

AGENTS = SHARED / "realworld" / "agents"
REAL = sorted(p.name for p in AGENTS.iterdir() if p.suffix in (".json", ".yaml"))

ODD_SHAPES: dict[str, Any] = {"string": "odd", "number": 5, "list": ["odd"], "null": None, "mapping": {"odd": 1}}

PINNED, TLS, APPROVAL = "NHI-AGENT-011", "NHI-AGENT-010", "NHI-AGENT-006"
TOOL_CONTROLS = (PINNED, TLS, APPROVAL)
# The fields the manifest source reads, by path (a list index as [n]), and the controls that judge
# what each tells. A field not listed here is only searched for secrets, whatever its shape.
READS: list[tuple[str, tuple[str, ...]]] = [
    # MCP client configurations (Claude Desktop, Claude Code, Cursor, VS Code)
    (r"(mcpServers|servers)", TOOL_CONTROLS),
    (r"(mcpServers|servers)\.[^.\[]+", TOOL_CONTROLS),
    (r"(mcpServers|servers)\.[^.\[]+\.(command|args|args\[\d+\])", (PINNED,)),
    (r"(mcpServers|servers)\.[^.\[]+\.(url|serverUrl|httpUrl)", (TLS,)),
    (r"(mcpServers|servers)\.[^.\[]+\.type", (PINNED,)),
    (r"(mcpServers|servers)\.[^.\[]+\.(autoApprove|alwaysAllow|trust)(\[\d+\])?", (APPROVAL,)),
    # the MCP registry's server.json
    (r"(packages|remotes)(\[\d+\])?", TOOL_CONTROLS),
    (r"version|packages\[\d+\]\.(identifier|version|transport|transport\.type)", (PINNED,)),
    (r"remotes\[\d+\]\.url", (TLS,)),
    (r"remotes\[\d+\]\.type", (PINNED,)),
    # Agent Framework declarative agents
    (r"tools(\[\d+\])?", TOOL_CONTROLS),
    (r"tools\[\d+\]\.kind", (TLS, APPROVAL)),
    (r"tools\[\d+\]\.url", (TLS,)),
    (r"tools\[\d+\]\.(approvalMode|approvalMode\.kind)", (APPROVAL,)),
]


def controls_reading(path: str) -> set[str]:
    return {control for pattern, controls in READS for control in controls if re.fullmatch(pattern, path)}


def load(name: str) -> Any:
    text = (AGENTS / name).read_text(encoding="utf-8")
    return yaml.safe_load(text) if name.endswith(".yaml") else json.loads(text)


def field_paths(node: Any, prefix: str = "") -> Iterator[tuple[str, tuple[str | int, ...]]]:
    """(shown path, key path) of every field and list item under ``node``."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        shown = f"{prefix}[{key}]" if isinstance(key, int) else f"{prefix}.{key}" if prefix else str(key)
        yield shown, (key,)
        for below, keys in field_paths(child, shown):
            yield below, (key, *keys)


def replaced(document: Any, keys: tuple[str | int, ...], value: Any) -> Any:
    changed = copy.deepcopy(document)
    parent = changed
    for key in keys[:-1]:
        parent = parent[key]
    parent[keys[-1]] = copy.deepcopy(value)
    return changed


def same_shape(a: Any, b: Any) -> bool:
    kinds = (str, bool, (int, float), list, dict, type(None))
    return any(isinstance(a, kind) and isinstance(b, kind) for kind in kinds)


CASES = [
    pytest.param(name, shown, keys, id=f"{name}:{shown}") for name in REAL for shown, keys in field_paths(load(name))
]


def test_every_field_a_control_reads_is_in_a_real_manifest() -> None:
    """The table above is exercised: each of its patterns matches a field of some real manifest,
    or names a setting (trust, autoApprove …) the approval-shape tests cover."""
    paths = {shown for name in REAL for shown, _ in field_paths(load(name))}
    unmatched = [p for p, _ in READS if not any(re.fullmatch(p, path) for path in paths)]
    assert unmatched == [r"(mcpServers|servers)\.[^.\[]+\.(autoApprove|alwaysAllow|trust)(\[\d+\])?"]


@pytest.mark.parametrize(("name", "shown", "keys"), CASES)
def test_a_field_of_an_odd_shape_ends_no_scan_and_passes_no_control_that_reads_it(
    tmp_path: Path, catalogs: Catalogs, name: str, shown: str, keys: tuple[str | int, ...]
) -> None:
    document = load(name)
    original = document
    for key in keys:
        original = original[key]
    merged = Inventory(collected_at=datetime.now(UTC))
    copies: dict[str, str] = {}
    for shape, value in ODD_SHAPES.items():
        if same_shape(original, value):
            continue
        folder = tmp_path / shape
        folder.mkdir()
        shutil.copy(AGENTS / name, folder / name)  # the real file, then the one field changed
        changed = replaced(document, keys, value)
        text = yaml.safe_dump(changed, sort_keys=False) if name.endswith(".yaml") else json.dumps(changed, indent=2)
        (folder / name).write_text(text, encoding="utf-8")
        inventory = collect(SourceSpec("manifests", str(folder / name)))  # an internal error raises here
        (source,) = inventory.sources
        if not inventory.agents:  # not read at all: a named gap, naming the file
            assert source.status == "partial" and any(name in e.call for e in source.errors), shape
            continue
        (agent,) = inventory.agents
        copies[agent.uid] = shape
        merged.accounts += inventory.accounts
        merged.agents += inventory.agents
        merged.grants += inventory.grants
        merged.credentials += inventory.credentials
    controls = controls_reading(shown)
    if not controls or not merged.agents:
        return
    result = run_scan(merged, catalogs, ScanOptions(keep_passed=True))
    passed = sorted(
        (copies[f.resource.uid], f.control_id)
        for f in result.findings
        if f.control_id in controls and f.resource.uid in copies and f.status == "pass"
    )
    assert passed == [], f"{shown} of an odd shape, yet a control reading it passed"


@pytest.mark.parametrize(
    ("name", "keys", "value"),
    [
        ("mcp-servers-readme-claude_desktop_config-multi.json", ("mcpServers", "filesystem", "args"), 5),
        ("github-mcp-server-registry-server.json", ("packages",), "ghcr.io/github/github-mcp-server"),
        ("github-mcp-server-registry-server.json", ("remotes",), {"url": "https://api.githubcopilot.com/mcp/"}),
        ("github-mcp-server-registry-server.json", ("packages", 0), "ghcr.io/github/github-mcp-server"),
        ("github-mcp-server-registry-server.json", ("remotes", 0), 5),
        ("github-mcp-server-registry-server.json", ("packages", 0, "transport"), "stdio"),
    ],
    ids=["client args a number", "packages a string", "remotes a mapping", "a package a string",
         "a remote a number", "a transport a string"],
)  # fmt: skip
def test_the_command_line_scan_of_an_odd_shape_ends_without_an_internal_error(
    tmp_path: Path, name: str, keys: tuple[str | int, ...], value: Any
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / name).write_text(json.dumps(replaced(load(name), keys, value), indent=2), encoding="utf-8")
    done = run_nhiscan("scan", f"manifests:repo/{name}", "--format", "json", "--no-history", "-q", cwd=tmp_path)
    assert done.returncode in (0, 1, 3), done.stderr  # 4 would be an internal error
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr.lower()


@pytest.mark.parametrize("shape", ["number", "list", "null"])
@pytest.mark.parametrize("where", ["projects", "a project", "a project's mcpServers"])
def test_claude_code_s_projects_of_an_odd_shape_are_a_named_gap_and_leave_the_tools_unknown(
    tmp_path: Path, where: str, shape: str
) -> None:
    odd = ODD_SHAPES[shape]
    own = {"github": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-github@2025.4.8"]}}
    projects: Any = {
        "projects": odd,
        "a project": {"/home/dev/app": odd},
        "a project's mcpServers": {"/home/dev/app": {"mcpServers": odd}},
    }[where]
    (tmp_path / ".claude.json").write_text(json.dumps({"mcpServers": own, "projects": projects}), encoding="utf-8")
    inventory = collect(SourceSpec("manifests", str(tmp_path)))
    (agent,) = inventory.agents
    assert [g.name for g in inventory.grants] == ["github"], "the user's own servers are still read"
    assert "tools" in agent.unknown
    (source,) = inventory.sources
    assert source.status == "partial"
    assert [e.call for e in source.errors] == ["read .claude.json"]
    assert "projects" in source.errors[0].message and "not a mapping" in source.errors[0].message
