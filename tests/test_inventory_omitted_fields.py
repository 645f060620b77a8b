"""A field an inventory file leaves out was not collected: it is unknown, never the model's default.

nhiscan writes every field of every record, so a field missing from an ``inventory:`` file means a
person or another tool wrote it and did not know the value. Read as the default it would pass
controls on evidence nobody collected: no interactive log-in, logs kept for ever, a key not active.
``null`` keeps its meaning: collected, and empty.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.inventory_io import load_inventory, save_inventory
from scanner.omitted_evidence import NO_ACCOUNTS, NO_SOURCES, OMITTED_IS_UNKNOWN
from scanner.scan import ScanOptions, load_catalogs, run_scan

from .conftest import make_inventory

CATALOGS = load_catalogs()
ACCOUNT = "111122223333"
USER = f"arn:aws:iam::{ACCOUNT}:user/svc-deploy"


def handwritten(identity: dict[str, Any] | None = None, log_source: dict[str, Any] | None = None) -> dict[str, Any]:
    """An AWS account with one user holding one active access key (an AWS key never expires), no
    grants, no agents and one trail, each record minimal."""
    user = {"uid": USER, "provider": "aws", "account": ACCOUNT, "kind": "user", "name": "svc-deploy"}
    key = {"uid": "AKIAIOSFODNN7EXAMPLE", "identity_uid": USER, "kind": "access_key", "created": "2026-11-20T00:00:00Z"}
    return {
        "schema_version": "1.0",
        "collected_at": "2026-12-01T00:00:00Z",
        "accounts": [{"uid": ACCOUNT, "provider": "aws"}],
        "identities": [{**user, **(identity or {})}],
        "credentials": [{**key, "expires": None, "active": True}],
        "log_sources": [
            {"uid": "trail", "provider": "aws", "account": ACCOUNT, "kind": "cloudtrail", **(log_source or {})}
        ],
        "grants": [],
        "agents": [],
        "sources": [{"name": "aws", "account": ACCOUNT, "status": "complete"}],
    }


def statuses(tmp_path: Path, document: dict[str, Any]) -> dict[tuple[str, str], str]:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document))
    result = run_scan(load_inventory(path), CATALOGS, ScanOptions(keep_passed=True))
    return {(f.control_id, f.resource.uid): f.status for f in result.findings}


def test_an_identity_whose_log_in_ability_is_left_out_is_not_passed_for_interactive_log_in(tmp_path: Path) -> None:
    assert statuses(tmp_path, handwritten())[("NHI-OWN-002", USER)] == "unknown"


def test_an_identity_written_as_not_interactive_passes(tmp_path: Path) -> None:
    assert statuses(tmp_path, handwritten(identity={"interactive": False}))[("NHI-OWN-002", USER)] == "pass"


def test_a_trail_whose_retention_is_left_out_is_not_passed_as_kept_for_ever(tmp_path: Path) -> None:
    found = statuses(tmp_path, handwritten(log_source={"enabled": True, "covers": ["management_write"]}))
    assert found[("NHI-LOG-008", "trail")] == "unknown"


def test_a_trail_written_with_null_retention_is_kept_without_limit(tmp_path: Path) -> None:
    trail = {"enabled": True, "covers": ["management_write"], "retention_days": None}
    assert statuses(tmp_path, handwritten(log_source=trail))[("NHI-LOG-008", "trail")] == "pass"


def test_the_left_out_evidence_fields_are_named_in_each_records_unknown(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(handwritten(identity={"owner": "platform-team", "unknown": ["created"]})))
    inventory = load_inventory(path)
    assert inventory.identities[0].unknown == ["created", "tags", "last_used", "interactive"]
    assert inventory.credentials[0].unknown == ["last_used", "last_rotated", "managed_by_provider"]
    assert inventory.log_sources[0].unknown == ["enabled", "covers", "retention_days"]
    assert inventory.accounts[0].unknown == ["environment", "tags"]


def test_an_inventory_nhiscan_wrote_reads_back_with_nothing_marked_unknown(tmp_path: Path) -> None:
    written = make_inventory(
        {
            "accounts": [{"uid": ACCOUNT, "provider": "aws"}],
            "identities": [{"uid": USER, "provider": "aws", "account": ACCOUNT, "kind": "user"}],
            "credentials": [{"uid": "k1", "identity_uid": USER, "kind": "access_key"}],
            "grants": [{"identity_uid": USER, "name": "p", "actions": ["s3:GetObject"], "resources": ["*"]}],
            "agents": [{"uid": "a1", "provider": "aws", "account": ACCOUNT, "name": "a1"}],
            "log_sources": [{"uid": "trail", "provider": "aws", "account": ACCOUNT, "kind": "cloudtrail"}],
        }
    )
    save_inventory(written, tmp_path / "inventory.json")
    read = load_inventory(tmp_path / "inventory.json")
    for section in OMITTED_IS_UNKNOWN:
        assert [record.unknown for record in getattr(read, section)] == [[] for _ in getattr(written, section)]


def without(document: dict[str, Any], *sections: str) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key not in sections}


def test_an_identity_of_a_file_without_grants_is_not_passed_as_holding_none(tmp_path: Path) -> None:
    found = statuses(tmp_path, without(handwritten(identity={"interactive": False}), "grants"))
    assert found[("NHI-PRIV-001", USER)] == "unknown"
    assert found[("NHI-PRIV-003", USER)] == "unknown"


def test_an_identity_of_a_file_with_an_empty_grants_section_holds_none(tmp_path: Path) -> None:
    document = handwritten(identity={"interactive": False})
    assert statuses(tmp_path, document)[("NHI-PRIV-001", USER)] == "pass"


def test_an_account_of_a_file_without_log_sources_is_not_failed_for_logging_nobody_listed(tmp_path: Path) -> None:
    assert statuses(tmp_path, without(handwritten(), "log_sources"))[("NHI-LOG-001", ACCOUNT)] == "unknown"


def test_the_sections_left_out_are_named_on_their_holders(tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(without(handwritten(), "credentials", "grants", "agents")))
    inventory = load_inventory(path)
    assert "agents" in inventory.accounts[0].unknown and "identities" not in inventory.accounts[0].unknown
    assert {"credentials", "grants"} <= set(inventory.identities[0].unknown)


def test_a_file_without_sources_reads_its_accounts_partially_and_the_gate_says_so(cli, tmp_path: Path) -> None:
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(without(handwritten(identity={"interactive": False}), "sources")))

    out = tmp_path / "out"
    result = cli(
        "scan", f"inventory:{path}", "--no-history", "--format", "json", "-o", str(out), "--fail-on", "critical"
    )

    assert result.exit_code == 3, result.output
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [(s["account"], s["status"]) for s in results["scan"]["sources"]] == [(ACCOUNT, "partial")]
    assert NO_SOURCES in results["scan"]["sources"][0]["errors"][0]["message"]
    coverage = [f for f in results["findings"] if f["control_id"] == "NHI-COV-001"]
    assert [f["status"] for f in coverage] == ["fail"]


def test_a_file_without_accounts_reads_the_accounts_its_records_name_partially(cli, tmp_path: Path) -> None:
    """Identities alone: no account was judged (no logging control ran), no source was listed, and
    the gate passed with a score of 100."""
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(without(handwritten(identity={"interactive": False}), "accounts", "sources")))
    out = tmp_path / "out"
    result = cli("scan", f"inventory:{path}", "--no-history", "--format", "json", "-o", str(out), "--fail-on", "low")

    assert result.exit_code == 3, result.output
    sources = json.loads((out / "results.json").read_text())["scan"]["sources"]
    assert [(s["account"], s["status"], s["errors"][0]["message"]) for s in sources] == [
        (ACCOUNT, "partial", NO_ACCOUNTS)
    ]
