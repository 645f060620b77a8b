"""The capability catalog turns actions, roles, permissions and tool names into tags."""

from __future__ import annotations

import pytest

from scanner.model import Grant

from .conftest import make_inventory


def tags(catalogs, provider: str, **grant) -> set[str]:
    return set(catalogs.capabilities.grant_tags(Grant(identity_uid="x", **grant), provider))


def test_only_the_literal_star_action_is_admin(catalogs) -> None:
    assert "admin" in tags(catalogs, "aws", kind="policy", name="p", actions=["*"])
    assert "admin" not in tags(catalogs, "aws", kind="policy", name="p", actions=["iam:*"])
    assert "admin" not in tags(catalogs, "aws", kind="policy", name="p", actions=["s3:GetObject"])


def test_wildcards_match_in_both_directions(catalogs) -> None:
    service_wide = tags(catalogs, "aws", kind="policy", name="p", actions=["iam:*"])
    assert {"iam_write", "privilege_escalation", "credential_create"} <= service_wide
    assert "secrets_read" in tags(catalogs, "aws", kind="policy", name="p", actions=["secretsmanager:Get*"])
    assert "data_read" in tags(catalogs, "aws", kind="policy", name="p", actions=["S3:GETOBJECT"])


def test_deny_statements_grant_nothing(catalogs) -> None:
    assert tags(catalogs, "aws", kind="policy", name="p", actions=["*"], attributes={"effect": "Deny"}) == set()


@pytest.mark.parametrize(
    ("provider", "kind", "name", "expected"),
    [
        ("azure", "role", "Owner", {"admin", "basic_role"}),
        ("azure", "role", "Global Administrator", {"admin", "directory_admin"}),
        ("azure", "app_permission", "Application.ReadWrite.All", {"privilege_escalation", "credential_create"}),
        ("azure", "app_permission", "Mail.Send", {"external_egress", "messaging"}),
        # read recovery keys and local administrator passwords: secrets, not directory data
        ("azure", "app_permission", "BitLockerKey.Read.All", {"secrets_read"}),
        ("azure", "app_permission", "DeviceLocalCredential.Read.All", {"secrets_read"}),
        ("gcp", "role", "roles/owner", {"admin", "basic_role"}),
        ("gcp", "role", "roles/iam.serviceAccountTokenCreator", {"impersonation", "privilege_escalation"}),
        ("gcp", "role", "roles/secretmanager.secretAccessor", {"secrets_read"}),
        ("manifest", "tool", "mcp-server-fetch", {"external_egress", "untrusted_content"}),
        ("manifest", "tool", "run_shell_command", {"code_execution"}),
        ("manifest", "tool", "server-filesystem", {"data_read", "data_write"}),
        # Azure AI Foundry's built-in tools: Bing grounding sends queries out and brings the web back
        ("azure", "tool", "bing_grounding", {"external_egress", "untrusted_content"}),
        ("azure", "tool", "file_search", {"data_read"}),
        ("azure", "tool", "fabric_dataagent", {"data_read"}),
        ("azure", "tool", "sharepoint_grounding", {"data_read"}),
    ],
)
def test_roles_permissions_and_tools(catalogs, provider, kind, name, expected) -> None:
    assert expected <= tags(catalogs, provider, kind=kind, name=name)


def test_a_tool_missing_from_the_catalog_is_tagged_unknown(catalogs) -> None:
    assert tags(catalogs, "manifest", kind="tool", name="zorblax") == {"unknown"}


def test_tags_a_source_derived_are_kept(catalogs) -> None:
    assert "secrets_read" in tags(catalogs, "aws", kind="policy", name="p", capabilities=["secrets_read"])


def test_escalation_combinations_span_an_identitys_grants(context_for) -> None:
    ctx = context_for(
        {
            "identities": [{"uid": "r1", "kind": "role"}],
            "grants": [
                {"identity_uid": "r1", "name": "pass", "actions": ["iam:PassRole"]},
                {"identity_uid": "r1", "name": "fn", "actions": ["lambda:*"]},
            ],
        }
    )
    assert "privilege_escalation" in ctx.identity_tags(ctx.identities["r1"])


def test_an_agents_reach_joins_its_tools_and_its_runtime_identity(context_for) -> None:
    ctx = context_for(
        {
            "identities": [{"uid": "r1", "kind": "role"}],
            "grants": [
                {"identity_uid": "r1", "name": "s", "actions": ["secretsmanager:GetSecretValue"]},
                {"identity_uid": "a1", "kind": "tool", "name": "fetch"},
            ],
            "agents": [{"uid": "a1", "runs_as": "r1"}],
        }
    )
    assert {"secrets_read", "external_egress"} <= ctx.agent_tags(ctx.agents_by_uid["a1"])


def test_the_inventory_fixture_helper_fills_defaults() -> None:
    inventory = make_inventory({"identities": [{"uid": "arn:aws:iam::1:user/x"}]})
    assert inventory.identities[0].name == "x"
    assert inventory.identities[0].provider == "aws"


def test_the_basic_bitlocker_and_laps_permissions_read_no_secret(catalogs) -> None:
    """BitLockerKey.ReadBasic.All and DeviceLocalCredential.ReadBasic.All read the keys' and
    passwords' metadata only."""
    for name in ("BitLockerKey.ReadBasic.All", "DeviceLocalCredential.ReadBasic.All"):
        assert "secrets_read" not in tags(catalogs, "azure", kind="app_permission", name=name)


@pytest.mark.parametrize(
    "not_actions",
    [
        ["aws-portal:*", "budgets:*"],  # everything but billing
        ["s3:*"],  # everything but S3: IAM grants S3 back
        ["iam:DeleteAccountPasswordPolicy"],  # a few actions of IAM, none of any other service
    ],
)
def test_every_action_but_some_that_leaves_iam_is_administration(catalogs, not_actions) -> None:
    grant = {"kind": "policy", "name": "p", "resources": ["*"], "attributes": {"not_actions": not_actions}}
    assert "admin" in tags(catalogs, "aws", **grant)


@pytest.mark.parametrize("not_actions", [["iam:*", "organizations:*", "account:*"], ["iam:*"], ["i*:*"]])
def test_every_action_but_iam_is_judged_by_what_it_leaves(catalogs, not_actions) -> None:
    """PowerUserAccess and the like: broad, but not administration (NHI-PRIV-003 looks at the rest)."""
    grant = {"kind": "policy", "name": "p", "resources": ["*"], "attributes": {"not_actions": not_actions}}
    assert "admin" not in tags(catalogs, "aws", **grant)


def test_every_action_on_every_resource_of_the_account_is_administration(catalogs) -> None:
    grant = {"kind": "policy", "name": "p", "actions": ["*"], "resources": ["arn:aws:*:*:111122223333:*"]}
    assert "admin" in tags(catalogs, "aws", **grant)


@pytest.mark.parametrize(
    "actions",
    [
        ["iam:PassRole", "glue:CreateJob", "glue:StartJobRun"],
        ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:StartTask"],
        ["iam:PassRole", "ecs:RegisterTaskDefinition", "ecs:CreateService"],
        ["lambda:UpdateFunctionConfiguration"],  # a layer of one's own code, run as the function's role
        ["cloudformation:CreateChangeSet", "cloudformation:ExecuteChangeSet"],  # the stack's own role
        ["iam:PassRole", "glue:UpdateJob", "glue:StartJobRun"],
        ["iam:PassRole", "ec2:CreateLaunchTemplate", "autoscaling:CreateAutoScalingGroup"],
        ["codebuild:StartBuild"],  # a buildspec override runs as the project's role
        ["iam:PassRole", "ssm:StartAutomationExecution"],
        ["iam:PassRole", "ec2:RequestSpotInstances"],
        ["ec2:ModifyInstanceAttribute", "ec2:StopInstances", "ec2:StartInstances"],  # user data run at boot
    ],
)
def test_published_aws_escalation_paths_are_privilege_escalation(context_for, actions) -> None:
    ctx = context_for(
        {
            "identities": [{"uid": "r1", "kind": "role"}],
            "grants": [{"identity_uid": "r1", "name": "p", "actions": actions, "resources": ["*"]}],
        }
    )
    assert "privilege_escalation" in ctx.identity_tags(ctx.identities["r1"])


def test_half_an_escalation_path_is_not_one(context_for) -> None:
    ctx = context_for(
        {
            "identities": [{"uid": "r1", "kind": "role"}],
            "grants": [{"identity_uid": "r1", "name": "p", "actions": ["glue:CreateJob", "glue:StartJobRun"]}],
        }
    )
    assert "privilege_escalation" not in ctx.identity_tags(ctx.identities["r1"])


def test_every_action_but_billing_with_iam_denied_is_judged_by_what_it_leaves(catalogs) -> None:
    """IAM cannot grant the rest back where the holder's own Deny takes IAM away."""
    grant = Grant(
        identity_uid="x", kind="policy", name="p", resources=["*"], attributes={"not_actions": ["aws-portal:*"]}
    )
    denied = ("iam:*", "organizations:*", "sts:*")
    assert "admin" not in catalogs.capabilities.grant_tags(grant, "aws", denied)
    assert "admin" in catalogs.capabilities.grant_tags(grant, "aws")
    # a Deny of one IAM action leaves iam:AttachRolePolicy to grant the rest back
    assert "admin" in catalogs.capabilities.grant_tags(grant, "aws", ("iam:deleteaccountpasswordpolicy",))


def test_a_deny_takes_away_only_the_actions_it_holds_whole(catalogs) -> None:
    """A Deny of iam:? names no IAM action (none has one letter); read against the text "iam:*" as
    if it were an action, it took every IAM action away."""
    grant = Grant(identity_uid="x", kind="policy", name="p", actions=["iam:*"], resources=["*"])
    assert "privilege_escalation" in catalogs.capabilities.grant_tags(grant, "aws", ("iam:?",))
    assert "privilege_escalation" not in catalogs.capabilities.grant_tags(grant, "aws", ("iam:*",))
    assert "privilege_escalation" not in catalogs.capabilities.grant_tags(grant, "aws", ("*",))
    put = Grant(identity_uid="x", kind="policy", name="p", actions=["iam:PutRolePolicy"], resources=["*"])
    assert "privilege_escalation" not in catalogs.capabilities.grant_tags(put, "aws", ("iam:put*",))
