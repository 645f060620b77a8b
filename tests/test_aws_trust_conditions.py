"""Which trust conditions narrow who may assume an AWS role. A condition counts only where it
admits no more than the values it lists and those values narrow the principal: a negated subject
test, or a condition restating the principal's own account, leaves the role as open as without it.
The roles are read as the authorization details list them (`get-account-authorization-details`),
their trust policies in the shapes AWS's and GitHub's documentation give."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.model import Account, Inventory
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


DEV = "444455556666"
AUDIT_ROLE = f"arn:aws:iam::{VENDOR}:role/audit"


def _status(catalogs: Any, control: str, role: dict[str, Any]) -> str:
    records = build_iam(ACCOUNT, {"RoleDetailList": [role]}, None)
    accounts = [Account(ACCOUNT, "aws", "prod", environment="production"),
                Account(DEV, "aws", "dev", environment="development")]  # fmt: skip
    inventory = Inventory(
        collected_at=datetime(2026, 12, 1, tzinfo=UTC), accounts=accounts, identities=records.identities
    )
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


def _vendor(principal: str, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return statement


@pytest.mark.parametrize(
    ("statement", "status"),
    [
        # AWS's documented confused-deputy protection: an external id agreed with the vendor
        (_vendor(f"arn:aws:iam::{VENDOR}:root", {"StringEquals": {"sts:ExternalId": "Unique-3rd-party-id"}}), "pass"),
        # one role of the vendor
        (_vendor(f"arn:aws:iam::{VENDOR}:root", {"ArnEquals": {"aws:PrincipalArn": AUDIT_ROLE}}), "pass"),
        # conditions that restate the vendor's account: any of its principals still
        (_vendor(f"arn:aws:iam::{VENDOR}:root", {"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{VENDOR}:*"}}), "fail"),
        (_vendor(VENDOR, {"StringEquals": {"aws:PrincipalAccount": VENDOR}}), "fail"),
        # the vendor's account among other values: every principal of it still
        (_vendor(VENDOR, {"StringEquals": {"aws:PrincipalAccount": [VENDOR, "333333333333"]}}), "fail"),
        # the vendor's organisation: the vendor's account is in it, whoever else is
        (_vendor(f"arn:aws:iam::{VENDOR}:root", {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}), "fail"),
        (_vendor(VENDOR, {"ArnLike": {"aws:PrincipalArn": [f"arn:aws:iam::{VENDOR}:*", AUDIT_ROLE]}}), "fail"),
        (_vendor(f"arn:aws:iam::{VENDOR}:root"), "fail"),
    ],
)  # fmt: skip
def test_a_condition_names_the_caller_only_where_it_narrows_the_trusted_account(
    catalogs: Any, statement: dict[str, Any], status: str
) -> None:
    assert _status(catalogs, "NHI-PRIV-004", _role("vendor-audit", statement)) == status


@pytest.mark.parametrize(
    "statement",
    [
        _vendor("*", {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{DEV}:role/ci"}}),
        _vendor("*", {"StringEquals": {"aws:PrincipalAccount": [DEV]}}),
        _vendor(f"arn:aws:sts::{DEV}:assumed-role/ci/gha"),  # one session of a development role
    ],
)
def test_a_production_role_trusting_a_development_account_fails_however_the_account_is_named(
    catalogs: Any, statement: dict[str, Any]
) -> None:
    assert _status(catalogs, "NHI-PRIV-009", _role("deploy", statement)) == "fail"


@pytest.mark.parametrize(
    "condition",
    [
        None,  # anyone
        {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},  # every account of the organisation
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deployer"}},  # that role of any account
        {"StringLike": {"aws:PrincipalAccount": "22222222222?"}},
    ],
)
def test_a_production_role_open_to_accounts_its_trust_does_not_name_is_unknown_not_passed(
    catalogs: Any, condition: dict[str, Any] | None
) -> None:
    assert _status(catalogs, "NHI-PRIV-009", _role("deploy", _vendor("*", condition))) == "unknown"


def test_a_production_role_trusting_its_own_account_passes(catalogs: Any) -> None:
    statement = _vendor("*", {"StringEquals": {"aws:PrincipalAccount": ACCOUNT}})
    assert _status(catalogs, "NHI-PRIV-009", _role("deploy", statement)) == "pass"


def test_a_statement_that_only_tags_the_session_trusts_no_one_to_assume(catalogs: Any) -> None:
    """GitHub's trust with session tags written as two statements: the second adds tags to a
    session the first allows, so only the first is a trust, and its subject restricts it."""
    allowed = _github(
        {"StringEquals": AUDIENCE, "StringLike": {"token.actions.githubusercontent.com:sub": "repo:acme/app:*"}}
    )
    tagging = {"Effect": "Allow", "Principal": {"Federated": GITHUB}, "Action": "sts:TagSession"}
    role = _role("deploy", allowed, tagging)
    assert [
        e["subject"] for e in build_iam(ACCOUNT, {"RoleDetailList": [role]}, None).identities[0].attributes["trust"]
    ] == ["repo:acme/app:*"]
    assert _status(catalogs, "NHI-PRIV-005", role) == "pass"
    both = {**tagging, "Action": ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]}
    assert _status(catalogs, "NHI-PRIV-005", _role("deploy", allowed, both)) == "fail", "a second trust, unrestricted"
