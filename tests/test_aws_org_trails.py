"""Organisation trails read from a CloudTrail delegated administrator: the scan runs from a member
account registered for cloudtrail.amazonaws.com (organizations RegisterDelegatedAdministrator), not
from the management account that owns the trail. AWS refuses the trail's status to other members
(CloudTrailARNInvalidException, as the front answers), so a member account covered by the trail
is complete, and its record is filled from the trail as the delegated administrator reads it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from scanner.model import Inventory, LogSource
from scanner.sources.aws.collector import AwsScope, collect_aws

from .aws_estate import MANAGEMENT, ORG_ROLE, REGION, _clients, organization_trail, seeded
from .aws_fake import FakeAws
from .test_aws_api import assert_fits_the_model


@dataclass
class World:
    fake: FakeAws
    member: str  # acme-dev: covered by the organisation trail
    admin: str  # security: the CloudTrail delegated administrator the scan runs from
    other_admin: str  # guard: a delegated administrator of GuardDuty, not of CloudTrail
    trail_arn: str


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with seeded() as (fake, estate):
        management = _clients(fake)
        created = management["organizations"].create_account(Email="sec@example.com", AccountName="security")
        admin = created["CreateAccountStatus"]["AccountId"]
        # cloudtrail:RegisterOrganizationDelegatedAdmin, which moto lacks: the front lists it
        fake.state.delegated_admins[admin] = _delegated_admin(management["organizations"], admin)
        created = management["organizations"].create_account(Email="guard@example.com", AccountName="guard")
        other_admin = created["CreateAccountStatus"]["AccountId"]
        management["organizations"].register_delegated_administrator(
            AccountId=other_admin, ServicePrincipal="guardduty.amazonaws.com"
        )
        fake.state.org_readers.add(other_admin)
        yield World(fake, estate.member, admin, other_admin, organization_trail(fake))


def _delegated_admin(organizations: Any, account: str) -> dict[str, Any]:
    """A DelegatedAdministrator as ListDelegatedAdministrators returns it (Organizations API
    reference; tests/data/SOURCES.md): the account as the organisation describes it."""
    described = organizations.describe_account(AccountId=account)["Account"]
    return {
        "Id": described["Id"],
        "Arn": described["Arn"],
        "Email": described["Email"],
        "Name": described["Name"],
        "Status": "ACTIVE",
        "JoinedMethod": described["JoinedMethod"],
        "JoinedTimestamp": described["JoinedTimestamp"].timestamp(),
        "DelegationEnabledDate": described["JoinedTimestamp"].timestamp() + 3600,
    }


def _credentials_in(account: str) -> dict[str, str]:
    assumed = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{ORG_ROLE}", RoleSessionName="test"
    )["Credentials"]
    return {
        "AWS_ACCESS_KEY_ID": assumed["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": assumed["SecretAccessKey"],
        "AWS_SESSION_TOKEN": assumed["SessionToken"],
    }


@pytest.fixture
def as_admin(world: World, monkeypatch: pytest.MonkeyPatch) -> World:
    """The scan's credentials are the delegated administrator's (a role in the security account)."""
    world.fake.clear_faults()
    for name, value in _credentials_in(world.admin).items():
        monkeypatch.setenv(name, value)
    return world


def _scan(world: World) -> Inventory:
    """Both member accounts; the management account's role is not assumed (as often, it has none)."""
    return collect_aws(AwsScope(regions=(REGION,), org_role=ORG_ROLE, accounts=(world.admin, world.member)))


def _covering(inventory: Inventory, account: str) -> LogSource:
    (record,) = [s for s in inventory.log_sources if s.account == account and s.attributes.get("covered_by")]
    return record


def test_a_member_refuses_the_organisation_trail_status_as_aws_does(world: World, monkeypatch) -> None:
    for name, value in _credentials_in(world.member).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ClientError) as refused:
        boto3.Session().client("cloudtrail", region_name=REGION).get_trail_status(Name=world.trail_arn)
    assert refused.value.response["Error"]["Code"] == "CloudTrailARNInvalidException"


def test_a_member_covered_by_the_trail_is_complete_with_the_status_the_delegated_admin_reads(as_admin) -> None:
    world = as_admin
    inventory = _scan(world)
    assert {s.account: s.status for s in inventory.sources} == {world.admin: "complete", world.member: "complete"}
    for account in (world.member, world.admin):
        record = _covering(inventory, account)
        assert record.attributes["covered_by"] == world.trail_arn
        assert record.enabled and record.attributes["multi_region"]
        assert record.covers == ["management_read", "management_write"]
        assert not {"enabled", "covers"} & set(record.unknown)
        assert record.attributes["status_read_from"] == world.admin
    requests = world.fake.state.requests
    assert requests["organizations:ListDelegatedAdministrators"] == 1
    assert_fits_the_model(world.fake, "organizations:ListDelegatedAdministrators")
    # the member's own dev-trail, and the organisation trail once (by the delegated administrator)
    assert requests["cloudtrail:GetTrailStatus"] == 2


def test_a_scan_from_another_administrator_reads_the_trail_through_the_delegated_admin(world, monkeypatch) -> None:
    """From a delegated administrator of another service (it may list the organisation, not read
    its trail), the trail is read through the role the scan assumed in the CloudTrail one."""
    world.fake.clear_faults()
    for name, value in _credentials_in(world.other_admin).items():
        monkeypatch.setenv(name, value)
    scope = AwsScope(regions=(REGION,), org_role=ORG_ROLE, accounts=(world.other_admin, world.admin, world.member))
    inventory = collect_aws(scope)
    assert {s.status for s in inventory.sources} == {"complete"}
    for account in (world.other_admin, world.member):
        record = _covering(inventory, account)
        assert record.enabled and record.attributes["status_read_from"] == world.admin


def test_from_the_management_account_left_out_of_scope_the_trail_is_read_by_it(world, monkeypatch) -> None:
    """From the management account with the management account left out of scope, nothing owns
    the trail in the scan; the management account may read it itself."""
    world.fake.clear_faults()
    inventory = _scan(world)
    record = _covering(inventory, world.member)
    assert record.enabled and record.attributes["status_read_from"] == MANAGEMENT
    assert world.fake.state.requests["organizations:ListDelegatedAdministrators"] == 0


def test_delegated_administrators_that_cannot_be_listed_leave_the_trail_unknown_and_named(as_admin) -> None:
    world = as_admin
    world.fake.state.deny.add("organizations:ListDelegatedAdministrators")
    inventory = _scan(world)
    statuses = {s.account: s for s in inventory.sources}
    assert statuses[world.member].status == "complete", "the member itself was read completely"
    assert statuses[world.admin].status == "partial"
    assert [e.call for e in statuses[world.admin].errors] == ["organizations:ListDelegatedAdministrators"]
    record = _covering(inventory, world.member)
    assert {"enabled", "covers"} <= set(record.unknown), "no evidence, no pass"
    assert world.fake.state.requests["cloudtrail:GetTrailStatus"] == 1, "only the member's own trail"


def test_an_organisation_trail_whose_home_is_the_delegated_admin_covers_the_members(as_admin) -> None:
    """A trail whose ARN names the delegated administrator's own account: the scan reads it there
    as that account's own trail, and the members it covers are complete and take its status."""
    world = as_admin
    session = boto3.Session()  # the delegated administrator's credentials (as_admin)
    session.client("s3", region_name=REGION).create_bucket(Bucket="security-org-trail")
    cloudtrail = session.client("cloudtrail", region_name=REGION)
    created = cloudtrail.create_trail(
        Name="security-org", S3BucketName="security-org-trail", IsMultiRegionTrail=True, IsOrganizationTrail=True
    )
    cloudtrail.start_logging(Name="security-org")
    owned = next(t for t in cloudtrail.describe_trails()["trailList"] if t["TrailARN"] == created["TrailARN"])
    assert owned["TrailARN"].split(":")[4] == world.admin
    management_trail, world.fake.state.org_trail = world.fake.state.org_trail, owned
    try:
        world.fake.clear_faults()
        inventory = _scan(world)
    finally:
        world.fake.state.org_trail = management_trail
        cloudtrail.delete_trail(Name="security-org")
    assert {s.account: s.status for s in inventory.sources} == {world.admin: "complete", world.member: "complete"}
    record = _covering(inventory, world.member)
    assert record.attributes["covered_by"] == owned["TrailARN"] and record.enabled
    assert not {"enabled", "covers"} & set(record.unknown)
    (own,) = [s for s in inventory.log_sources if s.uid == owned["TrailARN"]]
    assert own.account == world.admin and own.enabled
    assert world.fake.state.requests["organizations:ListDelegatedAdministrators"] == 0, "its owner was scanned"


def test_a_single_region_organisation_trail_covers_members_in_its_home_region(as_admin) -> None:
    """A member sees an organisation trail only among shadow trails (DescribeTrails'
    includeShadowTrails), and a single-region one only in its home region, which need not be the
    first region scanned."""
    world = as_admin
    home = "eu-west-1"
    management = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=home)
    cloudtrail = management.client("cloudtrail", endpoint_url=world.fake.endpoint)
    management.client("s3", endpoint_url=world.fake.endpoint).create_bucket(
        Bucket="org-eu-trail", CreateBucketConfiguration={"LocationConstraint": home}
    )
    arn = cloudtrail.create_trail(Name="org-eu", S3BucketName="org-eu-trail", IsOrganizationTrail=True)["TrailARN"]
    cloudtrail.start_logging(Name="org-eu")
    multi_region = world.fake.state.org_trail
    world.fake.state.org_trail = next(t for t in cloudtrail.describe_trails()["trailList"] if t["TrailARN"] == arn)
    try:
        scope = AwsScope(regions=(REGION, home), org_role=ORG_ROLE, accounts=(world.admin, world.member))
        inventory = collect_aws(scope)
    finally:
        world.fake.state.org_trail = multi_region
    record = _covering(inventory, world.member)
    assert record.attributes["covered_by"] == arn and not record.attributes["multi_region"]
    assert record.enabled and record.attributes["status_read_from"] == world.admin
