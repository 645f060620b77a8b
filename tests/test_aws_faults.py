"""The AWS source against the failures real endpoints have, injected by the front before moto: an
HTML 500 on any one call, AccessDenied on each declared permission, throttling storms, an endpoint
that accepts and never answers, a region without the service, no endpoint at all, no credentials.
Each gives a named gap (or one line), the right exit code and no traceback.

The estate is seeded once for the module: a scan only reads, and each test sets only faults."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.config import Config

from scanner.engine.context import EvalContext
from scanner.engine.fields import UNKNOWN, field_accessor
from scanner.model import Inventory, SourceError
from scanner.scan import load_catalogs
from scanner.sources.aws import PERMISSIONS
from scanner.sources.aws.calls import BULK_CONFIG, THROTTLE_PAUSES
from scanner.sources.aws.collector import TAGS_NOT_ASKED, AwsScope, collect_aws

from .aws_estate import MANAGEMENT, ORG_ROLE, Estate, seeded
from .aws_fake import FakeAws

ORG_SCAN = AwsScope(regions=("us-east-1",), org_role=ORG_ROLE)
# Every call a default org-wide scan of the estate makes: each declared permission but the
# caller's identity (checked on its own) and the regions (the scans name theirs).
# iam:GetPolicy/GetPolicyVersion run only for an attached policy whose document the bulk data lacks,
# which moto never leaves out: their refusal is tested in tests/test_no_evidence_no_pass.py.
# organizations:ListDelegatedAdministrators runs only for an organisation trail its owner's scan
# did not read: its refusal is tested in tests/test_aws_org_trails.py.
CONDITIONAL = ("iam:GetPolicy", "iam:GetPolicyVersion", "organizations:ListDelegatedAdministrators")
CALLS = tuple(p for p in PERMISSIONS if p not in ("sts:GetCallerIdentity", "ec2:DescribeRegions", *CONDITIONAL))


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[FakeAws, Estate]]:
    with seeded() as world:
        yield world


@pytest.fixture
def fake(world: tuple[FakeAws, Estate]) -> FakeAws:
    aws, _ = world
    aws.clear_faults()
    return aws


def gaps(inventory: Inventory) -> list[SourceError]:
    return [error for source in inventory.sources for error in source.errors]


def named(inventory: Inventory, call: str) -> list[SourceError]:
    return [e for e in gaps(inventory) if e.call.split(" ")[0] == call]


def test_the_estate_reads_completely_without_faults(fake: FakeAws) -> None:
    inventory = collect_aws(ORG_SCAN)
    assert [s.status for s in inventory.sources] == ["complete", "complete"]
    assert {call.split("@")[0] for call in fake.state.by_region} >= set(CALLS), "CALLS lists what a scan calls"


@pytest.mark.parametrize("call", CALLS)
def test_an_html_500_on_any_one_call_is_a_gap_named_after_it(fake: FakeAws, call: str) -> None:
    fake.state.html500.add(call)
    inventory = collect_aws(ORG_SCAN)
    found = named(inventory, call)
    assert found, f"no gap for {call}: {gaps(inventory)}"
    assert all(e.code in ("ResponseParserError", "500") for e in found), found  # query XML, JSON protocols
    assert any(s.status != "complete" for s in inventory.sources)


@pytest.mark.parametrize("call", CALLS)
def test_a_sign_in_page_with_status_200_on_any_one_call_is_a_gap_named_after_it(fake: FakeAws, call: str) -> None:
    """botocore reads a JSON service's answer that is not JSON as an empty one, and well-formed
    XHTML as a query service's answer without its fields: both were an empty estate, complete."""
    fake.state.html200.add(call)
    inventory = collect_aws(ORG_SCAN)
    found = named(inventory, call)
    assert found, f"no gap for {call}: {gaps(inventory)}"
    assert {e.code for e in found} == {"ResponseParserError"}, found
    assert any("not an answer of the AWS API" in e.message and "text/html" in e.message for e in found)
    assert any(s.status != "complete" for s in inventory.sources)


@pytest.mark.parametrize("permission", [p for p in PERMISSIONS if p != "sts:GetCallerIdentity"])
def test_access_denied_on_each_declared_permission_is_a_named_gap(fake: FakeAws, permission: str) -> None:
    fake.state.deny.add(permission)
    inventory = collect_aws(AwsScope(org_role=ORG_ROLE) if permission == "ec2:DescribeRegions" else ORG_SCAN)
    if fake.state.requests[permission] == 0:
        pytest.skip(f"{permission} is declared for calls this estate does not make")
    found = named(inventory, permission)
    assert found and {e.code for e in found} <= {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


def test_a_throttling_storm_ends_in_a_throttling_gap_in_bounded_time(fake: FakeAws) -> None:
    fake.state.throttle["iam:GetAccountAuthorizationDetails"] = 10_000
    started = time.monotonic()
    inventory = collect_aws(ORG_SCAN)
    assert time.monotonic() - started < 90
    found = named(inventory, "iam:GetAccountAuthorizationDetails")
    assert len(found) == 2 and {e.code for e in found} == {"Throttling"}
    bulk_attempts = BULK_CONFIG.retries["total_max_attempts"]
    assert fake.state.requests["iam:GetAccountAuthorizationDetails"] == 2 * bulk_attempts * (1 + len(THROTTLE_PAUSES))


def test_throttling_that_passes_leaves_the_scan_complete(fake: FakeAws) -> None:
    fake.state.throttle["iam:GetAccountAuthorizationDetails"] = 5
    inventory = collect_aws(ORG_SCAN)
    assert [s.status for s in inventory.sources] == ["complete", "complete"]


def test_an_endpoint_that_never_answers_costs_its_timeouts_once(fake: FakeAws, monkeypatch) -> None:
    quick = Config(retries={"mode": "standard", "total_max_attempts": 2}, connect_timeout=1, read_timeout=1)
    for module in ("calls", "sessions"):
        monkeypatch.setattr(f"scanner.sources.aws.{module}.CLIENT_CONFIG", quick)
    fake.state.hang.add("cloudtrail:GetTrailStatus@us-east-1")
    started = time.monotonic()
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    assert time.monotonic() - started < 30
    (source,) = inventory.sources
    calls = {e.call: e.code for e in source.errors}
    assert calls["cloudtrail:GetTrailStatus in us-east-1"] == "ReadTimeoutError"
    assert calls["cloudtrail:GetEventSelectors in us-east-1"] == "EndpointUnreachable", "not called again"
    assert fake.state.requests["cloudtrail:GetEventSelectors"] == 0


def test_agents_are_read_only_where_the_service_is_offered(fake: FakeAws) -> None:
    inventory = collect_aws(AwsScope(regions=("us-east-1", "ap-east-1")))
    assert fake.state.by_region["bedrock:ListAgents@us-east-1"] == 1
    assert fake.state.by_region["bedrock:ListAgents@ap-east-1"] == 0, "botocore offers no Bedrock in ap-east-1"
    assert fake.state.by_region["secretsmanager:ListSecrets@ap-east-1"] == 1
    (account,) = inventory.accounts
    assert account.attributes["bedrock_agent_regions"] == ["us-east-1"]
    assert account.unknown == ["environment", "tags", "agents"], "a single account's tags not asked"
    not_read = account.attributes["agent_regions_not_read"]
    assert "us-west-2" in not_read and "us-east-1" not in not_read and "ap-east-1" not in not_read
    assert [s.status for s in inventory.sources] == ["complete"]


def test_the_agent_version_an_alias_routes_to_is_read_and_recorded(fake: FakeAws) -> None:
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    (agent,) = inventory.agents
    assert agent.attributes["aliases"] == {"AgentTestAlias": ["DRAFT"], "live": ["1"]}
    assert agent.attributes["serving_versions"] == ["1", "DRAFT"]
    versions = {g.name: g.attributes.get("versions") for g in inventory.grants if g.kind == "tool"}
    assert versions["get_ticket"] == ["1", "DRAFT"] and versions["issue_refund"] == ["DRAFT"]


# ---------------------------------------------------------------------- through the command line


def _scan(cli, out: Path, *extra: str):
    return cli("scan", "aws", "--aws-regions", "us-east-1", "--format", "json", "--output-dir", str(out), "-q", *extra)


def test_an_html_500_through_the_command_line_is_exit_3_without_a_traceback(cli, fake, tmp_path: Path) -> None:
    fake.state.html500.add("iam:GetAccountAuthorizationDetails")
    outcome = _scan(cli, tmp_path)
    assert outcome.exit_code == 3 and "Traceback" not in outcome.output
    (source,) = json.loads((tmp_path / "results.json").read_text())["scan"]["sources"]
    assert source["status"] == "partial"
    assert {(e["call"], e["code"]) for e in source["errors"]} == {
        ("iam:GetAccountAuthorizationDetails", "ResponseParserError")
    }


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("allow_partial", [False, True])
def test_an_unreachable_endpoint_is_a_failed_source_exit_3(cli, fake, monkeypatch, tmp_path, allow_partial) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{_closed_port()}")
    outcome = _scan(cli, tmp_path, *(["--allow-partial"] if allow_partial else []))
    assert outcome.exit_code == 3, outcome.output
    (line,) = outcome.output.strip().splitlines()
    assert line.startswith("nhiscan: error: aws: STS in us-east-1 could not be read (Could not connect")


def test_no_credentials_is_exit_2_with_one_line(cli, fake, monkeypatch, tmp_path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    outcome = _scan(cli, tmp_path)
    assert outcome.exit_code == 2
    assert outcome.output.strip().splitlines() == ["nhiscan: error: aws: no credentials (Unable to locate credentials)"]


def test_the_management_account_is_scanned_and_the_member_role_failure_is_a_gap(fake) -> None:
    fake.state.deny.add("sts:AssumeRole")
    inventory = collect_aws(ORG_SCAN)
    statuses = {s.account: s.status for s in inventory.sources}
    assert statuses[MANAGEMENT] == "complete" and sorted(statuses.values()) == ["complete", "failed"]


def test_a_member_account_whose_tags_were_refused_has_an_unknown_environment(
    world: tuple[FakeAws, Estate], fake: FakeAws
) -> None:
    _, estate = world
    member = lambda inventory: next(a for a in inventory.accounts if a.uid == estate.member)  # noqa: E731
    assert member(collect_aws(ORG_SCAN)).environment == "development"
    fake.state.deny.add("organizations:ListTagsForResource")
    refused = member(collect_aws(ORG_SCAN))
    assert refused.environment is None and "environment" in refused.unknown


@pytest.fixture(scope="module")
def complete_results(world: tuple[FakeAws, Estate], catalogs) -> dict[tuple[str, str], str]:
    aws, _ = world
    aws.clear_faults()
    return _statuses(collect_aws(ORG_SCAN), catalogs)[0]


def _statuses(inventory: Inventory, catalogs) -> tuple[dict[tuple[str, str], str], set[str]]:
    """Every result by (control, resource uid), and the accounts the inventory holds."""
    from scanner.scan import ScanOptions, run_scan

    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {(f.control_id, f.resource.uid): f.status for f in result.findings}, {a.uid for a in inventory.accounts}


@pytest.mark.parametrize("permission", CALLS)
def test_a_refused_call_never_turns_a_failure_into_a_pass(
    fake: FakeAws, catalogs, complete_results: dict[tuple[str, str], str], permission: str
) -> None:
    """What a refused call would have shown is unknown, never a pass: each result that fails with
    every call answered fails or is unknown with this one refused. A record the call would have
    listed may be absent (its listing is a named gap), but an account that was read keeps a
    result for every control that judged it."""
    fake.state.deny.add(permission)
    inventory = collect_aws(ORG_SCAN)
    refused, accounts = _statuses(inventory, catalogs)
    changed = {
        key: refused.get(key, "absent")
        for key, status in complete_results.items()
        if status == "fail" and refused.get(key) not in ("fail", "unknown") and (key in refused or key[1] in accounts)
    }
    assert not changed, f"with {permission} refused: {changed}"
    if any(key not in refused for key, status in complete_results.items() if status == "fail"):
        assert named(inventory, permission), f"records went missing with {permission} refused, and no gap says so"


# ---------------------------------------------------------------------- Bedrock API keys not listed

API_KEYS = "iam:ListServiceSpecificCredentials"


def test_a_refused_api_key_listing_leaves_the_users_credentials_unknown(
    fake: FakeAws, catalogs, complete_results: dict[tuple[str, str], str]
) -> None:
    """ListServiceSpecificCredentials lists every user's Bedrock API keys at once (AllUsers): refused,
    no user's credentials are all known, so a result that rests on a user holding no other credential
    is unknown, not a pass. The access keys that were read are judged as before, and roles and the
    root user, which cannot hold API keys, keep what they had."""
    fake.state.deny.add(API_KEYS)
    inventory = collect_aws(ORG_SCAN)
    assert [s.status for s in inventory.sources] == ["partial", "partial"]
    assert {(e.call, e.code) for e in gaps(inventory)} == {(API_KEYS, "AccessDenied")}
    users = {i.uid for i in inventory.identities if i.kind == "user"}
    refused, _ = _statuses(inventory, catalogs)
    counted = {key for key in complete_results if key[0] == "NHI-CRED-004" and key[1] in users}
    assert len(counted) == 5
    failing = {uid.rsplit("/", 1)[-1] for (_, uid) in counted if complete_results[(_, uid)] == "fail"}
    assert failing == {"ci-deploy"}, "read whole, only ci-deploy's access key and API key are both active"
    assert {key: refused[key] for key in counted} == dict.fromkeys(counted, "unknown"), "no evidence, no pass"
    assert {i.uid for i in inventory.identities if "credentials" in i.unknown} == users

    api_keys = {uid for _, uid in complete_results if "#api_key:" in uid}
    assert api_keys and not {uid for _, uid in refused} & api_keys, "not listed: the gap names the call"
    coverage = {key for key in complete_results if key[0] == "NHI-COV-001"}
    assert {refused[key] for key in coverage} == {"fail"}, "each account says it was read partially"
    changed = {
        key: (status, refused.get(key, "absent"))
        for key, status in complete_results.items()
        if key not in counted | coverage and key[1] not in api_keys and refused.get(key) != status
    }
    assert not changed, "the rest is judged as with every call answered"


@pytest.mark.parametrize(("allow_partial", "exit_code"), [(False, 3), (True, 0)])
def test_a_refused_api_key_listing_through_the_command_line(
    cli, fake: FakeAws, tmp_path: Path, allow_partial: bool, exit_code: int
) -> None:
    fake.state.deny.add(API_KEYS)
    outcome = _scan(cli, tmp_path, "--fail-on", "none", *(["--allow-partial"] if allow_partial else []))
    assert outcome.exit_code == exit_code and "Traceback" not in outcome.output, outcome.output
    results = json.loads((tmp_path / "results.json").read_text())
    (source,) = results["scan"]["sources"]
    assert source["status"] == "partial"
    assert {(e["call"], e["code"]) for e in source["errors"]} == {(API_KEYS, "AccessDenied")}
    counted = {f["resource"]["name"]: f["status"] for f in results["findings"] if f["control_id"] == "NHI-CRED-004"}
    assert counted == dict.fromkeys(["admin-bot", "ci-deploy", "power-user", "stale-sync"], "unknown")
    stale = [f["status"] for f in results["findings"] if f["control_id"] == "NHI-CRED-001"]
    assert stale == ["fail"], "the access key that was read still fails rotation"


def test_a_single_account_scan_leaves_the_environment_unknown_and_says_how_to_declare_it(fake: FakeAws) -> None:
    """Without --aws-org-role no Organization is asked, and an account's tags are kept there only:
    its environment is unknown (NHI-PRIV-009 unknown, not 'not production'), with a note, not a gap."""
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    (account,) = inventory.accounts
    assert account.environment is None and account.unknown[:2] == ["environment", "tags"]
    (status,) = inventory.sources
    assert status.status == "complete" and status.notes == [TAGS_NOT_ASKED]
    assert "nhiscan.yaml" in TAGS_NOT_ASKED
    ctx = EvalContext(inventory, inventory.collected_at, load_catalogs().capabilities)
    environment = field_accessor("identity", "account_environment")
    assert environment is not None
    assert {environment(identity, ctx) for identity in inventory.identities} == {UNKNOWN}
