"""A Deny statement takes actions away from an identity only where it denies them on every resource.

Before, every Deny statement of a policy was merged into one ``[deny]`` grant, and a Deny of ``*``
on one bucket beside any Deny on ``*`` read as a Deny of ``*`` everywhere: a role allowed ``*`` on
``*`` passed "no non-human identity holds full administrative access". A Deny with NotResource
(every resource but some) read as a Deny everywhere too.
"""

from __future__ import annotations

import json
from pathlib import Path

from scanner.serialize import dumps
from scanner.sources.aws.policy import policy_grants

ADMIN_WITH_TWO_DENIES = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": "*", "Resource": "*"},
        {"Effect": "Deny", "Action": "*", "Resource": ["arn:aws:s3:::audit-logs", "arn:aws:s3:::audit-logs/*"]},
        {"Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"},
    ],
}


def _parts(document: dict) -> dict[str, tuple[list[str], list[str], dict]]:
    grants = policy_grants("role/ops", "ops", document, "inline")
    return {g.name: (g.actions, g.resources, g.attributes) for g in grants}


def test_a_deny_on_named_resources_is_a_grant_apart_from_a_deny_on_every_resource() -> None:
    parts = _parts(ADMIN_WITH_TWO_DENIES)
    assert parts["ops"] == (["*"], ["*"], {})
    assert parts["ops [deny]"] == (["organizations:LeaveOrganization"], ["*"], {"effect": "Deny"})
    assert parts["ops [deny scoped]"] == (
        ["*"],
        ["arn:aws:s3:::audit-logs", "arn:aws:s3:::audit-logs/*"],
        {"effect": "Deny"},
    )


def test_a_deny_with_not_resource_is_scoped_and_names_what_it_spares() -> None:
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": ["iam:PassRole", "lambda:CreateFunction"], "Resource": "*"},
            {"Effect": "Deny", "Action": "iam:PassRole", "NotResource": "arn:aws:iam::111111111111:role/OrgAdmin"},
        ]
    }
    parts = _parts(document)
    assert "ops [deny]" not in parts
    actions, _, attributes = parts["ops [deny scoped]"]
    assert actions == ["iam:PassRole"]
    assert attributes == {"effect": "Deny", "not_resources": ["arn:aws:iam::111111111111:role/OrgAdmin"]}


def test_a_deny_naming_every_resource_among_others_denies_everywhere() -> None:
    document = {"Statement": [{"Effect": "Deny", "Action": "iam:*", "Resource": ["*", "arn:aws:s3:::b"]}]}
    assert _parts(document) == {"ops [deny]": (["iam:*"], ["*"], {"effect": "Deny"})}


def test_an_administrator_behind_a_deny_on_one_bucket_fails_the_admin_controls(cli, tmp_path: Path) -> None:
    grants = policy_grants("r1", "ops", ADMIN_WITH_TWO_DENIES, "inline")
    inventory = {
        "schema_version": "1.0",
        "collected_at": "2026-06-01T00:00:00Z",
        "accounts": [{"uid": "111111111111", "provider": "aws"}],
        "identities": [{"uid": "r1", "name": "ops", "provider": "aws", "kind": "role", "account": "111111111111"}],
        "grants": [json.loads(dumps(grant)) for grant in grants],
        "sources": [{"name": "aws", "account": "111111111111", "status": "complete"}],
    }
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(inventory))
    out = tmp_path / "out"
    result = cli(
        "scan", f"inventory:{path}", "--format", "json", "--no-history", "-o", str(out), "--fail-on", "none", "-q"
    )
    assert result.exit_code == 0, result.output
    findings = json.loads((out / "results.json").read_text())["findings"]
    failing = {f["control_id"] for f in findings if f["status"] == "fail" and f["resource"]["uid"] == "r1"}
    assert "NHI-PRIV-001" in failing


def test_a_deny_on_every_arn_spelled_otherwise_denies_everywhere() -> None:
    document = {"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "arn:aws:*:*:*:*"}]}
    assert _parts(document) == {"ops [deny]": (["*"], ["*"], {"effect": "Deny"})}


def test_a_deny_on_every_arn_of_one_account_is_scoped_for_buckets_name_no_account() -> None:
    """arn:aws:*:*:111122223333:* matches none of S3's bucket and object ARNs (arn:aws:s3:::b), so
    s3:* allowed on "*" is still allowed: read as a Deny everywhere, it took every capability away
    and the role passed every control that reads them."""
    document = {
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "*", "Resource": "arn:aws:*:*:111122223333:*"},
        ]
    }
    parts = _parts(document)
    assert "ops [deny]" not in parts
    assert parts["ops [deny scoped]"] == (["*"], ["arn:aws:*:*:111122223333:*"], {"effect": "Deny"})


def test_each_not_action_statement_is_a_grant_of_its_own() -> None:
    """Joined, the exclusions of one were taken for the other's: everything but IAM beside
    everything but one action read as no administrator."""
    document = {
        "Statement": [
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"},
            {"Effect": "Allow", "NotAction": "s3:DeleteBucket", "Resource": "*"},
        ]
    }
    parts = _parts(document)
    assert parts["ops [NotAction]"][2] == {"not_actions": ["iam:*", "organizations:*"]}
    assert parts["ops [NotAction 2]"][2] == {"not_actions": ["s3:DeleteBucket"]}
