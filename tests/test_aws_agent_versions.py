"""A Bedrock agent is judged on the versions its aliases route traffic to, not on its DRAFT: the
guardrail, role, model, memory and key of each serving version (GetAgentVersion), the worst of them
where several serve, and unknown (a named gap) where a serving version could not be read. The
texts of those versions (instruction, prompt templates, action groups' descriptions and schemas)
are scanned for plaintext secrets; a text not read leaves the agent's credentials unknown.

moto has no agent aliases or versions: the front answers them in the API reference's shapes
(``tests/aws_estate.agent_version``), checked against botocore's model in tests/test_aws_api.py."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.model import Agent, Credential, Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.aws.collector import AwsScope, collect_aws

from .aws_estate import MANAGEMENT, Estate, _alias, agent_version, seeded
from .aws_fake import FakeAws
from .conftest import SHARED
from .test_aws_api import assert_fits_the_model

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


# ---------------------------------------------------------------------- plaintext secrets

GITHUB_TOKEN = "ghp_" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0FeDcBa98"
AWS_KEY = "AKIA" + "Q3EXAMPLEZ7K2M4P6R8T"
OPENAI_KEY = "sk-proj-" + "Qw8Er7Ty6Ui5Op4As3Df2Gh1Jk0LzXcVbNm9876"
ORCHESTRATION = "promptOverrideConfiguration.promptConfigurations[ORCHESTRATION].basePromptTemplate"


def _recorded_prompts(orchestration_suffix: str = "") -> dict[str, Any]:
    """The prompt override configuration of a real GetAgent (Cloud Custodian's recording, AWS's
    default templates), its orchestration template overridden with ``orchestration_suffix`` added."""
    recorded = json.loads((SHARED / "realworld/aws/custodian-placebo-bedrock-agent-GetAgent.json").read_text())
    prompts = recorded["data"]["agent"]["promptOverrideConfiguration"]
    if orchestration_suffix:
        for prompt in prompts["promptConfigurations"]:
            if prompt["promptType"] == "ORCHESTRATION":
                prompt["promptCreationMode"] = "OVERRIDDEN"
                prompt["basePromptTemplate"] += orchestration_suffix
    return prompts


def _secret_statuses(inventory: Inventory, catalogs) -> dict[str, str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: f.status for f in result.findings if f.control_id in ("NHI-SECRET-001", "NHI-AGENT-005")}


def _plaintext(inventory: Inventory) -> dict[str, Credential]:
    return {c.uid: c for c in inventory.credentials if c.kind == "plaintext_secret"}


def test_a_secret_in_the_instruction_fails_and_only_its_fingerprint_is_written(cli, agent, tmp_path: Path) -> None:
    fake, created = agent
    fake.state.aliases[created["agentId"]] = []  # judged on its DRAFT
    instruction = f"You triage support tickets. Look issues up on GitHub with the token {GITHUB_TOKEN}."
    fake.state.agent_fields[created["agentId"]] = {"instruction": instruction}
    outcome = cli(
        "scan", "aws", "--aws-regions", "us-east-1", "--format", "json,html,sarif,csv,md,ocsf,junit",
        "--output-dir", str(tmp_path), "--no-history", "--fail-on", "none",
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    results = json.loads((tmp_path / "results.json").read_text())
    statuses = {f["control_id"]: f["status"] for f in results["findings"] if f["resource"]["type"] == "agent"}
    assert (statuses["NHI-SECRET-001"], statuses["NHI-AGENT-005"]) == ("fail", "fail")
    (secret,) = [c for c in results["inventory"]["credentials"] if c["kind"] == "plaintext_secret"]
    assert secret["uid"] == f"{created['agentArn']}#plaintext_secret:DRAFT.instruction"
    assert secret["identity_uid"] == created["agentArn"] and secret["active"] is True
    assert secret["attributes"]["location"] == {"version": "DRAFT", "field": "instruction"}
    assert secret["attributes"]["detector"] == "github_token"
    assert secret["attributes"]["fingerprint"].startswith("sha256:")
    assert GITHUB_TOKEN not in outcome.output
    for path in tmp_path.iterdir():
        assert GITHUB_TOKEN.encode() not in path.read_bytes(), path.name


def test_a_secret_only_in_a_serving_version_is_found(agent, catalogs) -> None:
    fake, created = agent
    clean = {"promptOverrideConfiguration": _recorded_prompts()}
    fake.state.agent_fields[created["agentId"]] = clean
    leaking = {"promptOverrideConfiguration": _recorded_prompts(f"\nFor AWS calls use the key {AWS_KEY}.")}
    _serve(fake, created, {"live": "2", "AgentTestAlias": "DRAFT"}, **{"2": leaking})
    inventory = collect_aws(SCAN)
    assert_fits_the_model(fake, "bedrock-agent:GetAgentVersion")
    (secret,) = _plaintext(inventory).values()
    assert secret.uid == f"{created['agentArn']}#plaintext_secret:2.{ORCHESTRATION}"
    assert secret.attributes["location"] == {"version": "2", "field": ORCHESTRATION}
    assert secret.attributes["detector"] == "aws_access_key"
    assert "credentials" not in _the_agent(inventory).unknown
    assert _secret_statuses(inventory, catalogs)["NHI-SECRET-001"] == "fail"


def test_a_secret_in_a_draft_that_serves_no_alias_still_fails(agent, catalogs) -> None:
    """GetAgent returns the DRAFT's texts anyway: a secret stored there is exposed to whoever may
    read the agent, whichever version serves."""
    fake, created = agent
    fake.state.agent_fields[created["agentId"]] = {"instruction": f"Use the GitHub token {GITHUB_TOKEN} here."}
    _serve(fake, created, {"live": "2"}, **{"2": {}})
    inventory = collect_aws(SCAN)
    assert list(_plaintext(inventory)) == [f"{created['agentArn']}#plaintext_secret:DRAFT.instruction"]
    assert "credentials" not in _the_agent(inventory).unknown
    assert _secret_statuses(inventory, catalogs)["NHI-SECRET-001"] == "fail"


def test_a_secret_in_an_action_groups_api_schema_is_found(agent, catalogs, monkeypatch) -> None:
    fake, created = agent
    _serve(fake, created, {"live": "2"}, **{"2": {}})
    schema = {
        "openapi": "3.0.0",
        "info": {"title": "Tickets API", "version": "1.0.0"},
        "paths": {
            "/tickets/{id}": {
                "get": {
                    "operationId": "getTicket",
                    "description": f"Reads a ticket; send the header X-Api-Key: {OPENAI_KEY}",
                    "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "the ticket"}},
                }
            }
        },
    }
    group = {
        "actionGroupId": "AG3",
        "actionGroupName": "tickets-api",
        "actionGroupState": "ENABLED",
        "createdAt": "2026-11-02T09:15:00Z",
        "updatedAt": "2026-11-02T09:15:00Z",
        "description": "Reads tickets",
        "actionGroupExecutor": {"lambda": f"arn:aws:lambda:us-east-1:{MANAGEMENT}:function:tickets"},
        "apiSchema": {"payload": json.dumps(schema, indent=2)},
    }
    monkeypatch.setitem(fake.state.action_groups, f"{created['agentId']}/2", [group])
    inventory = collect_aws(SCAN)
    assert_fits_the_model(fake, "bedrock-agent:GetAgentActionGroup")
    (secret,) = _plaintext(inventory).values()
    assert secret.attributes["location"] == {"version": "2", "field": "actionGroups[tickets-api].apiSchema.payload"}
    assert _secret_statuses(inventory, catalogs)["NHI-SECRET-001"] == "fail"


def test_an_agent_whose_every_text_was_read_without_a_secret_passes(agent, catalogs) -> None:
    """The DRAFT and version 2 both serve, with AWS's default prompt templates (as recorded) and
    instructions that refer to secrets or show placeholders: no secret, and nothing unread."""
    fake, created = agent
    references = (
        "Call GitHub with the token in ${env:GITHUB_TOKEN} (header Authorization: Bearer $GITHUB_TOKEN); "
        "the examples show <YOUR_TOKEN> and YOUR_GITHUB_PAT, never a real one."
    )
    configured = {"instruction": references, "promptOverrideConfiguration": _recorded_prompts()}
    fake.state.agent_fields[created["agentId"]] = configured
    _serve(fake, created, {"live": "2", "AgentTestAlias": "DRAFT"}, **{"2": configured})
    inventory = collect_aws(SCAN)
    assert _plaintext(inventory) == {}
    found = _the_agent(inventory)
    kinds = ("POST_PROCESSING", "ORCHESTRATION", "PRE_PROCESSING", "KNOWLEDGE_BASE_RESPONSE_GENERATION")
    texts = [
        "instruction",
        *(f"promptOverrideConfiguration.promptConfigurations[{k}].basePromptTemplate" for k in kinds),
    ]
    assert found.attributes["texts_scanned"] == {"2": texts, "DRAFT": texts}, "what the pass rests on"
    assert "credentials" not in found.unknown
    assert _secret_statuses(inventory, catalogs) == {"NHI-SECRET-001": "pass", "NHI-AGENT-005": "pass"}


@pytest.mark.parametrize(
    "refused",
    ["bedrock:GetAgentVersion", "bedrock:ListAgentAliases", "bedrock:GetAgentActionGroup"],
    ids=["version-not-read", "serving-versions-not-known", "action-group-not-read"],
)
def test_a_text_not_read_leaves_the_secrets_unknown_not_passing(agent, catalogs, refused: str) -> None:
    fake, created = agent
    _serve(fake, created, {"live": "2"}, **{"2": {}})
    fake.state.deny.add(refused)
    inventory = collect_aws(SCAN)
    assert "credentials" in _the_agent(inventory).unknown
    assert _secret_statuses(inventory, catalogs) == {"NHI-SECRET-001": "unknown", "NHI-AGENT-005": "unknown"}


def test_a_secret_in_the_draft_fails_even_when_other_serving_versions_are_not_known(agent, catalogs) -> None:
    fake, created = agent
    fake.state.agent_fields[created["agentId"]] = {"instruction": f"Use the GitHub token {GITHUB_TOKEN} here."}
    fake.state.deny.add("bedrock:ListAgentAliases")
    inventory = collect_aws(SCAN)
    assert "credentials" in _the_agent(inventory).unknown
    assert list(_plaintext(inventory)) == [f"{created['agentArn']}#plaintext_secret:DRAFT.instruction"]
    assert _secret_statuses(inventory, catalogs)["NHI-SECRET-001"] == "fail"


def test_a_text_holding_thousands_of_secrets_is_named_by_its_first_few() -> None:
    """One secret fails the agent; an instruction of 1 MB of tokens made 45,000 credentials and
    49 MB of results before."""
    from scanner.model import Agent
    from scanner.sources.aws.agent_secrets import SECRETS_PER_TEXT, plaintext_secrets

    agent = Agent(
        uid="arn:aws:bedrock:us-east-1:111111111111:agent/A", provider="aws", account="111111111111", name="a"
    )
    tokens = " ".join(f"ghp_{index:036d}" for index in range(500))
    found = plaintext_secrets(agent, "1", [("instruction", tokens)])
    assert len(found) == SECRETS_PER_TEXT
