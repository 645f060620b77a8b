"""Which regions an AWS scan reads, and what a region's refusal means. AWS answers a call in an
opt-in region the account has not enabled with UnrecognizedClientException ("The security token
included in the request is invalid."), and the same to a token that region does not accept: the
region is "not enabled" only where the account's own DescribeRegions leaves it out; elsewhere the
refusal is a gap. Without --aws-regions, each account reads the regions it enabled itself. Through
the real boto3 clients against moto's server (tests/aws_fake.py)."""

from __future__ import annotations

from typing import Any

import boto3

from scanner.model import Inventory
from scanner.sources.aws.collector import AwsScope, collect_aws

from .aws_estate import MANAGEMENT, ORG_ROLE
from .aws_fake import FakeAws
from .test_aws_faults import fake, world  # noqa: F401  (fixtures: the seeded estate, its faults cleared)

OPT_IN = "eu-central-2"  # Zurich: enabled only where an account opts in
REFUSED = (400, "UnrecognizedClientException", "The security token included in the request is invalid.")


def account(inventory: Inventory, uid: str) -> Any:
    return next(a for a in inventory.accounts if a.uid == uid)


def status(inventory: Inventory, uid: str) -> Any:
    return next(s for s in inventory.sources if s.account == uid)


def test_a_refusal_in_a_region_the_account_enabled_is_a_gap_not_a_region_off(fake: FakeAws) -> None:  # noqa: F811
    """It was taken for a region not enabled: no gap, the source complete, the region's agents gone
    without a word, and a --fail-on gate passed on them."""
    fake.state.errors["bedrock:ListAgents@eu-west-1"] = [REFUSED]
    inventory = collect_aws(AwsScope(regions=("us-east-1", "eu-west-1")))
    home = account(inventory, MANAGEMENT)
    assert "regions_not_enabled" not in home.attributes
    assert "agents" in home.unknown
    read = status(inventory, MANAGEMENT)
    assert read.status == "partial"
    refused = [(e.call, e.code) for e in read.errors]
    assert refused == [("bedrock:ListAgents in eu-west-1", "UnrecognizedClientException")]


def test_a_region_the_account_has_not_enabled_is_passed_over_and_named(fake: FakeAws) -> None:  # noqa: F811
    fake.state.regions_off[MANAGEMENT] = {OPT_IN}
    inventory = collect_aws(AwsScope(regions=("us-east-1", OPT_IN)))
    home = account(inventory, MANAGEMENT)
    assert home.attributes["regions_not_enabled"] == [OPT_IN]
    assert home.attributes["regions"] == ["us-east-1"]
    assert status(inventory, MANAGEMENT).status == "complete"
    assert fake.state.requests["ec2:DescribeRegions"] == 1, "asked once, when a region refused"


def test_each_account_reads_the_regions_it_enabled_itself(fake: FakeAws, world) -> None:  # noqa: F811
    """The management account has not opted in to Zurich; the member has, and runs an agent there.
    The member's regions were the management account's: its agent was never listed, both accounts
    complete."""
    _, estate = world
    fake.state.regions_off[MANAGEMENT] = {OPT_IN}
    member = _member_session(fake, estate.member)
    created = member.client("bedrock-agent", endpoint_url=fake.endpoint, region_name=OPT_IN).create_agent(
        agentName="zurich-triage",
        agentResourceRoleArn=f"arn:aws:iam::{estate.member}:role/prod-reader",
        foundationModel="anthropic.claude-3-haiku",
    )["agent"]
    try:
        inventory = collect_aws(AwsScope(org_role=ORG_ROLE))
    finally:
        member.client("bedrock-agent", endpoint_url=fake.endpoint, region_name=OPT_IN).delete_agent(
            agentId=created["agentId"]
        )
    assert created["agentArn"] in {agent.uid for agent in inventory.agents}
    assert OPT_IN in account(inventory, estate.member).attributes["regions"]
    assert OPT_IN not in account(inventory, MANAGEMENT).attributes["regions"]
    assert [s.status for s in inventory.sources] == ["complete", "complete"]


def _member_session(aws: FakeAws, member: str) -> Any:
    import boto3

    sts = boto3.Session(region_name="us-east-1").client("sts", endpoint_url=aws.endpoint)
    credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/{ORG_ROLE}", RoleSessionName="seed")
    return boto3.Session(
        aws_access_key_id=credentials["Credentials"]["AccessKeyId"],
        aws_secret_access_key=credentials["Credentials"]["SecretAccessKey"],
        aws_session_token=credentials["Credentials"]["SessionToken"],
    )


def test_agents_in_regions_the_scan_left_out_are_not_known(fake: FakeAws) -> None:  # noqa: F811
    """--aws-regions us-east-1 on an account that enables eu-west-1, where Bedrock agents are
    offered: an agent there was never listed, yet NHI-LOG-003 and -009 read the account as running
    none. Its agents are unknown, and the regions named; the scan is still complete (a scope the
    caller chose, not a refusal)."""
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    home = account(inventory, MANAGEMENT)
    assert "agents" in home.unknown
    assert "eu-west-1" in home.attributes["agent_regions_not_read"]
    assert "us-east-1" not in home.attributes["agent_regions_not_read"]
    assert status(inventory, MANAGEMENT).status == "complete"


def test_a_scope_holding_every_enabled_region_with_agents_leaves_them_known(fake: FakeAws) -> None:  # noqa: F811
    """The account enables only the regions named (and regions Bedrock agents are not offered in)."""
    session = boto3.session.Session()
    offered = {r for name in ("bedrock-agent", "bedrock") for r in session.get_available_regions(name)}
    named = ("us-east-1", "ap-east-1")  # ap-east-1: no Bedrock agents offered there
    off = offered - set(named)
    fake.state.regions_off[MANAGEMENT] = off
    inventory = collect_aws(AwsScope(regions=named))
    home = account(inventory, MANAGEMENT)
    assert "agents" not in home.unknown and "agent_regions_not_read" not in home.attributes
    assert "ap-east-1" not in offered


def test_regions_that_cannot_be_listed_leave_agents_outside_the_scope_unknown(fake: FakeAws) -> None:  # noqa: F811
    fake.state.errors["ec2:DescribeRegions"] = [(403, "UnauthorizedOperation", "not authorized")] * 5
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    home = account(inventory, MANAGEMENT)
    assert "agents" in home.unknown and "eu-west-1" in home.attributes["agent_regions_not_read"]
    assert [e.call for e in status(inventory, MANAGEMENT).errors] == ["ec2:DescribeRegions"]


def test_without_named_regions_regions_that_cannot_be_listed_leave_the_others_agents_unknown(
    fake: FakeAws,  # noqa: F811
) -> None:
    """Only the caller's region is read then: an agent in eu-west-1 sharing a role with one in
    us-east-1 was never listed, and the account read as running only the one (NHI-AGENT-007 passed)."""
    fake.state.errors["ec2:DescribeRegions"] = [(403, "UnauthorizedOperation", "not authorized")] * 5
    inventory = collect_aws(AwsScope())
    home = account(inventory, MANAGEMENT)
    assert home.attributes["regions"] == ["us-east-1"]
    assert "agents" in home.unknown and "eu-west-1" in home.attributes["agent_regions_not_read"]
    assert "us-east-1" not in home.attributes["agent_regions_not_read"]
    assert status(inventory, MANAGEMENT).status == "partial"
