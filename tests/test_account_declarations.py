"""nhiscan.yaml's ``accounts``: an account's environment that the sources could not read is
unknown, never silently out of scope, and a declaration supplies it, visibly marked as declared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.resources import demo_inventory_file

PRODUCTION = "111122223333"  # the demo's production AWS account (environment tag: production)
VENDOR = "777766665555"  # outside the demo's scan: cost-vendor-access trusts it


@pytest.fixture
def demo_inventory() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(demo_inventory_file().read_text())
    return document


def _scan(cli, tmp_path: Path, inventory: dict[str, Any], accounts: str = "") -> tuple[Any, dict[str, Any], Path]:
    tmp_path.mkdir(exist_ok=True)
    inventory_path = tmp_path / "inventory-in.json"
    inventory_path.write_text(json.dumps(inventory))
    config = tmp_path / "nhiscan.yaml"
    config.write_text(f"sources: ['inventory:{inventory_path}']\n" + (f"accounts:\n{accounts}" if accounts else ""))
    out = tmp_path / "out"
    outcome = cli("scan", "--config", str(config), "--no-history", "--format", "json", "--output-dir", str(out), "-q")
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").exists() else {}
    return outcome, results, out


def _priv009(results: dict[str, Any]) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    (counts,) = [c["counts"] for c in results["controls"] if c["id"] == "NHI-PRIV-009"]
    findings = {
        f["resource"]["name"]: (f["status"], f["message"])
        for f in results["findings"]
        if f["control_id"] == "NHI-PRIV-009"
    }
    return counts, findings


def test_a_vendor_account_outside_the_scan_is_unknown_until_declared(cli, tmp_path: Path, demo_inventory) -> None:
    _, undeclared, _ = _scan(cli, tmp_path / "a", demo_inventory)
    counts, findings = _priv009(undeclared)
    assert findings["cost-vendor-access"][0] == "unknown"

    _, declared, _ = _scan(cli, tmp_path / "b", demo_inventory, f'  "{VENDOR}": {{environment: vendor}}\n')
    declared_counts, declared_findings = _priv009(declared)
    assert "cost-vendor-access" not in declared_findings, "a production role trusting a vendor passes this control"
    assert declared_counts["pass"] == counts["pass"] + 1 and declared_counts["unknown"] == counts["unknown"] - 1


def test_a_declared_development_account_fails_the_production_role_that_trusts_it(
    cli, tmp_path: Path, demo_inventory
) -> None:
    accounts = f'  "{VENDOR}": {{environment: development, name: contractor-sandbox}}\n'
    _, results, _ = _scan(cli, tmp_path, demo_inventory, accounts)
    status, message = _priv009(results)[1]["cost-vendor-access"]
    assert status == "fail" and "contractor-sandbox" in message


def test_an_account_whose_tags_were_not_read_leaves_its_roles_unknown(cli, tmp_path: Path, demo_inventory) -> None:
    (account,) = [a for a in demo_inventory["accounts"] if a["uid"] == PRODUCTION]
    account.update(environment=None, unknown=["environment", "tags"])
    _, results, _ = _scan(cli, tmp_path, demo_inventory)
    findings = _priv009(results)[1]
    assert findings["dev-data-refresh"] == (
        "unknown",
        "dev-data-refresh: could not be assessed (account_environment not collected)",
    ), "an unread environment is not 'not production', and the finding says what was missing"


def test_a_declaration_supplies_an_unread_environment_marked_as_declared(cli, tmp_path: Path, demo_inventory) -> None:
    (account,) = [a for a in demo_inventory["accounts"] if a["uid"] == PRODUCTION]
    account.update(environment=None, unknown=["environment", "tags"])
    _, results, out = _scan(cli, tmp_path, demo_inventory, f'  "{PRODUCTION}": {{environment: production}}\n')
    assert _priv009(results)[1]["dev-data-refresh"][0] == "fail"
    (evaluated,) = [a for a in results["inventory"]["accounts"] if a["uid"] == PRODUCTION]
    assert evaluated["environment"] == "production" and "environment" not in evaluated["unknown"]
    assert evaluated["attributes"]["environment_declared_in"] == "nhiscan.yaml"
    (collected,) = [a for a in json.loads((out / "inventory.json").read_text())["accounts"] if a["uid"] == PRODUCTION]
    assert collected["environment"] is None and "environment" in collected["unknown"], "the evidence stays as read"


def test_a_declaration_wins_over_the_tags_and_keeps_what_they_said(cli, tmp_path: Path, demo_inventory) -> None:
    _, results, _ = _scan(cli, tmp_path, demo_inventory, f'  "{PRODUCTION}": {{environment: staging}}\n')
    (evaluated,) = [a for a in results["inventory"]["accounts"] if a["uid"] == PRODUCTION]
    assert evaluated["environment"] == "staging"
    assert evaluated["attributes"]["environment_collected"] == "production"
    assert "dev-data-refresh" not in _priv009(results)[1], "a staging account's roles are not production's"


def test_an_identity_whose_account_the_sources_never_described_is_unknown(cli, tmp_path: Path, demo_inventory) -> None:
    demo_inventory["accounts"] = [a for a in demo_inventory["accounts"] if a["uid"] != PRODUCTION]
    _, results, _ = _scan(cli, tmp_path, demo_inventory)
    assert _priv009(results)[1]["dev-data-refresh"][0] == "unknown"


def test_an_unquoted_account_id_is_refused_with_its_line(cli, tmp_path: Path, demo_inventory) -> None:
    outcome, _, _ = _scan(cli, tmp_path, demo_inventory, "  111122223333: {environment: production}\n")
    assert outcome.exit_code == 2
    assert "nhiscan.yaml:3" in outcome.output and "account id 111122223333 must be quoted" in outcome.output


def test_a_declaration_without_an_environment_is_refused(cli, tmp_path: Path, demo_inventory) -> None:
    outcome, _, _ = _scan(cli, tmp_path, demo_inventory, f'  "{PRODUCTION}": {{name: prod}}\n')
    assert outcome.exit_code == 2 and "environment" in outcome.output


@pytest.mark.parametrize("spelling", ["Production", "PROD", " prd ", "live"])
def test_a_production_account_spelt_otherwise_is_production(cli, tmp_path: Path, demo_inventory, spelling) -> None:
    """Tags and declarations say "Prod" or "prd" as often as "production": read as some other
    environment, the account's roles fell silently out of NHI-PRIV-009 (no result at all)."""
    (account,) = [a for a in demo_inventory["accounts"] if a["uid"] == PRODUCTION]
    account["environment"] = spelling  # as its tag said
    _, tagged, _ = _scan(cli, tmp_path / "tag", demo_inventory)
    assert _priv009(tagged)[1]["dev-data-refresh"][0] == "fail"

    account.update(environment=None, unknown=["environment", "tags"])
    _, declared, _ = _scan(
        cli, tmp_path / "declared", demo_inventory, f'  "{PRODUCTION}": {{environment: "{spelling}"}}\n'
    )
    assert _priv009(declared)[1]["dev-data-refresh"][0] == "fail"


def test_a_declared_environment_nobody_uses_is_refused_not_taken_as_not_production(
    cli, tmp_path: Path, demo_inventory
) -> None:
    outcome, _, _ = _scan(cli, tmp_path, demo_inventory, f'  "{PRODUCTION}": {{environment: prodution-eu}}\n')
    assert outcome.exit_code == 2
    assert "nhiscan.yaml:3" in outcome.output and "environment 'prodution-eu' is none of production" in outcome.output


def test_an_account_declared_twice_is_refused_naming_both_lines(cli, tmp_path: Path, demo_inventory) -> None:
    twice = f'  "{PRODUCTION}": {{environment: production}}\n  "{PRODUCTION}": {{environment: development}}\n'
    outcome, _, _ = _scan(cli, tmp_path, demo_inventory, twice)
    assert outcome.exit_code == 2
    assert (
        f"'{PRODUCTION}' is named twice in one mapping (first on line 3)" in outcome.output
        and "nhiscan.yaml:4" in outcome.output
    )


@pytest.mark.parametrize(
    "tag", ["nonprod", "non-prod", "Non-Production", "eu_non_prod", "dev-eu", "qa-1", "eu-west-1-sandbox"]
)
def test_a_non_production_account_named_otherwise_fails_the_production_role_that_trusts_it(
    cli, tmp_path: Path, demo_inventory, tag
) -> None:
    """A trusted account tagged "nonprod" or "dev-eu" was folded and kept, neither production nor
    one of the environments NHI-PRIV-009 lists, and the production role that trusts it passed."""
    demo_inventory["accounts"].append({"uid": VENDOR, "provider": "aws", "kind": "account", "environment": tag})
    _, results, _ = _scan(cli, tmp_path, demo_inventory)
    assert _priv009(results)[1]["cost-vendor-access"][0] == "fail"


@pytest.mark.parametrize("tag", ["prod-eu", "eu-central-1-prd"])
def test_a_production_account_named_with_its_region_is_production(cli, tmp_path: Path, demo_inventory, tag) -> None:
    (account,) = [a for a in demo_inventory["accounts"] if a["uid"] == PRODUCTION]
    account["environment"] = tag
    _, results, _ = _scan(cli, tmp_path, demo_inventory)
    assert _priv009(results)[1]["dev-data-refresh"][0] == "fail"


@pytest.mark.parametrize("tag", ["blue", "prod-dev", "not-prod", "non-live"])
def test_an_environment_no_control_can_place_is_unknown_not_out_of_scope(
    cli, tmp_path: Path, demo_inventory, tag
) -> None:
    (account,) = [a for a in demo_inventory["accounts"] if a["uid"] == PRODUCTION]
    account["environment"] = tag
    _, results, _ = _scan(cli, tmp_path / "own", demo_inventory)
    assert _priv009(results)[1]["dev-data-refresh"][0] == "unknown", "the role's own account"

    account["environment"] = "production"
    demo_inventory["accounts"].append({"uid": VENDOR, "provider": "aws", "kind": "account", "environment": tag})
    _, results, _ = _scan(cli, tmp_path / "trusted", demo_inventory)
    assert _priv009(results)[1]["cost-vendor-access"][0] == "unknown", "the account a role trusts"
