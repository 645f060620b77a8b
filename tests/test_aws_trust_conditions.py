"""Which trust conditions narrow who may assume an AWS role. A condition counts only where it
admits no more than the values it lists and those values narrow the principal: a negated subject
test, or a condition restating the principal's own account, leaves the role as open as without it.
The roles are read as the authorization details list them (`get-account-authorization-details`),
their trust policies in the shapes AWS's and GitHub's documentation give."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.aws.iam import build_iam

ACCOUNT = "111122223333"
VENDOR = "999988887777"
GITHUB = f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"


def _role(name: str, *statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "Path": "/",
        "RoleName": name,
        "RoleId": "AROA" + name.upper().replace("-", "")[:16].ljust(16, "X"),
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "CreateDate": "2026-01-05T10:00:00Z",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "InstanceProfileList": [],
        "RolePolicyList": [],
        "AttachedManagedPolicies": [],
        "Tags": [{"Key": "owner", "Value": "platform@example.com"}],
        "RoleLastUsed": {},
    }


def _github(condition: dict[str, Any]) -> dict[str, Any]:
    return {
        "Effect": "Allow",
        "Principal": {"Federated": GITHUB},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": condition,
    }


def _status(catalogs: Any, control: str, role: dict[str, Any]) -> str:
    records = build_iam(ACCOUNT, {"RoleDetailList": [role]}, None)
    inventory = Inventory(collected_at=datetime(2026, 12, 1, tzinfo=UTC), identities=records.identities)
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (finding,) = [f for f in result.findings if f.control_id == control]
    return finding.status


AUDIENCE = {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}


@pytest.mark.parametrize(
    ("condition", "status"),
    [
        # GitHub's documented trust: one repository's workflows
        ({"StringEquals": AUDIENCE, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}},
         "pass"),
        # every repository but one
        ({"StringEquals": AUDIENCE,
          "ForAnyValue:StringNotLike": {"token.actions.githubusercontent.com:sub": "repo:acme/legacy:*"}}, "fail"),
        ({"StringEquals": AUDIENCE, "StringNotEquals": {"token.actions.githubusercontent.com:sub": "repo:x/y:*"}},
         "fail"),
        # a subject test an absent claim satisfies
        ({"StringEquals": AUDIENCE, "StringLikeIfExists": {"token.actions.githubusercontent.com:sub": "repo:a/b:*"}},
         "fail"),
    ],
)  # fmt: skip
def test_only_a_test_admitting_the_subjects_it_lists_restricts_a_federated_trust(
    catalogs: Any, condition: dict[str, Any], status: str
) -> None:
    assert _status(catalogs, "NHI-PRIV-005", _role("deploy", _github(condition))) == status
