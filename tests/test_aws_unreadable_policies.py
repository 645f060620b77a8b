"""A policy document that is not one IAM would hold (a Statement that is text, an Action that is a
number, an Effect nobody writes) allows what nobody can tell: its grant's actions are unknown, and
a trust policy of that kind leaves who may assume the role unknown. Before, what could not be
read was dropped, and a role read as allowed nothing passed every privilege control. The role is
Cloudsplaining's recorded one, its documents replaced by each hostile shape."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources.aws.iam import build_iam

from .conftest import SHARED

EXPORT = SHARED / "realworld" / "aws" / "cloudsplaining-example-authorization-details.json"
ADMIN = {"Effect": "Allow", "Action": "*", "Resource": "*"}


def _role() -> dict[str, Any]:
    details = json.loads(EXPORT.read_text())
    role = next(r for r in details["RoleDetailList"] if r.get("RolePolicyList"))
    return copy.deepcopy(role) | {"AttachedManagedPolicies": []}


def _statuses(catalogs: Any, role: dict[str, Any]) -> dict[str, str]:
    account = role["Arn"].split(":")[4]
    records = build_iam(account, {"RoleDetailList": [role]}, None)
    inventory = Inventory(
        collected_at=datetime(2026, 12, 1, tzinfo=UTC), identities=records.identities, grants=records.grants
    )
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {f.control_id: f.status for f in result.findings if f.resource.uid == role["Arn"]}


@pytest.mark.parametrize(
    "document",
    [
        {"Version": "2012-10-17", "Statement": "garbage"},
        {"Version": "2012-10-17", "Statement": 7},
        {"Version": "2012-10-17", "Statement": [[ADMIN]]},
        "[1, 2]",
        "5",
        {"Version": "2012-10-17", "Statement": [{**ADMIN, "Action": {"*": 1}}]},
        {"Version": "2012-10-17", "Statement": [{**ADMIN, "Action": 1}]},
        {"Version": "2012-10-17", "Statement": [{**ADMIN, "Action": None}]},
        {"Version": "2012-10-17", "Statement": [{**ADMIN, "Action": [["*"]]}]},
        {"Version": "2012-10-17", "Statement": [{**ADMIN, "Effect": "allow"}]},
        {"Version": "2012-10-17", "Statement": [{**ADMIN, "Condition": "x"}]},
    ],
)
def test_a_policy_that_cannot_be_read_leaves_the_roles_privileges_unknown(catalogs: Any, document: Any) -> None:
    role = _role()
    role["RolePolicyList"] = [{"PolicyName": "hostile", "PolicyDocument": document}]
    statuses = _statuses(catalogs, role)
    assert {statuses["NHI-PRIV-001"], statuses["NHI-PRIV-003"]} == {"unknown"}, statuses


@pytest.mark.parametrize(
    "statements",
    [[ADMIN], [ADMIN, {"Effect": "Allow", "Action": [], "Resource": "*"}]],  # an empty list names nothing
)
def test_the_same_role_with_its_policy_readable_is_judged(catalogs: Any, statements: list[Any]) -> None:
    role = _role()
    document = {"Version": "2012-10-17", "Statement": statements}
    role["RolePolicyList"] = [{"PolicyName": "admin", "PolicyDocument": document}]
    assert _statuses(catalogs, role)["NHI-PRIV-001"] == "fail"


@pytest.mark.parametrize(
    "trust",
    [
        {"Version": "2012-10-17", "Statement": "garbage"},
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": 123, "Action": "sts:AssumeRole"}]},
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": ["*"], "Action": "sts:AssumeRole"}]},
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": {"sts:AssumeRole": 1}}]},
        {"Version": "2012-10-17",
         "Statement": [{"Effect": "allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]},
    ],
)  # fmt: skip
def test_a_trust_policy_that_cannot_be_read_leaves_who_may_assume_the_role_unknown(catalogs: Any, trust: Any) -> None:
    role = _role()
    role["AssumeRolePolicyDocument"] = trust
    (identity,) = build_iam(role["Arn"].split(":")[4], {"RoleDetailList": [role]}, None).identities
    assert "attributes.trust" in identity.unknown and identity.attributes["trust"] == []
