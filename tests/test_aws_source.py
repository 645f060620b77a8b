"""The aws source against moto over real HTTP: an organisation with two accounts, scanned through
assumed roles, with every finding checked against the seeded estate."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.inventory_io import load_inventory

from .aws_estate import MANAGEMENT, NOW, ORG_ROLE, Estate, seed
from .aws_fake import FakeAws

REGIONS = "us-east-1,eu-west-1"
_KEY_ID = re.compile(r"AKIA\w+|AKIA…\w+")


@pytest.fixture(scope="module")
def fake_aws() -> Iterator[FakeAws]:
    fake = FakeAws()
    yield fake
    fake.stop()


@pytest.fixture
def estate(fake_aws: FakeAws, monkeypatch) -> Estate:
    fake_aws.reset()
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in fake_aws.environment().items():
        monkeypatch.setenv(name, value)
    seeded = seed(fake_aws)
    fake_aws.state.requests.clear()
    return seeded


def scan(cli, out: Path, *extra: str):
    return cli(
        "scan", "aws", "--aws-org-role", ORG_ROLE, "--aws-regions", REGIONS,
        "--format", "json", "--output-dir", str(out), "-q", *extra,
    )  # fmt: skip


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def label(finding: dict) -> tuple[str, str]:
    return finding["control_id"], _KEY_ID.sub("KEY", finding["resource"]["name"])


def test_an_org_wide_scan_finds_exactly_the_seeded_failures(cli, estate: Estate, tmp_path: Path) -> None:
    outcome = scan(cli, tmp_path)
    assert outcome.exit_code == 1, outcome.output
    data = results(tmp_path)
    failing = {label(f) for f in data["findings"] if f["status"] == "fail"}
    assert failing == {
        ("NHI-AGENT-006", "support-triage"),  # issue_refund writes data without confirmation
        ("NHI-CRED-001", "access_key KEY of legacy-backup"),  # 800 days old
        ("NHI-CRED-001", "access_key KEY of stale-sync"),  # 400 days old
        ("NHI-CRED-002", "access_key KEY of stale-sync"),  # last used 100 days ago
        ("NHI-CRED-003", "access_key KEY of legacy-backup"),  # never used
        ("NHI-CRED-004", "ci-deploy"),  # an active access key and an active Bedrock API key
        ("NHI-CRED-005", "api_key ACCA…MPLE of ci-deploy"),  # Bedrock API key without expiry
        ("NHI-LOG-001", "acme-dev"),  # single-region trail, not logging
        ("NHI-LOG-002", "acme-dev"),
        ("NHI-LOG-003", "master"),  # runs an agent, no model-invocation logging
        ("NHI-LOG-010", "support-triage"),  # no Lambda data events for its action-group functions
        ("NHI-OWN-001", "admin-bot"),
        ("NHI-OWN-001", "legacy-backup"),
        ("NHI-OWN-001", "OrganizationAccountAccessRole"),
        ("NHI-PRIV-001", "admin-bot"),  # FullAdmin: * on *
        ("NHI-PRIV-002", "legacy-backup-policy (legacy-backup)"),  # s3:* on *
        ("NHI-PRIV-002", "power-user-policy [NotAction] (power-user)"),  # every service but IAM, whole, on *
        ("NHI-PRIV-003", "ci-deploy"),  # iam:PassRole + lambda:CreateFunction
        ("NHI-PRIV-003", "power-user"),  # everything but iam:*, so lambda:UpdateFunctionCode, ssm:SendCommand
        ("NHI-PRIV-004", "vendor-audit"),  # another account, no ExternalId
        ("NHI-PRIV-004", "prod-reader"),
        ("NHI-PRIV-004", "OrganizationAccountAccessRole"),
        ("NHI-PRIV-005", "github-any-repo"),  # OIDC trust without a subject
        ("NHI-PRIV-010", "bedrock-support"),  # trusts bedrock.amazonaws.com without aws:SourceArn/SourceAccount
        ("NHI-SECRET-002", "managed_secret prod/payments/api-key"),  # no rotation
    }
    # no workload (EC2, Lambda, ECS) is listed: whether another uses an identity is not known
    shared = {f["status"] for f in data["findings"] if f["control_id"] == "NHI-PRIV-008"}
    assert shared == {"unknown"}
    assert {label(f) for f in data["findings"] if f["control_id"] != "NHI-PRIV-008" and f["status"] == "unknown"} == {
        ("NHI-LOG-008", "org-trail"),  # trail retention lives in S3 lifecycle rules, not read
        # not collected by the source: the guardrail's filters, the role's session limit (NHI-AGENT-017
        # passes: the live alias serves version 1, not DRAFT)
        ("NHI-AGENT-002", "support-triage"),
        ("NHI-AGENT-018", "support-triage"),
        ("NHI-CRED-002", "api_key ACCA…MPLE of ci-deploy"),  # AWS reports no last use for API keys
        # --aws-regions leaves out regions that offer Bedrock agents: agents there were not listed,
        # so whether an account runs agents, and another agent shares a role, is not known
        ("NHI-LOG-003", "acme-dev"),
        ("NHI-LOG-009", "master"),
        ("NHI-LOG-009", "acme-dev"),
        ("NHI-AGENT-007", "support-triage"),
    }
    assert [s["status"] for s in data["scan"]["sources"]] == ["complete", "complete"]
    assert set(data["scan"]["timings"]) == {"collect", "evaluate", "write"}
    assert tuple(int(part) for part in data["schema_version"].split(".")) >= (1, 2)


def test_the_progress_bar_counts_accounts_done_out_of_accounts_known(estate) -> None:
    from scanner.console import ProgressTicks
    from scanner.sources.aws.collector import AwsScope, collect_aws

    seen: list[tuple[str, int]] = []

    class Recording(ProgressTicks):
        def __call__(self) -> None:
            seen.append(("done", 1))

        def known(self, total: int) -> None:
            seen.append(("known", total))

    collect_aws(AwsScope(regions=("us-east-1",), org_role=ORG_ROLE), Recording())
    assert seen == [("known", 2), ("done", 1), ("done", 1)]


def test_the_inventory_carries_what_controls_and_reports_need(cli, estate: Estate, tmp_path: Path) -> None:
    out = tmp_path / "inventory.json"
    outcome = cli("inventory", "aws", "--aws-org-role", ORG_ROLE, "--aws-regions", REGIONS, "-o", str(out), "-q")
    assert outcome.exit_code == 0, outcome.output
    inventory = load_inventory(out)
    accounts = {a.uid: a for a in inventory.accounts}
    assert accounts[estate.member].environment == "development"
    assert accounts[MANAGEMENT].parent and accounts[MANAGEMENT].parent.startswith("o-")

    keys = {c.identity_uid.rsplit("/", 1)[-1]: c for c in inventory.credentials if c.kind == "access_key"}
    stale = keys["stale-sync"]
    assert (NOW - stale.created).days == 400 and (NOW - stale.last_used).days == 100
    assert keys["legacy-backup"].last_used is None and stale.attributes["display_id"].startswith("AKIA…")
    api_keys = [c for c in inventory.credentials if c.kind == "api_key"]
    assert [c.identity_uid for c in api_keys] == [f"arn:aws:iam::{MANAGEMENT}:user/ci-deploy"]
    assert "ACCA1234567890EXAMPLE" not in out.read_text(), "a Bedrock API key's id is never written whole"
    assert api_keys[0].attributes["display_id"] == "ACCA…MPLE"
    users = {i.name: i for i in inventory.identities if i.kind == "user"}
    assert "last_used" in users["ci-deploy"].unknown, "IAM reports no last use of its API key"
    assert "last_used" not in users["stale-sync"].unknown

    roles = {i.name: i for i in inventory.identities if i.kind == "role"}
    assert roles["vendor-audit-with-id"].attributes["trust"][0]["conditions"] == {
        "StringEquals": {"sts:ExternalId": "x-123"}
    }
    assert roles["github-deploy"].attributes["trust"][0]["subject"] == "repo:acme/app:ref:refs/heads/main"

    (agent,) = inventory.agents
    assert agent.uid == estate.agent_arn
    assert agent.runs_as == roles["bedrock-support"].uid and agent.guardrail == "gr-support:2"
    assert agent.memory_enabled and agent.memory_retention_days == 30 and agent.human_approval is False
    tools = {g.name: g.attributes.get("tool_type") for g in inventory.grants if g.kind == "tool"}
    assert tools == {
        "get_ticket": "lambda",
        "issue_refund": "lambda",
        "code_interpreter": "code_interpreter",
        "knowledge_base:KB12345678": "knowledge_base",
    }
    trails = {s.name: s for s in inventory.log_sources if s.kind == "cloudtrail"}
    assert trails["org-trail"].enabled and trails["org-trail"].attributes["multi_region"]
    assert not trails["dev-trail"].enabled


def test_access_denied_on_one_api_makes_the_account_partial(cli, estate, fake_aws, tmp_path: Path) -> None:
    fake_aws.state.deny.add("iam:ListAccessKeys")
    outcome = scan(cli, tmp_path)
    assert outcome.exit_code == 3, "partial without --allow-partial"
    sources = {s["account"]: s for s in results(tmp_path)["scan"]["sources"]}
    assert sources[MANAGEMENT]["status"] == "partial"
    errors = {(e["call"], e["code"]) for e in sources[MANAGEMENT]["errors"]}
    assert errors == {("iam:ListAccessKeys", "AccessDenied")} and len(sources[MANAGEMENT]["errors"]) == 4
    data = results(tmp_path)
    assert ("NHI-CRED-001", "access_key key 1 of stale-sync") in {label(f) for f in data["findings"]}, (
        "keys still come from the credential report"
    )
    assert scan(cli, tmp_path / "again", "--allow-partial").exit_code == 1


def test_an_account_whose_role_cannot_be_assumed_is_reported_and_skipped(cli, estate, fake_aws, tmp_path) -> None:
    fake_aws.state.deny.add(f"sts:AssumeRole:{estate.member}")
    assert scan(cli, tmp_path).exit_code == 3
    data = results(tmp_path)
    sources = {s["account"]: s for s in data["scan"]["sources"]}
    assert sources[estate.member]["status"] == "failed"
    assert sources[estate.member]["errors"][0]["call"].startswith("sts:AssumeRole arn:aws:iam::")
    assert sources[MANAGEMENT]["status"] == "complete"
    assert ("NHI-COV-001", "acme-dev") in {label(f) for f in data["findings"] if f["status"] == "fail"}
    assert not [i for i in data["inventory"]["identities"] if i["account"] == estate.member]


def test_throttled_calls_are_retried(cli, estate, fake_aws, tmp_path: Path) -> None:
    fake_aws.state.throttle["iam:GetAccountAuthorizationDetails"] = 3
    assert scan(cli, tmp_path).exit_code == 1
    assert [s["status"] for s in results(tmp_path)["scan"]["sources"]] == ["complete", "complete"]
    assert fake_aws.state.requests["iam:GetAccountAuthorizationDetails"] == 2 + 3


def test_without_usable_credentials_the_scan_stops_with_one_line(cli, estate, fake_aws, tmp_path: Path) -> None:
    fake_aws.state.deny.add("sts:GetCallerIdentity")
    outcome = scan(cli, tmp_path)
    assert outcome.exit_code == 2
    assert outcome.output.strip().splitlines() == [
        "nhiscan: error: aws: no usable credentials (An error occurred (AccessDenied) when calling the "
        "GetCallerIdentity operation: User is not authorized to perform: sts:GetCallerIdentity)"
    ]


def test_accounts_outside_the_org_scope_are_refused(cli, estate, tmp_path: Path) -> None:
    outcome = cli("scan", "aws", "--aws-accounts", "111111111111", "--output-dir", str(tmp_path), "-q")
    assert outcome.exit_code == 2 and "--aws-org-role" in outcome.output


def test_one_account_and_region_without_an_org_role(cli, estate, fake_aws, tmp_path: Path) -> None:
    outcome = cli("scan", "aws", "--aws-regions", "us-east-1", "--format", "json", "--output-dir", str(tmp_path), "-q")
    assert outcome.exit_code == 1
    assert [s["account"] for s in results(tmp_path)["scan"]["sources"]] == [MANAGEMENT]
    assert fake_aws.state.requests["sts:AssumeRole"] == 0


def test_requests_grow_with_pages_not_users(estate, fake_aws) -> None:
    from scanner.sources.aws.collector import AwsScope, collect_aws

    collect_aws(AwsScope(regions=("us-east-1",)))
    requests = fake_aws.state.requests
    assert requests["iam:GetAccountAuthorizationDetails"] == 1
    assert requests["iam:ListAccessKeys"] == 4, "one per user that has keys, for the key ids"
    assert sum(requests.values()) < 30


def test_key_uids_are_the_same_whether_or_not_key_ids_are_listed(estate, fake_aws) -> None:
    from scanner.sources.aws.collector import AwsScope, collect_aws

    listed = collect_aws(AwsScope(regions=("us-east-1",), key_ids="all"))
    fake_aws.state.requests.clear()
    unlisted = collect_aws(AwsScope(regions=("us-east-1",), key_ids="none"))
    assert fake_aws.state.requests["iam:ListAccessKeys"] == 0
    keys = sorted(c.uid for c in listed.credentials if c.kind == "access_key")
    assert keys == sorted(c.uid for c in unlisted.credentials if c.kind == "access_key") and len(keys) == 4
    assert {c.attributes["display_id"][:4] for c in listed.credentials if c.kind == "access_key"} == {"AKIA"}
    assert {c.attributes["display_id"] for c in unlisted.credentials if c.kind == "access_key"} == {"key 1"}
