"""A credential report IAM kept from earlier. IAM answers GenerateCredentialReport with the report
it generated within the last four hours rather than a new one: keys made, deleted or switched off
since are not in it. The scan listed the keys only of users the report shows with keys, so a key
made since by a user it showed without any was never seen (NHI-CRED-004 passed two active keys),
and a key deleted since still failed. Now every user's keys are listed when the report is older
than the scan, or, where keys are not listed, what users hold is unknown and the source says why.
Through the real boto3 clients against moto's server (tests/aws_fake.py); the kept report is the
one moto generated before the keys changed, served with an earlier GeneratedTime."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from scanner.scan import ScanOptions, load_catalogs, run_scan
from scanner.sources.aws.collector import AwsScope, collect_aws

from .aws_estate import MANAGEMENT
from .aws_fake import FakeAws
from .test_aws_faults import fake, world  # noqa: F401  (fixtures: the seeded estate, its faults cleared)

SCAN = AwsScope(regions=("us-east-1",))


@pytest.fixture
def iam(fake: FakeAws) -> Iterator[Any]:  # noqa: F811
    client = boto3.Session(region_name="us-east-1").client("iam", endpoint_url=fake.endpoint)
    made: list[str] = []

    def user(name: str) -> str:
        client.create_user(UserName=name)
        made.append(name)
        return name

    client.user = user
    yield client
    for name in made:
        for key in client.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            client.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        client.delete_user(UserName=name)


def kept_report(fake: FakeAws, iam: Any, hours_ago: float = 3) -> None:  # noqa: F811
    iam.generate_credential_report()
    content = iam.get_credential_report()["Content"]
    fake.state.kept_report = (content, datetime.now(UTC) - timedelta(hours=hours_ago))


def scanned(scope: AwsScope = SCAN) -> tuple[Any, dict[str, Any], Any]:
    inventory = collect_aws(scope)
    users = {i.name: i for i in inventory.identities if i.kind == "user"}
    status = next(s for s in inventory.sources if s.account == MANAGEMENT)
    return inventory, users, status


def keys_of(inventory: Any, identity: Any) -> list[Any]:
    return [c for c in inventory.credentials if c.identity_uid == identity.uid and c.kind == "access_key"]


def test_keys_made_since_an_earlier_report_are_listed(fake: FakeAws, iam: Any) -> None:  # noqa: F811
    late = iam.user("late-keys")
    kept_report(fake, iam)
    iam.create_access_key(UserName=late)
    iam.create_access_key(UserName=late)
    inventory, users, status = scanned()
    assert len(keys_of(inventory, users[late])) == 2
    findings = run_scan(inventory, load_catalogs(), ScanOptions(keep_passed=True)).findings
    (two_keys,) = [f for f in findings if f.control_id == "NHI-CRED-004" and f.resource.name == late]
    assert two_keys.status == "fail"
    assert any("generated at" in note and "every user's access keys were listed now" in note for note in status.notes)


def test_a_key_deleted_since_an_earlier_report_is_gone(fake: FakeAws, iam: Any) -> None:  # noqa: F811
    gone = iam.user("rotated-away")
    key = iam.create_access_key(UserName=gone)["AccessKey"]["AccessKeyId"]
    kept_report(fake, iam)
    iam.delete_access_key(UserName=gone, AccessKeyId=key)
    inventory, users, _ = scanned()
    assert keys_of(inventory, users[gone]) == []


def test_without_listing_keys_what_users_hold_after_an_earlier_report_is_unknown(
    fake: FakeAws,  # noqa: F811
    iam: Any,
) -> None:
    late = iam.user("late-keys")
    kept_report(fake, iam)
    iam.create_access_key(UserName=late)
    _, users, status = scanned(AwsScope(regions=("us-east-1",), key_ids="none"))
    assert "credentials" in users[late].unknown
    assert any("access keys of" in note and "were not listed" in note for note in status.notes)


def test_a_report_generated_for_this_scan_changes_nothing(fake: FakeAws, iam: Any) -> None:  # noqa: F811
    iam.user("fresh-report")
    kept_report(fake, iam, hours_ago=0)
    _, users, status = scanned(AwsScope(regions=("us-east-1",), key_ids="none"))
    assert "credentials" not in users["fresh-report"].unknown
    assert not [note for note in status.notes if "credential report" in note]
