"""One record, one uid: an inventory with two records under one uid is refused, and sources never
give two keys or two grants one uid (they would share findings, fingerprints and waivers)."""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from scanner.errors import InputError
from scanner.inventory_io import inventory_from_data, load_inventory
from scanner.resources import demo_inventory_file
from scanner.sources.aws.credential_report import parse_report
from scanner.sources.aws.iam import build_iam

from .aws_estate import CREDENTIAL_REPORT_HEADER
from .conftest import SHARED

# A user whose two keys were created in the same second (a script rotating keys does this).
SAME_SECOND = (
    "deploy,arn:aws:iam::111111111111:user/deploy,2025-01-01T00:00:00+00:00,false,N/A,N/A,N/A,false,"
    "true,2025-06-01T10:00:00+00:00,2025-10-01T00:00:00+00:00,us-east-1,s3,"
    "true,2025-06-01T10:00:00+00:00,N/A,N/A,N/A,false,N/A,false,N/A"
)


def inventory_data(**sections: list[dict]) -> dict:
    return {"schema_version": "1.0", "collected_at": "2026-01-01T00:00:00Z", **sections}


def identity(uid: str) -> dict:
    return {"uid": uid, "provider": "aws", "account": "111111111111", "kind": "user", "name": uid}


@pytest.mark.parametrize(
    ("sections", "message"),
    [
        (
            {"identities": [identity("u1"), identity("u2"), identity("u1")]},
            "'u1' at $.identities[0] and $.identities[2]",
        ),
        (
            {"identities": [identity("a1")], "agents": [{"uid": "a1", "provider": "aws", "account": "1", "name": "a"}]},
            "'a1' at $.identities[0] and $.agents[0]",
        ),
        (
            {"credentials": [{"uid": "k", "identity_uid": None, "kind": "access_key"}] * 2},
            "'k' at $.credentials[0] and $.credentials[1]",
        ),
        (
            {"grants": [{"identity_uid": "u1", "kind": "policy", "name": "p"}] * 2},
            "'u1#policy:p' at $.grants[0] and $.grants[1]",
        ),
    ],
)
def test_an_inventory_with_a_duplicate_uid_is_refused_naming_both(sections: dict, message: str) -> None:
    with pytest.raises(InputError) as refused:
        inventory_from_data(inventory_data(**sections), Path("inv.json"))
    assert f"duplicate uid {message}" in str(refused.value)


def test_the_cli_refuses_it_with_exit_2_and_one_line(cli, tmp_path: Path) -> None:
    path = tmp_path / "inv.json"
    path.write_text(json.dumps(inventory_data(identities=[identity("u1"), identity("u1")])))
    result = cli("scan", f"inventory:{path}", "--no-history", "--output-dir", str(tmp_path / "out"), "-q")
    assert result.exit_code == 2
    assert "duplicate uid 'u1' at $.identities[0] and $.identities[1]" in result.output
    assert "Traceback" not in result.output


def test_the_demo_has_no_duplicate_identities() -> None:
    inventory = load_inventory(demo_inventory_file())  # would raise on a duplicate
    names = collections.Counter((i.account, i.kind, i.name) for i in inventory.identities)
    assert [name for name, count in names.items() if count > 1] == []


def test_two_keys_created_in_the_same_second_get_distinct_uids() -> None:
    report = parse_report(f"{CREDENTIAL_REPORT_HEADER}\n{SAME_SECOND}\n".encode(), "report")
    details = {
        "UserDetailList": [{"UserName": "deploy", "Arn": "arn:aws:iam::111111111111:user/deploy", "Path": "/"}],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    keys = build_iam("111111111111", details, report).credentials
    uids = [k.uid for k in keys]
    assert uids == [
        "arn:aws:iam::111111111111:user/deploy#access_key:2025-06-01T10:00:00Z#1",
        "arn:aws:iam::111111111111:user/deploy#access_key:2025-06-01T10:00:00Z#2",
    ]
    listed = {
        "deploy": [{"AccessKeyId": "AKIAEXAMPLEKEY00001", "CreateDate": "2025-06-01T10:00:00Z", "Status": "Active"}]
    }
    listed["deploy"].append({**listed["deploy"][0], "AccessKeyId": "AKIAEXAMPLEKEY00002"})
    assert [k.uid for k in build_iam("111111111111", details, report, listed).credentials] == uids


def test_a_policy_attached_directly_and_through_a_group_is_two_grants() -> None:
    """cloudsplaining's example: user obama holds AdministratorAccess itself and through a group."""
    path = SHARED / "realworld" / "aws" / "cloudsplaining-example-authorization-details.json"
    if not path.exists():
        pytest.skip("shared real-world exports not beside the repository")
    data = json.loads(path.read_text())
    lists = ("UserDetailList", "GroupDetailList", "RoleDetailList", "Policies")
    grants = build_iam("012345678901", {k: data.get(k, []) for k in lists}, None).grants
    assert len({g.uid for g in grants}) == len(grants)
    obama = sorted(g.uid for g in grants if g.uid.startswith("arn:aws:iam::012345678901:user/obama#policy:Admin"))
    assert obama[0] == "arn:aws:iam::012345678901:user/obama#policy:AdministratorAccess"
    assert obama[1].startswith("arn:aws:iam::012345678901:user/obama#policy:AdministratorAccess@group:")
