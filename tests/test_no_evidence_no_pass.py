"""No evidence, no pass: a control whose evidence was not collected is unknown and says why.

The proof runs over every bundled control (and, through ``nhiscan controls validate``, over any
control a user loads): each piece of evidence the control reads is withheld from each of its test
cases in turn, and the control must then give the case's own answer or unknown, never the other
one, and must become unknown in at least one case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.engine.context import EvalContext
from scanner.engine.controls import compile_control
from scanner.engine.evaluate import evaluate
from scanner.engine.evidence import check_control, evidence_read, withhold
from scanner.model import Finding, Inventory
from scanner.scan import Catalogs, load_catalogs
from scanner.sources.aws.iam import build_iam
from scanner.sources.aws.policy import fetch_policy, missing_policies, packaged_policy, policy_entry

from .aws_estate import MANAGEMENT
from .conftest import make_inventory
from .test_aws_source import estate, fake_aws  # noqa: F401  (fixtures)

CATALOGS = load_catalogs()
ACCOUNT = "111111111111"


def results(catalogs: Catalogs, inventory: Inventory, *control_ids: str) -> dict[tuple[str, str], Finding]:
    """Every result (pass included) of the named controls, by (control id, resource uid)."""
    chosen = [compile_control(c) for c in catalogs.controls if c.id in control_ids]
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    return {(f.control_id, f.resource.uid): f for f in evaluate(chosen, ctx, keep_passed=True).findings}


@pytest.mark.parametrize("control", CATALOGS.controls, ids=lambda c: c.id)
def test_every_bundled_control_is_unknown_without_the_evidence_it_reads(control: Any) -> None:
    assert evidence_read(control) or control.id == "NHI-COV-001", "a control that reads no evidence proves nothing"
    problems = check_control(control, CATALOGS)
    assert not problems, "\n".join(f"{p.evidence}: {p.detail}" for p in problems)


class TestGrantsThatWereNeverRead:
    """An identity whose grants an export did not carry (gcloud/az exports without role assignments)."""

    def inventory(self) -> Inventory:
        return make_inventory(
            {
                "accounts": [{"uid": "p1", "provider": "gcp", "kind": "project", "unknown": ["agents"]}],
                "identities": [
                    {"uid": "sa1", "provider": "gcp", "kind": "service_account", "account": "p1", "unknown": ["grants"]}
                ],
            }
        )

    @pytest.mark.parametrize("control_id", ["NHI-PRIV-001", "NHI-PRIV-003", "NHI-PRIV-006"])
    def test_privilege_controls_are_unknown_and_name_the_missing_grants(self, catalogs, control_id: str) -> None:
        found = results(catalogs, self.inventory(), control_id)[(control_id, "sa1")]
        assert found.status == "unknown"
        assert "grants of sa1" in found.message and "grants of sa1" in found.evidence["not_collected"]

    def test_sharing_is_unknown_where_the_accounts_agents_were_not_read(self, catalogs) -> None:
        found = results(catalogs, self.inventory(), "NHI-PRIV-008")[("NHI-PRIV-008", "sa1")]
        assert found.status == "unknown" and "agents of account p1" in found.message

    def test_agents_known_to_share_it_still_fail_it(self, catalogs) -> None:
        inventory = self.inventory()
        two = make_inventory({"agents": [{"uid": "a1", "runs_as": "sa1"}, {"uid": "a2", "runs_as": "sa1"}]})
        inventory.agents.extend(two.agents)
        assert results(catalogs, inventory, "NHI-PRIV-008")[("NHI-PRIV-008", "sa1")].status == "fail"


class TestAnAgentWhoseReachIsNotAllKnown:
    """An MCP client configuration declares tools but no identity: the agent acts with whatever its
    host holds. A tool the capability catalog does not know reaches who knows what."""

    REACH_CONTROLS = ("NHI-AGENT-004", "NHI-AGENT-013", "NHI-AGENT-014")

    def inventory(self, runs_as: str | None, tool: str) -> Inventory:
        return make_inventory(
            {
                "identities": [{"uid": "role-1", "provider": "aws", "kind": "role"}],
                "agents": [{"uid": "agent-1", "name": "desktop", "provider": "manifest", "runs_as": runs_as}],
                "grants": [{"uid": "t1", "identity_uid": "agent-1", "kind": "tool", "name": tool}],
            }
        )

    @pytest.mark.parametrize("control_id", REACH_CONTROLS)
    def test_no_declared_runtime_identity_leaves_its_reach_unknown(self, catalogs, control_id: str) -> None:
        found = results(catalogs, self.inventory(None, "fetch"), control_id)[(control_id, "agent-1")]
        assert found.status == "unknown" and "runtime identity of desktop" in found.evidence["not_collected"]

    @pytest.mark.parametrize("control_id", REACH_CONTROLS)
    def test_a_tool_the_catalog_does_not_know_leaves_its_reach_unknown(self, catalogs, control_id: str) -> None:
        found = results(catalogs, self.inventory("role-1", "frobnicate_widgets"), control_id)[(control_id, "agent-1")]
        assert found.status == "unknown" and "reach of tool frobnicate_widgets" in found.evidence["not_collected"]

    @pytest.mark.parametrize("control_id", REACH_CONTROLS)
    def test_a_tool_whose_capabilities_are_declared_is_known(self, catalogs, control_id: str) -> None:
        inventory = self.inventory("role-1", "frobnicate_widgets")
        inventory.grants[0].capabilities = ["data_write"]
        assert results(catalogs, inventory, control_id)[(control_id, "agent-1")].status == "pass"

    @pytest.mark.parametrize("control_id", REACH_CONTROLS)
    def test_known_tools_and_a_known_identity_still_decide(self, catalogs, control_id: str) -> None:
        found = results(catalogs, self.inventory("role-1", "fetch"), control_id)[(control_id, "agent-1")]
        assert found.status == "pass"


class TestATrustedAccountWhoseEnvironmentWasNotRead:
    """A production role trusting an account the scan did not read (outside --aws-accounts, in
    another shard, or whose tags the organisation refused): whether that account is development is
    not known."""

    def inventory(self, trusted: dict[str, Any] | None) -> Inventory:
        accounts = [{"uid": "111", "provider": "aws", "environment": "production"}]
        return make_inventory(
            {
                "accounts": accounts + ([trusted] if trusted else []),
                "identities": [
                    {"uid": "deployer", "provider": "aws", "kind": "role", "account": "111",
                     "attributes": {"trust": [{"principal": "arn:aws:iam::222:root", "account": "222"}]}}
                ],
            }
        )  # fmt: skip

    def test_an_account_outside_the_scan_leaves_it_unknown(self, catalogs) -> None:
        found = results(catalogs, self.inventory(None), "NHI-PRIV-009")[("NHI-PRIV-009", "deployer")]
        assert found.status == "unknown" and "environment of 222 not collected" in found.message

    def test_an_account_whose_tags_were_refused_leaves_it_unknown(self, catalogs) -> None:
        refused = {"uid": "222", "provider": "aws", "unknown": ["environment", "tags"]}
        assert results(catalogs, self.inventory(refused), "NHI-PRIV-009")[("NHI-PRIV-009", "deployer")].status == (
            "unknown"
        )

    @pytest.mark.parametrize(("environment", "status"), [("development", "fail"), ("production", "pass")])
    def test_a_read_account_decides(self, catalogs, environment: str, status: str) -> None:
        read = {"uid": "222", "provider": "aws", "environment": environment}
        assert results(catalogs, self.inventory(read), "NHI-PRIV-009")[("NHI-PRIV-009", "deployer")].status == status


class TestABedrockAgentWhoseRuntimeRoleIsNotKnown:
    """Its serving versions were not all read: it may run as any role of its account that trusts
    bedrock.amazonaws.com, and only those; the roles its read versions run as are its own."""

    BEDROCK = [{"principal": "bedrock.amazonaws.com", "principal_type": "service"}]

    def inventory(self, versions: dict[str, Any]) -> Inventory:
        return make_inventory(
            {
                "accounts": [{"uid": "111", "provider": "aws"}],
                "identities": [
                    {"uid": "role-a", "provider": "aws", "kind": "role", "account": "111",
                     "attributes": {"trust": self.BEDROCK}},
                    {"uid": "role-b", "provider": "aws", "kind": "role", "account": "111",
                     "attributes": {"trust": self.BEDROCK}},
                    {"uid": "ci-user", "provider": "aws", "kind": "user", "account": "111"},
                ],
                "agents": [
                    {"uid": "agent-1", "provider": "aws", "account": "111", "platform": "bedrock-agent",
                     "unknown": ["runs_as"], "attributes": {"versions": versions}},
                    {"uid": "agent-2", "provider": "aws", "account": "111", "platform": "bedrock-agent",
                     "runs_as": "role-a"},
                ],
            }
        )  # fmt: skip

    def test_roles_that_could_run_it_are_unknown_and_others_are_judged(self, catalogs) -> None:
        found = results(catalogs, self.inventory({"1": "not read"}), "NHI-PRIV-008")
        assert found[("NHI-PRIV-008", "role-b")].status == "unknown"
        assert found[("NHI-PRIV-008", "ci-user")].status == "pass", "a user cannot run a Bedrock agent"

    def test_a_role_its_read_versions_run_as_is_shared_with_the_other_agent(self, catalogs) -> None:
        versions = {"1": {"runs_as": "role-a"}, "2": {"runs_as": "role-b"}}
        assert results(catalogs, self.inventory(versions), "NHI-PRIV-008")[("NHI-PRIV-008", "role-a")].status == (
            "fail"
        )


def authorization_details(attached: list[dict[str, str]], policies: list[dict[str, Any]]) -> dict[str, list[Any]]:
    """get-account-authorization-details output: one role with the given managed policies attached."""
    return {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "RoleName": "etl",
                "Arn": f"arn:aws:iam::{ACCOUNT}:role/etl",
                "Path": "/",
                "CreateDate": "2025-01-01T00:00:00Z",
                "AssumeRolePolicyDocument": {"Statement": []},
                "AttachedManagedPolicies": attached,
                "RolePolicyList": [
                    {
                        "PolicyName": "keys",
                        "PolicyDocument": {
                            "Statement": [{"Effect": "Allow", "Action": "iam:CreateAccessKey", "Resource": "*"}]
                        },
                    }
                ],
            }
        ],
        "Policies": policies,
    }


class TestAManagedPolicyWhoseDocumentIsAbsent:
    """An export listing an attached managed policy by name only (the Policies list filtered), one
    that no data source knows: a customer-managed policy."""

    ATTACHED = [{"PolicyName": "PowerUserAccess", "PolicyArn": f"arn:aws:iam::{ACCOUNT}:policy/PowerUserAccess"}]

    def inventory(self, policies: list[dict[str, Any]]) -> Inventory:
        records = build_iam(ACCOUNT, authorization_details(self.ATTACHED, policies), None)
        return Inventory(
            collected_at=make_inventory({}).collected_at,
            identities=records.identities,
            grants=records.grants,
        )

    def test_no_privilege_control_passes_on_it(self, catalogs) -> None:
        role = f"arn:aws:iam::{ACCOUNT}:role/etl"
        found = results(catalogs, self.inventory([]), "NHI-PRIV-001", "NHI-PRIV-002")
        assert found[("NHI-PRIV-001", role)].status == "unknown"
        assert "actions of PowerUserAccess not collected" in found[("NHI-PRIV-001", role)].message
        grant = next(uid for (control, uid) in found if control == "NHI-PRIV-002" and "PowerUserAccess" in uid)
        assert found[("NHI-PRIV-002", grant)].status == "unknown"

    def test_what_the_read_policies_show_is_kept_as_evidence(self, catalogs) -> None:
        role = f"arn:aws:iam::{ACCOUNT}:role/etl"
        found = results(catalogs, self.inventory([]), "NHI-PRIV-003")[("NHI-PRIV-003", role)]
        # Escalation is certain (iam:CreateAccessKey, read inline), but the unread policy may make the
        # role an administrator, which this control leaves to NHI-PRIV-001: so unknown, not fail.
        assert found.status == "unknown"
        assert "privilege_escalation" in found.evidence["capabilities"]
        assert "policy document of PowerUserAccess" in found.evidence["not_collected"]

    def test_with_the_document_the_answer_is_decided(self, catalogs) -> None:
        document = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}
        policy = {
            "PolicyName": "PowerUserAccess",
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/PowerUserAccess",
            "PolicyVersionList": [{"Document": document, "IsDefaultVersion": True, "VersionId": "v1"}],
        }
        role = f"arn:aws:iam::{ACCOUNT}:role/etl"
        found = results(catalogs, self.inventory([policy]), "NHI-PRIV-001")
        assert found[("NHI-PRIV-001", role)].status == "pass"

    @pytest.mark.parametrize(
        "versions",
        [[], [{"VersionId": "v1", "IsDefaultVersion": False, "Document": {"Statement": []}}], [{"VersionId": "v3"}]],
        ids=["no versions", "only an older version", "the default without its document"],
    )
    def test_listed_without_its_default_document_it_is_not_read_as_granting_nothing(
        self, catalogs, versions: list[dict[str, Any]]
    ) -> None:
        """The Policies entry is there, but not the default version's document (the schema requires
        neither): before, the policy granted nothing and the role passed."""
        policy = {
            "PolicyName": "PowerUserAccess",
            "Arn": f"arn:aws:iam::{ACCOUNT}:policy/PowerUserAccess",
            "DefaultVersionId": "v3",
            "PolicyVersionList": versions,
        }
        role = f"arn:aws:iam::{ACCOUNT}:role/etl"
        found = results(catalogs, self.inventory([policy]), "NHI-PRIV-001")[("NHI-PRIV-001", role)]
        assert found.status == "unknown" and "actions of PowerUserAccess not collected" in found.message


class TestWorkloadsNoSourceLists:
    """No AWS source lists EC2 instances, Lambda functions or ECS tasks: which workloads use a role
    is not known, so 'serves one workload or agent' can fail on agents, never pass."""

    def inventory(self, agents: int) -> Inventory:
        records = build_iam(ACCOUNT, authorization_details([], []), None)
        role = f"arn:aws:iam::{ACCOUNT}:role/etl"
        return Inventory(
            collected_at=make_inventory({}).collected_at,
            identities=records.identities,
            grants=records.grants,
            agents=make_inventory({"agents": [{"uid": f"a{n}", "runs_as": role} for n in range(agents)]}).agents,
        )

    @pytest.mark.parametrize(("agents", "status"), [(0, "unknown"), (1, "unknown"), (2, "fail")])
    def test_an_aws_role_is_shared_only_as_far_as_its_agents_show(self, catalogs, agents: int, status: str) -> None:
        found = results(catalogs, self.inventory(agents), "NHI-PRIV-008")[
            ("NHI-PRIV-008", f"arn:aws:iam::{ACCOUNT}:role/etl")
        ]
        assert found.status == status
        if status == "unknown":
            assert "workloads of etl" in found.evidence["not_collected"]


class TestAwsManagedPolicyDocuments:
    """An AWS-managed policy absent from an export is read from the AWS managed policy data moto ships."""

    def grants(self, name: str, path: str = "/") -> list[Any]:
        attached = [{"PolicyName": name, "PolicyArn": f"arn:aws:iam::aws:policy{path}{name}"}]
        return build_iam(ACCOUNT, authorization_details(attached, []), None).grants

    def test_administrator_access_is_resolved_and_fails_the_admin_control(self, catalogs) -> None:
        grants = self.grants("AdministratorAccess")
        admin = next(g for g in grants if g.name == "AdministratorAccess")
        assert admin.actions == ["*"] and admin.resources == ["*"] and not admin.unknown
        assert admin.attributes["document_source"].startswith("AWS managed policy data of moto ")
        records = build_iam(ACCOUNT, authorization_details([admin_attached()], []), None)
        inventory = Inventory(
            collected_at=make_inventory({}).collected_at, identities=records.identities, grants=grants
        )
        role = f"arn:aws:iam::{ACCOUNT}:role/etl"
        assert results(catalogs, inventory, "NHI-PRIV-001")[("NHI-PRIV-001", role)].status == "fail"

    def test_not_action_documents_are_kept_as_written(self) -> None:
        power = next(g for g in self.grants("PowerUserAccess") if g.name == "PowerUserAccess [NotAction]")
        assert {"iam:*", "organizations:*"} <= set(power.attributes["not_actions"])

    def test_a_path_that_does_not_match_the_data_is_not_guessed(self) -> None:
        assert packaged_policy("arn:aws:iam::aws:policy/service-role/AdministratorAccess") is None
        assert packaged_policy(f"arn:aws:iam::{ACCOUNT}:policy/AdministratorAccess") is None
        grant = next(g for g in self.grants("AdministratorAccess", "/service-role/") if g.name == "AdministratorAccess")
        assert grant.unknown == ["actions"]

    def test_the_live_answer_comes_first(self) -> None:
        details = authorization_details([admin_attached()], [])
        live = policy_entry(admin_attached()["PolicyArn"], "AdministratorAccess", "v9", {"Statement": []}, "live")
        assert missing_policies(details, lambda arn: live) == [live]
        assert missing_policies(details, lambda arn: None)[0]["DocumentSource"].startswith("AWS managed policy data")
        details["Policies"] = [live]
        assert missing_policies(details) == []


def admin_attached() -> dict[str, str]:
    return {"PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess"}


class TestWithholding:
    def test_a_relation_withheld_drops_its_records_but_never_the_case_resource(self) -> None:
        data = {
            "identities": [{"uid": "r1"}],
            "agents": [{"uid": "a1", "runs_as": "r1"}, {"uid": "a2", "runs_as": "r1"}],
        }
        withhold(data, ("identity", "agents"), keep="a1")
        assert [a["uid"] for a in data["agents"]] == ["a1"]
        assert data["identities"][0]["unknown"] == ["agents"]

    def test_an_account_gap_creates_the_account_record_it_is_marked_on(self) -> None:
        data: dict[str, Any] = {"identities": [{"uid": "r1", "account": ACCOUNT, "provider": "aws"}]}
        withhold(data, ("account", "agents"), keep="r1")
        assert data["accounts"] == [{"uid": ACCOUNT, "provider": "aws", "unknown": ["agents"]}]


# ---------------------------------------------------------------------- controls validate enforces it

CONTROL = """\
id: ACME-002
title: Service users carry a cost-centre tag
severity: low
resource: identity
where: {field: kind, equals: user}
require: {field: tags.cost-centre, exists: true}
frameworks:
  nist-csf-2.0@2.0: [{item: ID.AM-02, relationship: supporting, rationale: Tags help inventory services.}]
rationale: Costs of identities are charged back to the team that owns them.
remediation: Add the cost-centre tag to the user.
"""
CASES = """\
tests:
  - {name: untagged fails, expect: fail, inventory: {identities: [{uid: u1}]}}
  - {name: tagged passes, expect: pass, inventory: {identities: [{uid: u1, tags: {cost-centre: '42'}}]}}
"""


def validate(cli, tmp_path: Path, text: str) -> Any:
    directory = tmp_path / "org"
    directory.mkdir(parents=True)
    (directory / "ACME-002.yaml").write_text(text)
    return cli("controls", "validate", str(directory))


def test_validate_proves_a_loaded_control(cli, tmp_path: Path) -> None:
    result = validate(cli, tmp_path, CONTROL + CASES)
    assert result.exit_code == 0, result.output
    assert "never pass, without the evidence it reads" in result.output


def test_validate_refuses_a_control_without_cases_to_prove_it_on(cli, tmp_path: Path) -> None:
    result = validate(cli, tmp_path, CONTROL)
    assert result.exit_code == 2
    assert "ACME-002.yaml: needs at least one failing and one passing test case" in result.output
    only_failing = CONTROL + "tests:\n  - {name: untagged fails, expect: fail, inventory: {identities: [{uid: u1}]}}\n"
    result = validate(cli, tmp_path / "b", only_failing)
    assert result.exit_code == 2 and "needs at least one failing and one passing test case" in result.output


def test_an_exemption_needs_a_written_reason(cli, tmp_path: Path) -> None:
    reason = "tags are read with the identity itself; a source never marks one tag unread"
    exempt = f"evidence_exemptions:\n  identity.kind: {reason}\n  identity.tags.cost-centre: {reason}\n"
    assert validate(cli, tmp_path / "a", CONTROL + CASES + exempt).exit_code == 0
    result = validate(cli, tmp_path / "b", CONTROL + CASES + "evidence_exemptions: {identity.kind: because}\n")
    assert result.exit_code == 2 and "evidence_exemptions" in result.output


def test_an_exemption_for_evidence_the_control_does_not_read_is_refused(cli, tmp_path: Path) -> None:
    exempt = "evidence_exemptions: {identity.grants: 'grants are not what this control is about at all'}\n"
    result = validate(cli, tmp_path, CONTROL + CASES + exempt)
    assert result.exit_code == 2 and "identity.grants not collected: exempted, but the control does not read it" in (
        result.output
    )


# ---------------------------------------------------------------------- live: iam:GetPolicyVersion


def live_calls() -> Any:
    import boto3

    from scanner.sources.aws.calls import AwsCalls

    return AwsCalls(boto3.Session(), MANAGEMENT, "us-east-1")


def test_a_live_scan_reads_a_missing_document_with_get_policy_version(estate, fake_aws) -> None:  # noqa: F811
    import boto3

    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    arn = boto3.client("iam").create_policy(PolicyName="decrypt", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    details = authorization_details([{"PolicyName": "decrypt", "PolicyArn": arn}], [])
    calls = live_calls()
    (entry,) = missing_policies(details, lambda policy: fetch_policy(calls, policy))
    assert entry["DocumentSource"] == "iam:GetPolicyVersion (v1)"
    grants = build_iam(ACCOUNT, {**details, "Policies": [entry]}, None).grants
    assert next(g for g in grants if g.name == "decrypt").actions == ["kms:Decrypt"]
    assert fake_aws.state.requests["iam:GetPolicyVersion"] == 1 and not calls.errors


def test_a_refused_get_policy_version_is_a_named_gap_and_the_grant_stays_unknown(estate, fake_aws) -> None:  # noqa: F811
    import boto3

    document = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    arn = boto3.client("iam").create_policy(PolicyName="decrypt", PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    fake_aws.state.deny.add("iam:GetPolicyVersion")
    details = authorization_details([{"PolicyName": "decrypt", "PolicyArn": arn}], [])
    calls = live_calls()
    assert missing_policies(details, lambda policy: fetch_policy(calls, policy)) == []
    assert [e.call for e in calls.errors] == ["iam:GetPolicyVersion"]
    grants = build_iam(ACCOUNT, details, None).grants
    assert next(g for g in grants if g.name == "decrypt").unknown == ["actions"]
