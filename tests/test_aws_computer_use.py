"""A Bedrock agent's computer use action groups (parentActionSignature ANTHROPIC.Bash,
ANTHROPIC.Computer, ANTHROPIC.TextEditor) are the tools they are, whatever the group is named:
the agent returns each action to the application, which runs it where it runs (no sandbox known).
Shapes as the Bedrock Agents API reference and its computer use guide give them; the agent is read
over HTTP from the test front to moto."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from scanner.scan import ScanOptions, load_catalogs, run_scan
from scanner.sources.aws.collector import AwsScope, collect_aws

from .aws_estate import _STAMPS, Estate, seeded
from .aws_fake import FakeAws

SCAN = AwsScope(regions=("us-east-1",))


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[FakeAws, Estate]]:
    with seeded() as world:
        yield world


def computer_use_group(name: str, signature: str, kind: str, state: str = "ENABLED") -> dict[str, Any]:
    return {
        "actionGroupId": f"AG{abs(hash(name)) % 10**6}",
        "actionGroupName": name,
        "actionGroupState": state,
        **_STAMPS,
        "parentActionSignature": signature,
        "parentActionGroupSignatureParams": {"type": kind},
        "actionGroupExecutor": {"customControl": "RETURN_CONTROL"},
    }


@pytest.fixture
def served_group(world: tuple[FakeAws, Estate]) -> Iterator[Any]:
    """Adds a group to the agent's DRAFT and to the version its live alias serves."""
    fake, estate = world
    fake.clear_faults()
    agent_id = estate.agent_arn.rsplit("/", 1)[-1]
    saved = copy.deepcopy(fake.state.action_groups)

    def add(group: dict[str, Any]) -> None:
        for key in (agent_id, f"{agent_id}/1"):
            fake.state.action_groups[key] = [*saved[key], group]

    yield add
    fake.state.action_groups = saved


def agent_findings(estate: Estate) -> tuple[list[Any], dict[str, str]]:
    inventory = collect_aws(SCAN)
    tools = [g for g in inventory.grants if g.kind == "tool" and g.identity_uid == estate.agent_arn]
    findings = run_scan(inventory, load_catalogs(), ScanOptions(keep_passed=True)).findings
    return tools, {f.control_id: f.status for f in findings if f.resource.uid == estate.agent_arn}


def test_a_bash_group_with_an_innocent_name_is_a_shell_outside_a_sandbox(world, served_group) -> None:
    served_group(computer_use_group("query_runner", "ANTHROPIC.Bash", "bash_20241022"))
    tools, statuses = agent_findings(world[1])
    (tool,) = [t for t in tools if t.source == "action_group:query_runner"]
    assert (tool.name, tool.attributes["tool_type"], tool.attributes.get("sandboxed")) == ("bash", "bash", None)
    assert statuses["NHI-AGENT-003"] == "fail", "its name read as a data query passed: it runs commands"


def test_a_computer_group_drives_a_desktop(world, served_group) -> None:
    served_group(computer_use_group("ops", "ANTHROPIC.Computer", "computer_20241022"))
    tools, statuses = agent_findings(world[1])
    (tool,) = [t for t in tools if t.source == "action_group:ops"]
    assert tool.name == "computer_use"
    assert statuses["NHI-AGENT-003"] == "fail"


def test_a_text_editor_group_reads_and_writes_files(world, served_group, catalogs) -> None:
    served_group(computer_use_group("notes", "ANTHROPIC.TextEditor", "text_editor_20241022"))
    tools, _ = agent_findings(world[1])
    (tool,) = [t for t in tools if t.source == "action_group:notes"]
    assert catalogs.capabilities.grant_tags(tool, "tool") >= {"data_read", "data_write", "code_write"}


def test_a_disabled_computer_use_group_is_no_tool(world, served_group) -> None:
    served_group(computer_use_group("shell", "ANTHROPIC.Bash", "bash_20241022", state="DISABLED"))
    tools, _ = agent_findings(world[1])
    assert not [t for t in tools if t.source == "action_group:shell"]
