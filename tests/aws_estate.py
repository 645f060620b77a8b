"""A seeded AWS organisation for the AWS source tests: two accounts, users with keys of known ages,
admin and escalation policies, trusted and federated roles, a Bedrock agent with tools, trails on
and off, and a secret without rotation. Ages are set on moto's backend objects (same process)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto.iam.models import AccessKeyLastUsed, iam_backends

from .aws_fake import FakeAws

MANAGEMENT = "123456789012"
ORG_ROLE = "OrganizationAccountAccessRole"
REGION = "us-east-1"
NOW = datetime.now(UTC)


@dataclass
class Estate:
    member: str
    agent_arn: str


# The credential report's columns, in AWS's order (what GetCredentialReport returns)
CREDENTIAL_REPORT_HEADER = (
    "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
    "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
    "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
    "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
    "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
    "cert_2_active,cert_2_last_rotated"
)


def scan_one_region(cli: Any, out: Any) -> Any:
    """``nhiscan scan aws`` of the seeded organisation in us-east-1, gate off."""
    return cli("scan", "aws", "--aws-org-role", ORG_ROLE, "--aws-regions", REGION,
               "--format", "json", "--output-dir", str(out), "-q", "--fail-on", "none")  # fmt: skip


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: Any, resources: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


def _trust(principal: dict[str, Any], condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if "Federated" in principal:
        statement["Action"] = "sts:AssumeRoleWithWebIdentity"
    if condition:
        statement["Condition"] = condition
    return _doc(statement)


def _clients(fake: FakeAws, credentials: dict[str, str] | None = None) -> dict[str, Any]:
    session = boto3.Session(
        aws_access_key_id=(credentials or {}).get("AccessKeyId", "testing"),
        aws_secret_access_key=(credentials or {}).get("SecretAccessKey", "testing"),
        aws_session_token=(credentials or {}).get("SessionToken"),
        region_name=REGION,
    )
    return {
        name: session.client(name, endpoint_url=fake.endpoint)
        for name in ("iam", "sts", "organizations", "cloudtrail", "bedrock", "bedrock-agent", "secretsmanager", "s3")
    }


def backdate_key(account: str, user: str, created_days: int, used_days: int | None) -> None:
    key = iam_backends[account]["aws"].users[user].access_keys[0]
    key.create_date = NOW - timedelta(days=created_days)
    if used_days is not None:
        key.last_used = AccessKeyLastUsed(timestamp=NOW - timedelta(days=used_days), service="s3", region=REGION)


def seed(fake: FakeAws) -> Estate:
    management = _clients(fake)
    management["organizations"].create_organization(FeatureSet="ALL")
    created = management["organizations"].create_account(Email="dev@example.com", AccountName="acme-dev")
    member = created["CreateAccountStatus"]["AccountId"]
    management["organizations"].tag_resource(ResourceId=member, Tags=[{"Key": "environment", "Value": "development"}])
    assumed = management["sts"].assume_role(RoleArn=f"arn:aws:iam::{member}:role/{ORG_ROLE}", RoleSessionName="seed")
    dev = _clients(fake, assumed["Credentials"])

    _seed_management(management)
    _seed_member(dev, member)
    agent_arn = _seed_agent(fake, management)
    return Estate(member=member, agent_arn=agent_arn)


@contextmanager
def seeded() -> Iterator[tuple[FakeAws, Estate]]:
    """A fake AWS of its own, seeded once, with the environment pointing at it (for a module of
    tests that only read: each clears the faults it set with ``FakeAws.clear_faults``)."""
    fake = FakeAws()
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            patch.delenv(name, raising=False)
        for name, value in fake.environment().items():
            patch.setenv(name, value)
        fake.reset()
        yield fake, seed(fake)
    fake.stop()


def organization_trail(fake: FakeAws) -> str:
    """A logging multi-region organisation trail in the management account, which the front shows
    to member accounts too (moto does not); its ARN."""
    cloudtrail = _clients(fake)["cloudtrail"]
    _clients(fake)["s3"].create_bucket(Bucket="org-wide-trail")
    trail = cloudtrail.create_trail(
        Name="org-wide", S3BucketName="org-wide-trail", IsMultiRegionTrail=True, IsOrganizationTrail=True
    )
    cloudtrail.start_logging(Name="org-wide")
    fake.state.org_trail = next(
        t for t in cloudtrail.describe_trails()["trailList"] if t["TrailARN"] == trail["TrailARN"]
    )
    return str(trail["TrailARN"])


def _user(iam: Any, name: str, owner: str | None, policy: str | None = None, key: bool = True) -> None:
    tags = [{"Key": "owner", "Value": owner}] if owner else []
    iam.create_user(UserName=name, Tags=tags)
    if policy:
        iam.put_user_policy(UserName=name, PolicyName=f"{name}-policy", PolicyDocument=policy)
    if key:
        iam.create_access_key(UserName=name)


def _seed_management(c: dict[str, Any]) -> None:
    iam = c["iam"]
    admin = iam.create_policy(PolicyName="FullAdmin", PolicyDocument=_doc(_allow("*")))["Policy"]["Arn"]
    _user(iam, "ci-deploy", "platform@example.com", _doc(_allow(["iam:PassRole", "lambda:CreateFunction"])))
    _user(iam, "stale-sync", "data@example.com", _doc(_allow(["s3:GetObject"], "arn:aws:s3:::reports/*")))
    _user(iam, "admin-bot", None)
    iam.attach_user_policy(UserName="admin-bot", PolicyArn=admin)
    _user(iam, "power-user", "platform@example.com", _doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))
    backdate_key(MANAGEMENT, "ci-deploy", created_days=60, used_days=1)
    backdate_key(MANAGEMENT, "stale-sync", created_days=400, used_days=100)
    backdate_key(MANAGEMENT, "admin-bot", created_days=30, used_days=2)
    backdate_key(MANAGEMENT, "power-user", created_days=20, used_days=3)

    agent_role = iam.create_role(
        RoleName="bedrock-support",
        AssumeRolePolicyDocument=_trust({"Service": "bedrock.amazonaws.com"}),
        Tags=[{"Key": "owner", "Value": "support@example.com"}],
    )
    iam.put_role_policy(
        RoleName="bedrock-support",
        PolicyName="invoke",
        PolicyDocument=_doc(_allow(["bedrock:InvokeModel"], "arn:aws:bedrock:us-east-1::foundation-model/*")),
    )
    del agent_role
    iam.create_role(
        RoleName="vendor-audit",
        AssumeRolePolicyDocument=_trust({"AWS": "arn:aws:iam::999988887777:root"}),
        Tags=[{"Key": "owner", "Value": "risk@example.com"}],
    )
    iam.create_role(
        RoleName="vendor-audit-with-id",
        AssumeRolePolicyDocument=_trust(
            {"AWS": "arn:aws:iam::999988887777:root"}, {"StringEquals": {"sts:ExternalId": "x-123"}}
        ),
        Tags=[{"Key": "owner", "Value": "risk@example.com"}],
    )
    provider = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
    iam.create_role(
        RoleName="github-any-repo",
        AssumeRolePolicyDocument=_trust({"Federated": provider}),
        Tags=[{"Key": "owner", "Value": "platform@example.com"}],
    )
    iam.create_role(
        RoleName="github-deploy",
        AssumeRolePolicyDocument=_trust(
            {"Federated": provider},
            {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main"}},
        ),
        Tags=[{"Key": "owner", "Value": "platform@example.com"}],
    )

    c["s3"].create_bucket(Bucket="org-trail-logs")
    c["cloudtrail"].create_trail(Name="org-trail", S3BucketName="org-trail-logs", IsMultiRegionTrail=True)
    c["cloudtrail"].start_logging(Name="org-trail")
    c["secretsmanager"].create_secret(Name="prod/payments/api-key", SecretString="not-a-real-secret")


def _seed_member(c: dict[str, Any], member: str) -> None:
    iam = c["iam"]
    _user(iam, "legacy-backup", None, _doc(_allow(["s3:*"])))
    backdate_key(member, "legacy-backup", created_days=800, used_days=None)
    iam.create_role(
        RoleName="prod-reader",
        AssumeRolePolicyDocument=_trust({"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}),
        Tags=[{"Key": "owner", "Value": "data@example.com"}],
    )
    c["s3"].create_bucket(Bucket="dev-trail-logs")
    c["cloudtrail"].create_trail(Name="dev-trail", S3BucketName="dev-trail-logs", IsMultiRegionTrail=False)


def _seed_agent(fake: FakeAws, c: dict[str, Any]) -> str:
    agent = c["bedrock-agent"].create_agent(
        agentName="support-triage",
        agentResourceRoleArn=f"arn:aws:iam::{MANAGEMENT}:role/bedrock-support",
        foundationModel="anthropic.claude-3-haiku",
        tags={"owner": "support@example.com"},
    )["agent"]
    fake.state.agent_fields[agent["agentId"]] = {
        "guardrailConfiguration": {"guardrailIdentifier": "gr-support", "guardrailVersion": "2"},
        "memoryConfiguration": {"enabledMemoryTypes": ["SESSION_SUMMARY"], "storageDays": 30},
    }
    fake.state.action_groups[agent["agentId"]] = [
        {
            "actionGroupId": "AG1",
            "actionGroupName": "tickets",
            "actionGroupState": "ENABLED",
            **_STAMPS,
            "actionGroupExecutor": {"lambda": f"arn:aws:lambda:us-east-1:{MANAGEMENT}:function:tickets"},
            "functionSchema": {
                "functions": [
                    {"name": "get_ticket", "requireConfirmation": "DISABLED"},
                    {"name": "issue_refund", "requireConfirmation": "DISABLED"},
                ]
            },
        },
        {
            "actionGroupId": "AG2",
            "actionGroupName": "CodeInterpreter",
            "actionGroupState": "ENABLED",
            **_STAMPS,
            "parentActionSignature": "AMAZON.CodeInterpreter",
        },
    ]
    # Version 1 serves production through the "live" alias; the test alias routes to DRAFT.
    fake.state.action_groups[f"{agent['agentId']}/1"] = [
        {
            "actionGroupId": "AG1",
            "actionGroupName": "tickets",
            "actionGroupState": "ENABLED",
            **_STAMPS,
            "actionGroupExecutor": {"lambda": f"arn:aws:lambda:us-east-1:{MANAGEMENT}:function:tickets"},
            "functionSchema": {"functions": [{"name": "get_ticket", "requireConfirmation": "DISABLED"}]},
        }
    ]
    fake.state.aliases[agent["agentId"]] = [
        _alias("TSTALIASID", "AgentTestAlias", "DRAFT"),
        _alias("LIVE000001", "live", "1"),
    ]
    fake.state.agent_versions[agent["agentId"]] = {
        "1": agent_version(agent, "1", **fake.state.agent_fields[agent["agentId"]])
    }
    fake.state.knowledge_bases[agent["agentId"]] = [
        {
            "knowledgeBaseId": "KB12345678",
            "knowledgeBaseState": "ENABLED",
            "description": "support docs",
            "updatedAt": _STAMPS["updatedAt"],
        }
    ]
    fake.state.service_credentials.setdefault("testing", []).append(
        {
            "UserName": "ci-deploy",
            "ServiceSpecificCredentialId": "ACCA1234567890EXAMPLE",
            "CreateDate": (NOW - timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return agent["agentArn"]


_STAMPS = {"createdAt": "2026-11-02T09:15:00Z", "updatedAt": "2026-11-02T09:15:00Z"}


def agent_version(agent: dict[str, Any], version: str, **settings: Any) -> dict[str, Any]:
    """An AgentVersion as GetAgentVersion returns it (Bedrock API reference, response syntax; see
    tests/data/SOURCES.md): ``agent`` (CreateAgent's ``agent``) frozen as ``version``, with
    ``settings`` (guardrailConfiguration, memoryConfiguration, agentResourceRoleArn, ...) its own."""
    return {
        "agentArn": agent["agentArn"],
        "agentCollaboration": "DISABLED",
        "agentId": agent["agentId"],
        "agentName": agent["agentName"],
        "agentResourceRoleArn": agent["agentResourceRoleArn"],
        "agentStatus": "PREPARED",
        "createdAt": _STAMPS["createdAt"],
        "description": f"version {version}",
        "foundationModel": agent["foundationModel"],
        "idleSessionTTLInSeconds": 600,
        "instruction": "You are a support agent that triages customer tickets.",
        "updatedAt": _STAMPS["updatedAt"],
        "version": version,
        **settings,
    }


def _alias(alias_id: str, name: str, version: str) -> dict[str, Any]:
    """An AgentAliasSummary as ListAgentAliases returns it (Bedrock API reference)."""
    return {
        "agentAliasId": alias_id,
        "agentAliasName": name,
        "agentAliasStatus": "PREPARED",
        **_STAMPS,
        "routingConfiguration": [{"agentVersion": version}],
    }
