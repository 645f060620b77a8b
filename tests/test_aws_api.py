"""The AWS source against the real API's shapes and behaviours: the answers the front makes up for
calls moto lacks are checked against botocore's parser and service model; paging with Marker,
the credential report's states, organisation trails seen from members, account State, partitions
and credentials that refresh."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.parsers import create_parser

from scanner.sources.aws.calls import AwsCalls
from scanner.sources.aws.collector import AwsScope, collect_aws
from scanner.sources.aws.iam import fetch_credential_report
from scanner.sources.aws.sessions import assume, identify

from .aws_estate import MANAGEMENT, NOW, ORG_ROLE, Estate, _clients, organization_trail, seeded
from .aws_fake import FakeAws

ORG_SCAN = AwsScope(regions=("us-east-1",), org_role=ORG_ROLE)


def _credential(user: str, credential_id: str, days: int) -> dict[str, str]:
    return {
        "UserName": user,
        "ServiceSpecificCredentialId": credential_id,
        "CreateDate": (NOW - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


@pytest.fixture(scope="module")
def world() -> Iterator[tuple[FakeAws, Estate]]:
    """The tests' estate, plus: an organisation trail in the management account (members see it),
    a suspended member account, a user under a path, three Bedrock API keys (pages of one)."""
    with seeded() as (fake, estate):
        clients = _clients(fake)
        clients["iam"].create_user(UserName="batch", Path="/automation/")
        fake.state.service_credentials["testing"] += [
            _credential("batch", "ACCA2222222222EXAMPLE", 5),
            _credential("batch", "ACCA3333333333EXAMPLE", 3),
        ]
        fake.state.page_size = 1
        organization_trail(fake)
        suspended = clients["organizations"].create_account(Email="old@example.com", AccountName="old")
        clients["organizations"].close_account(AccountId=suspended["CreateAccountStatus"]["AccountId"])
        yield fake, estate


@pytest.fixture
def fake(world: tuple[FakeAws, Estate]) -> FakeAws:
    aws, _ = world
    aws.clear_faults()
    return aws


# ---------------------------------------------------------------------- the front speaks the model


def _strict(value: Any, shape: Any, where: str) -> None:
    """``value`` (decoded JSON) has only members the model names, and every required one."""
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(value, dict), where
        assert not set(value) - set(shape.members), f"{where}: not in the model: {set(value) - set(shape.members)}"
        assert not set(shape.required_members) - set(value), f"{where}: missing {shape.required_members}"
        for name, item in value.items():
            _strict(item, shape.members[name], f"{where}.{name}")
    elif kind == "list":
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            _strict(item, shape.member, f"{where}[{index}]")
    elif kind == "map":
        assert isinstance(value, dict), where
    elif kind == "string":
        assert isinstance(value, str), where
        assert not shape.enum or value in shape.enum, f"{where}: {value} not in {shape.enum}"
    elif kind == "timestamp":
        assert isinstance(value, str | int | float), where
    elif kind == "boolean":
        assert isinstance(value, bool), where


def _strict_xml(element: ET.Element, shape: Any, where: str) -> None:
    kind = shape.type_name
    tag = lambda e: e.tag.split("}")[-1]  # noqa: E731
    if kind == "structure":
        names = [tag(child) for child in element]
        assert not set(names) - set(shape.members), f"{where}: not in the model: {set(names) - set(shape.members)}"
        assert not set(shape.required_members) - set(names), f"{where}: missing {shape.required_members}"
        for child in element:
            _strict_xml(child, shape.members[tag(child)], f"{where}.{tag(child)}")
    elif kind == "list":
        for child in element:
            assert tag(child) == "member", where
            _strict_xml(child, shape.member, f"{where}[]")


def test_every_answer_the_front_makes_up_parses_and_fits_the_service_model(fake: FakeAws) -> None:
    collect_aws(ORG_SCAN)
    assert {name for name, *_ in fake.state.served} == {
        "bedrock-agent:ListAgentAliases",
        "bedrock-agent:GetAgentVersion",
        "bedrock-agent:ListAgentActionGroups",
        "bedrock-agent:GetAgentActionGroup",
        "bedrock-agent:ListAgentKnowledgeBases",
        "iam:ListServiceSpecificCredentials",
    }
    assert_fits_the_model(fake)


def assert_fits_the_model(fake: FakeAws, only: str | None = None) -> None:
    """Every answer the front made up (or those of ``only``) parses with botocore's parser and has
    exactly the members botocore's service model names."""
    session = botocore.session.get_session()
    for name, status, headers, body in fake.state.served:
        if only is not None and name != only:
            continue
        service, operation = name.split(":")
        model = session.get_service_model(service)
        output = model.operation_model(operation).output_shape
        parsed = create_parser(model.protocol).parse({"status_code": status, "headers": headers, "body": body}, output)
        assert "Error" not in parsed, (name, parsed)
        if model.protocol == "query":
            result = ET.fromstring(body).find(f"{{https://iam.amazonaws.com/doc/2010-05-08/}}{operation}Result")
            assert result is not None, name
            _strict_xml(result, output, name)
        else:
            _strict(json.loads(body), output, name)
    assert only is None or any(name == only for name, *_ in fake.state.served), f"{only} was not made up"


# ---------------------------------------------------------------------- behaviours


def test_bedrock_api_keys_are_paged_with_marker_and_keep_the_holder_path(fake: FakeAws) -> None:
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    holders = sorted(c.identity_uid for c in inventory.credentials if c.kind == "api_key")
    assert holders == [
        f"arn:aws:iam::{MANAGEMENT}:user/automation/batch",
        f"arn:aws:iam::{MANAGEMENT}:user/automation/batch",
        f"arn:aws:iam::{MANAGEMENT}:user/ci-deploy",
    ]
    assert fake.state.requests["iam:ListServiceSpecificCredentials"] == 3, "one page per key"


def test_member_accounts_are_covered_by_the_organisation_trail(fake: FakeAws, world) -> None:
    _, estate = world
    inventory = collect_aws(ORG_SCAN)
    assert {s.account: s.status for s in inventory.sources} == {MANAGEMENT: "complete", estate.member: "complete"}
    covering = [s for s in inventory.log_sources if s.account == estate.member and s.attributes.get("covered_by")]
    (record,) = covering
    assert record.attributes["covered_by"] == fake.state.org_trail["TrailARN"]
    assert record.enabled and record.attributes["multi_region"] and "enabled" not in record.unknown
    # the management account's two trails and the member's own: the member never asks for the org trail
    assert fake.state.requests["cloudtrail:GetTrailStatus"] == 3


def test_suspended_accounts_are_not_scanned(fake: FakeAws, world) -> None:
    _, estate = world
    inventory = collect_aws(ORG_SCAN)
    assert sorted(a.uid for a in inventory.accounts) == sorted([MANAGEMENT, estate.member])


def test_a_report_in_progress_or_expired_is_asked_for_again(fake: FakeAws) -> None:
    # the account has a report already (moto answers STARTED to the first request of all, which
    # would add one more request, only when this test runs first)
    iam = _clients(fake)["iam"]
    while iam.generate_credential_report()["State"] != "COMPLETE":
        pass
    fake.clear_faults()
    fake.state.errors["iam:GetCredentialReport"] = [
        (404, "ReportInProgress", "Report generation in progress"),
        (410, "ReportExpired", "The credential report has expired"),
    ]
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    assert [s.status for s in inventory.sources] == ["complete"]
    assert fake.state.requests["iam:GetCredentialReport"] == 3
    assert fake.state.requests["iam:GenerateCredentialReport"] == 3


def test_a_report_never_ready_is_a_gap_after_its_deadline(fake: FakeAws) -> None:
    fake.state.errors["iam:GetCredentialReport"] = [(404, "ReportInProgress", "in progress")] * 50
    calls = AwsCalls(boto3.Session(), MANAGEMENT, "us-east-1")
    assert fetch_credential_report(calls, deadline_seconds=2) is None
    assert [(e.call, e.code) for e in calls.errors] == [("iam:GetCredentialReport", "ReportInProgress")]


def test_without_a_report_keys_are_unknown_not_absent_and_root_is_present(fake: FakeAws) -> None:
    fake.state.deny.add("iam:GenerateCredentialReport")
    inventory = collect_aws(AwsScope(regions=("us-east-1",), key_ids="none"))
    (source,) = inventory.sources
    assert [e.call for e in source.errors] == ["iam:GenerateCredentialReport"]
    users = [i for i in inventory.identities if i.kind == "user"]
    assert users and all("credentials" in u.unknown for u in users)
    (root,) = [i for i in inventory.identities if i.kind == "root"]
    assert root.uid == f"arn:aws:iam::{MANAGEMENT}:root" and "credentials" in root.unknown


def test_without_a_report_listed_keys_are_kept_with_their_last_use_unknown(fake: FakeAws) -> None:
    fake.state.deny.add("iam:GenerateCredentialReport")
    inventory = collect_aws(AwsScope(regions=("us-east-1",)))
    keys = [c for c in inventory.credentials if c.kind == "access_key"]
    assert len(keys) == 4 and all("last_used" in k.unknown for k in keys)
    assert not [i for i in inventory.identities if i.kind == "user" and "credentials" in i.unknown]


def test_assumed_credentials_refresh_when_they_expire(fake: FakeAws, world) -> None:
    _, estate = world
    base = boto3.Session()
    caller = identify(base)
    session, error = assume(base, caller, estate.member, ORG_ROLE)
    assert error is None and session is not None
    assert fake.state.requests["sts:AssumeRole"] == 1
    credentials = session._session.get_credentials()
    credentials._expiry_time = datetime.now(UTC) - timedelta(seconds=1)  # as after an hour of scanning
    assert session.client("sts").get_caller_identity()["Account"] == estate.member
    assert fake.state.requests["sts:AssumeRole"] == 2


def test_arns_follow_the_partition_of_the_credentials(fake: FakeAws, monkeypatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "cn-north-1")
    china = boto3.Session(region_name="cn-north-1").client("iam")
    china.create_user(UserName="cn-sync", Path="/svc/")
    china.create_access_key(UserName="cn-sync")
    inventory = collect_aws(AwsScope(regions=("cn-north-1",)))
    assert [s.status for s in inventory.sources] == ["complete"]
    uids = [i.uid for i in inventory.identities] + [c.uid for c in inventory.credentials]
    assert f"arn:aws-cn:iam::{MANAGEMENT}:user/svc/cn-sync" in uids
    assert not [uid for uid in uids if uid.startswith("arn:aws:")]
    assert fake.state.requests["bedrock:ListAgents"] == 0, "no Bedrock in aws-cn"


@pytest.mark.parametrize(
    "value",
    [
        "2026-03-01T10:00:00Z",  # IAM (query XML)
        "2026-03-01T10:00:00.123456Z",
        "2026-03-01T10:00:00.1234567Z",  # seven fraction digits: left to botocore
        "2026-03-01T10:00:00+02:00",
        "2026-03-01 10:00:00",  # no zone: stays naive, as botocore leaves it
        1772359200,  # epoch seconds (JSON protocols)
        "1772359200.5",
        "Sun, 01 Mar 2026 10:00:00 GMT",  # RFC 822 (REST headers)
    ],
)
def test_timestamps_parse_exactly_as_botocore_parses_them(value: Any) -> None:
    from botocore.utils import parse_timestamp

    from scanner.sources.aws.sessions import iso_timestamp

    fast, botocore_own = iso_timestamp(value), parse_timestamp(value)
    assert fast == botocore_own and fast.isoformat() == botocore_own.isoformat()
