"""An approval setting is read in every shape its format documents, and any other shape leaves
the tool's approval unknown: never a crash, never a pass.

Documented shapes: an Agent Framework MCP tool's ``approvalMode`` is a mapping whose ``kind`` is
``always``, ``never`` or ``specify`` (with ``alwaysRequireApprovalTools`` and
``neverRequireApprovalTools``), or that ``kind`` alone as a string (AgentSchema's "alternate
construction", which the framework's loader accepts). An MCP client's ``autoApprove`` (Cline)
and ``alwaysAllow`` (Roo Code, Kilo Code) are lists of tool names; Gemini CLI's ``trust`` is a
boolean. An nhiscan agent manifest's ``requires_approval`` and ``human_approval`` are booleans
its schema checks: another shape makes the file a named gap.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.model import Grant, Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .hostile_cases import run_nhiscan

# Shapes no format documents for an approval setting (a string of an unknown mode, a number, a
# list, null, a mapping nested where a word belongs, a boolean where a mode or a list belongs).
ODD_SHAPES = {
    "unknown word": "sometimes",
    "number": 5,
    "list": ["always"],
    "null": None,
    "nested mapping": {"kind": {"kind": "always"}},
    "boolean": True,
}


def _collect(root: Path, relpath: str, document: dict[str, Any]) -> Inventory:
    path = root / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(document) if relpath.endswith(".yaml") else json.dumps(document, indent=2))
    return collect(SourceSpec("manifests", str(root)))


def _tool(inventory: Inventory) -> Grant:
    (tool,) = inventory.grants
    return tool


def _agent_006(inventory: Inventory, catalogs) -> str:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (status,) = [f.status for f in result.findings if f.control_id == "NHI-AGENT-006"]
    return status


def _agent_framework(approval: Any = "absent", **tool_fields: Any) -> dict[str, Any]:
    """A declarative agent with one GitHub MCP tool (it writes code: approval matters)."""
    tool: dict[str, Any] = {"kind": "mcp", "name": "github", "url": "https://api.githubcopilot.com/mcp/"}
    if approval != "absent":
        tool["approvalMode"] = approval
    return {"kind": "Prompt", "name": "Coder", "instructions": "Fix issues.", "tools": [{**tool, **tool_fields}]}


# ---------------------------------------------------------------- Agent Framework approvalMode


@pytest.mark.parametrize(
    ("approval", "requires_approval"),
    [({"kind": "always"}, True), ({"kind": "never"}, False), ("always", True), ("never", False)],
    ids=["mapping always", "mapping never", "string always", "string never"],
)
def test_an_approval_mode_written_as_a_mapping_or_as_its_kind_alone_is_read(
    tmp_path: Path, approval: Any, requires_approval: bool
) -> None:
    tool = _tool(_collect(tmp_path, "agent.yaml", _agent_framework(approval)))
    assert tool.attributes["requires_approval"] is requires_approval
    assert "attributes.requires_approval" not in tool.unknown


def test_a_tool_that_never_asks_fails_agent_006_whether_the_mode_is_a_mapping_or_a_string(
    tmp_path: Path, catalogs
) -> None:
    assert _agent_006(_collect(tmp_path / "a", "agent.yaml", _agent_framework({"kind": "never"})), catalogs) == "fail"
    assert _agent_006(_collect(tmp_path / "b", "agent.yaml", _agent_framework("never")), catalogs) == "fail"


def test_a_specified_mode_requires_approval_when_every_allowed_tool_is_listed_as_always_requiring_it(
    tmp_path: Path,
) -> None:
    approval = {"kind": "specify", "alwaysRequireApprovalTools": ["create_issue", "merge_pull_request"]}
    document = _agent_framework(approval, allowedTools=["create_issue", "merge_pull_request"])
    tool = _tool(_collect(tmp_path, "agent.yaml", document))
    assert tool.attributes["requires_approval"] is True


@pytest.mark.parametrize(
    ("approval", "allowed"),
    [
        ({"kind": "specify", "neverRequireApprovalTools": ["merge_pull_request"]}, None),
        ({"kind": "specify", "alwaysRequireApprovalTools": ["create_issue"]}, None),  # the others: not said
        ({"kind": "specify", "alwaysRequireApprovalTools": ["create_issue"]}, ["create_issue", "push_files"]),
    ],
    ids=["some never ask", "others not said", "an allowed tool not listed"],
)
def test_a_specified_mode_that_lets_some_tool_run_unasked_leaves_approval_unknown(
    tmp_path: Path, catalogs, approval: dict[str, Any], allowed: list[str] | None
) -> None:
    """Which of the server's tools change things is not known, only the server's reach: whether
    a tool that runs without asking is one of them cannot be told."""
    fields = {"allowedTools": allowed} if allowed else {}
    inventory = _collect(tmp_path, "agent.yaml", _agent_framework(approval, **fields))
    tool = _tool(inventory)
    assert "requires_approval" not in tool.attributes and "attributes.requires_approval" in tool.unknown
    assert _agent_006(inventory, catalogs) == "unknown"


@pytest.mark.parametrize("approval", list(ODD_SHAPES.values()), ids=list(ODD_SHAPES))
@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_an_approval_mode_of_any_other_shape_is_read_as_unknown(
    tmp_path: Path, catalogs, approval: Any, suffix: str
) -> None:
    inventory = _collect(tmp_path, f"agent{suffix}", _agent_framework(approval))
    assert [s.status for s in inventory.sources] == ["complete"]
    tool = _tool(inventory)
    assert "requires_approval" not in tool.attributes and "attributes.requires_approval" in tool.unknown
    assert _agent_006(inventory, catalogs) == "unknown"


@pytest.mark.parametrize("allowed", [5, "create_issue", None, {"create_issue": True}, ["create_issue", 5]])
def test_an_allowed_tools_list_of_another_shape_is_not_kept_and_the_rest_is_read(tmp_path: Path, allowed: Any) -> None:
    tool = _tool(_collect(tmp_path, "agent.yaml", _agent_framework("always", allowedTools=allowed)))
    assert "allowed_tools" not in tool.attributes and tool.attributes["requires_approval"] is True


def test_a_plain_string_approval_mode_is_scanned_not_an_internal_error(tmp_path: Path) -> None:
    """The command line: exit 4 (an internal error) was the answer to ``approvalMode: always``."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "agent.yaml").write_text(
        "kind: Prompt\nname: Coder\ntools:\n  - kind: mcp\n    name: github\n"
        "    url: https://api.githubcopilot.com/mcp/\n    approvalMode: always\n"
    )
    (tmp_path / "repo" / "agent.json").write_text(
        json.dumps(_agent_framework("sometimes") | {"name": "Reviewer"}, indent=2)
    )
    arguments = ("scan", "manifests:repo", "--format", "json", "--no-history", "--include-passed", "-q")
    completed = run_nhiscan(*arguments, cwd=tmp_path)
    assert completed.returncode in (0, 1), completed.stderr
    assert "internal error" not in completed.stderr
    results = json.loads((tmp_path / "nhiscan-out" / "results.json").read_text())
    statuses = {f["resource"]["name"]: f["status"] for f in results["findings"] if f["control_id"] == "NHI-AGENT-006"}
    assert statuses == {"Coder": "unknown", "Reviewer": "unknown"}  # no runtime identity is declared


# ---------------------------------------------------------------- MCP clients: autoApprove, alwaysAllow, trust

FILESYSTEM = {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem@2025.8.21", "/srv"]}


def _client(**setting: Any) -> dict[str, Any]:
    return {"mcpServers": {"filesystem": {**FILESYSTEM, **setting}}}


@pytest.mark.parametrize("key", ["autoApprove", "alwaysAllow"])
def test_a_list_of_tool_names_approved_without_asking_is_read(tmp_path: Path, catalogs, key: str) -> None:
    inventory = _collect(tmp_path, "cline_mcp_settings.json", _client(**{key: ["write_file", "read_file"]}))
    assert _tool(inventory).attributes["auto_approved"] == ["write_file", "read_file"]
    assert _agent_006(inventory, catalogs) == "fail"


@pytest.mark.parametrize("key", ["autoApprove", "alwaysAllow"])
def test_an_empty_list_approves_nothing(tmp_path: Path, key: str) -> None:
    tool = _tool(_collect(tmp_path, "cline_mcp_settings.json", _client(**{key: []})))
    assert not tool.attributes.get("auto_approved") and "attributes.auto_approved" not in tool.unknown


def test_both_lists_are_read_together(tmp_path: Path) -> None:
    tool = _tool(
        _collect(tmp_path, "mcp_settings.json", _client(alwaysAllow=["write_file"], autoApprove=["move_file"]))
    )
    assert tool.attributes["auto_approved"] == ["write_file", "move_file"]


@pytest.mark.parametrize(
    "value", ["always", 5, None, {"write_file": {"always": True}}, True, ["write_file", 5]],
    ids=["string", "number", "null", "nested mapping", "boolean", "list of other things"],
)  # fmt: skip
@pytest.mark.parametrize("key", ["autoApprove", "alwaysAllow"])
def test_an_auto_approval_of_any_other_shape_is_unknown(tmp_path: Path, catalogs, key: str, value: Any) -> None:
    inventory = _collect(tmp_path, "cline_mcp_settings.json", _client(**{key: value}))
    assert [s.status for s in inventory.sources] == ["complete"]
    tool = _tool(inventory)
    assert "auto_approved" not in tool.attributes and "attributes.auto_approved" in tool.unknown
    assert _agent_006(inventory, catalogs) == "unknown"


@pytest.mark.parametrize(
    "value", ["true", 1, None, ["filesystem"], {"enabled": True}],
    ids=["string", "number", "null", "list", "nested mapping"],
)  # fmt: skip
def test_a_gemini_cli_trust_that_is_not_a_boolean_is_unknown(tmp_path: Path, catalogs, value: Any) -> None:
    inventory = _collect(tmp_path, ".gemini/settings.json", _client(trust=value))
    tool = _tool(inventory)
    assert "auto_approved" not in tool.attributes and "attributes.auto_approved" in tool.unknown
    assert _agent_006(inventory, catalogs) == "unknown"


@pytest.mark.parametrize(("trust", "auto_approved"), [(True, True), (False, None)])
def test_a_gemini_cli_trust_that_is_a_boolean_is_read(tmp_path: Path, trust: bool, auto_approved: Any) -> None:
    tool = _tool(_collect(tmp_path, ".gemini/settings.json", _client(trust=trust)))
    assert tool.attributes.get("auto_approved") is auto_approved and "attributes.auto_approved" not in tool.unknown


def test_an_mcp_server_declared_in_an_nhiscan_manifest_reads_its_approval_settings_the_same_way(
    tmp_path: Path,
) -> None:
    server = {**FILESYSTEM, "autoApprove": 5}
    document = {"nhiscan": "agent/v1", "name": "ops", "tools": [{"name": "fs", "mcp": server}]}
    tool = _tool(_collect(tmp_path, "ops.nhiscan.yaml", document))
    assert "attributes.auto_approved" in tool.unknown


# ---------------------------------------------------------------- nhiscan agent manifest: checked by its schema


@pytest.mark.parametrize("value", ["always", 5, ["yes"], None, {"kind": "always"}], ids=list(ODD_SHAPES)[:5])
@pytest.mark.parametrize("where", ["tool", "agent"])
def test_an_nhiscan_manifest_approval_that_is_not_a_boolean_makes_the_file_a_named_gap(
    tmp_path: Path, value: Any, where: str
) -> None:
    document: dict[str, Any] = {"nhiscan": "agent/v1", "name": "ops", "tools": [{"name": "deploy"}]}
    if where == "tool":
        document["tools"][0]["requires_approval"] = value
    else:
        document["human_approval"] = value
    inventory = _collect(tmp_path, "ops.nhiscan.yaml", document)
    assert inventory.agents == []
    (status,) = inventory.sources
    assert status.status == "partial"
    assert [(e.call, e.code) for e in status.errors] == [("read ops.nhiscan.yaml", "invalid")]
