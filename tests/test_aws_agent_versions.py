"""A Bedrock agent is judged on the versions its aliases route traffic to, not on its DRAFT: the
guardrail, role, model, memory and key of each serving version (GetAgentVersion), the worst of them
where several serve, and unknown (a named gap) where a serving version could not be read.

moto has no agent aliases or versions: the front answers them in the API reference's shapes
(``tests/aws_estate.agent_version``), checked against botocore's model in tests/test_aws_api.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Agent, Inventory
from scanner.sources.aws.collector import AwsScope, collect_aws

from .aws_estate import MANAGEMENT, Estate, _alias, agent_version, seeded
from .aws_fake import FakeAws

SCAN = AwsScope(regions=("us-east-1",))
SUPPORT_ROLE = f"arn:aws:iam::{MANAGEMENT}:role/bedrock-support"
GUARDED = {"guardrailConfiguration": {"guardrailIdentifier": "gr-live", "guardrailVersion": "3"}}


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[FakeAws, Estate]]:
    with seeded() as world:
        yield world


@pytest.fixture
def agent(world: tuple[FakeAws, Estate]) -> Iterator[tuple[FakeAws, dict[str, Any]]]:
    """The estate's agent with no guardrail on its DRAFT, its aliases and versions for the test
    to set (restored afterwards)."""
    fake, estate = world
    fake.clear_faults()
    agent_id = estate.agent_arn.rsplit("/", 1)[-1]
    saved = {name: getattr(fake.state, name).get(agent_id) for name in ("aliases", "agent_versions", "agent_fields")}
    fake.state.agent_fields[agent_id] = {}
    fake.state.agent_versions[agent_id] = {}
    created = {
        "agentArn": estate.agent_arn,
        "agentId": agent_id,
        "agentName": "support-triage",
        "agentResourceRoleArn": SUPPORT_ROLE,
        "foundationModel": "anthropic.claude-3-haiku",
    }
    yield fake, created
    for name, value in saved.items():
        getattr(fake.state, name)[agent_id] = value


def _serve(fake: FakeAws, agent: dict[str, Any], routes: dict[str, str], **versions: dict[str, Any]) -> None:
    """Aliases (name -> version) and the numbered versions' own settings."""
    fake.state.aliases[agent["agentId"]] = [
        _alias(f"ALIAS{index:05d}", name, version) for index, (name, version) in enumerate(routes.items())
    ]
    fake.state.agent_versions[agent["agentId"]] = {
        number: agent_version(agent, number, **settings) for number, settings in versions.items()
    }


def _the_agent(inventory: Inventory) -> Agent:
    (found,) = inventory.agents
    return found


def test_an_alias_routing_to_a_guarded_version_gives_the_agent_that_guardrail(agent) -> None:
    fake, created = agent
    _serve(fake, created, {"live": "2"}, **{"2": GUARDED})
    inventory = collect_aws(SCAN)
    found = _the_agent(inventory)
    assert found.guardrail == "gr-live:3", "DRAFT has none, but DRAFT serves no alias"
    assert found.attributes["serving_versions"] == ["2"] and found.attributes["draft_only"] is False
    assert list(found.attributes["versions"]) == ["2"]
    assert found.runs_as == SUPPORT_ROLE and not found.unknown
    assert fake.state.requests["bedrock:GetAgentVersion"] == 1
    assert [s.status for s in inventory.sources] == ["complete"]


def test_one_serving_version_without_a_guardrail_means_the_agent_has_none(agent) -> None:
    fake, created = agent
    memory = {"memoryConfiguration": {"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 90}}
    _serve(fake, created, {"stable": "1", "canary": "2"}, **{"1": memory, "2": GUARDED})
    found = _the_agent(collect_aws(SCAN))
    assert found.guardrail is None and "guardrail" not in found.unknown
    assert found.attributes["serving_versions"] == ["1", "2"]
    versions = found.attributes["versions"]
    assert (versions["1"]["guardrail"], versions["2"]["guardrail"]) == (None, "gr-live:3")
    # memory: the worst version decides (one remembers for 90 days)
    assert found.memory_enabled is True and found.memory_retention_days == 90


def test_versions_running_as_different_roles_leave_the_runtime_identity_unknown(agent) -> None:
    fake, created = agent
    other = {"agentResourceRoleArn": f"arn:aws:iam::{MANAGEMENT}:role/vendor-audit"}
    _serve(fake, created, {"stable": "1", "canary": "2"}, **{"1": GUARDED, "2": {**GUARDED, **other}})
    found = _the_agent(collect_aws(SCAN))
    assert found.runs_as is None and "runs_as" in found.unknown
    assert {v["runs_as"] for v in found.attributes["versions"].values()} == {
        SUPPORT_ROLE,
        other["agentResourceRoleArn"],
    }


def test_a_refused_version_is_a_named_gap_and_its_settings_are_unknown(agent) -> None:
    fake, created = agent
    _serve(fake, created, {"live": "2"}, **{"2": GUARDED})
    fake.state.deny.add("bedrock:GetAgentVersion")
    inventory = collect_aws(SCAN)
    found = _the_agent(inventory)
    (source,) = inventory.sources
    assert source.status == "partial"
    assert [(e.call, e.code) for e in source.errors] == [
        ("bedrock:GetAgentVersion in us-east-1", "AccessDeniedException")
    ]
    assert found.guardrail is None and "guardrail" in found.unknown
    assert {"runs_as", "memory_enabled", "attributes.foundation_model"} <= set(found.unknown)
    assert found.attributes["versions"] == {"2": "not read"}


@pytest.mark.parametrize(("allow_partial", "exit_code"), [(False, 3), (True, 0)])
def test_a_refused_version_through_the_command_line(cli, agent, tmp_path: Path, allow_partial, exit_code) -> None:
    fake, created = agent
    _serve(fake, created, {"live": "2"}, **{"2": GUARDED})
    fake.state.deny.add("bedrock:GetAgentVersion")
    extra = ["--allow-partial"] if allow_partial else []
    outcome = cli(
        "scan", "aws", "--aws-regions", "us-east-1", "--format", "json", "--output-dir", str(tmp_path),
        "-q", "--no-history", "--fail-on", "none", *extra,
    )  # fmt: skip
    assert outcome.exit_code == exit_code, outcome.output
    results = json.loads((tmp_path / "results.json").read_text())
    guardrail = [f for f in results["findings"] if f["control_id"] == "NHI-AGENT-002"]
    assert [f["status"] for f in guardrail] == ["unknown"], "no evidence, no pass"


def test_an_agent_without_an_alias_is_judged_on_its_draft(agent) -> None:
    fake, created = agent
    fake.state.aliases[created["agentId"]] = []
    fake.state.agent_fields[created["agentId"]] = {"guardrailConfiguration": GUARDED["guardrailConfiguration"]}
    found = _the_agent(collect_aws(SCAN))
    assert found.guardrail == "gr-live:3" and found.runs_as == SUPPORT_ROLE and not found.unknown
    assert found.attributes["serving_versions"] == [] and found.attributes["draft_only"] is True
    assert list(found.attributes["versions"]) == ["DRAFT"]
    assert fake.state.requests["bedrock:GetAgentVersion"] == 0
